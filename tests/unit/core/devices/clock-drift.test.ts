/** Several nodes' clock views in one (cluster mode): per device the latest measurement, the furthest off first. */
import { describe, expect, it } from 'vitest';
import { mergeClockViews } from '../../../../gateway/core/devices/clock-drift.js';

const r = (deviceId: string, driftSeconds: number, measuredAt: number, node: string) => ({ deviceId, driftSeconds, measuredAt, node });

describe('mergeClockViews', () => {
  it('keeps each device once, from the node that measured it last, sorted by drift then id', () => {
    const a = [r('btn-1', -300, 1_000, 'a'), r('btn-2', 0.4, 5_000, 'a')];
    // btn-1 moved to node b and its clock was set right there; btn-3 and btn-4 are only on b.
    const b = [r('btn-1', 0.2, 2_000, 'b'), r('btn-3', 90, 1_500, 'b'), r('btn-4', -90, 1_500, 'b')];
    expect(mergeClockViews([a, b])).toStrictEqual([r('btn-3', 90, 1_500, 'b'), r('btn-4', -90, 1_500, 'b'), r('btn-2', 0.4, 5_000, 'a'), r('btn-1', 0.2, 2_000, 'b')]);
    // The order of the views does not matter.
    expect(mergeClockViews([b, a])).toStrictEqual(mergeClockViews([a, b]));
    expect(mergeClockViews([])).toStrictEqual([]);
  });
});
