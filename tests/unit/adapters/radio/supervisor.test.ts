import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LinkSupervisor } from '../../../../adapters/radio/supervisor.js';
import { systemClock } from '../../../../gateway/contract/clock.js';

describe('LinkSupervisor', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function setup() {
    const conditions: [string, string, boolean, string?][] = [];
    const sup = new LinkSupervisor(
      { clock: systemClock, intervalMs: 1000, missed: 3, setCondition: (id, code, active, detail) => conditions.push(detail === undefined ? [id, code, active] : [id, code, active, detail]) },
      ['radio-1', 'radio-2'],
    );
    sup.start();
    return { sup, conditions };
  }

  it('sets unreachable after the missed heartbeats, once, and clears it on the next message', async () => {
    const { sup, conditions } = setup();
    await vi.advanceTimersByTimeAsync(1500);
    sup.seen('radio-1');
    await vi.advanceTimersByTimeAsync(1500);
    expect(conditions).toStrictEqual([['radio-2', 'unreachable', true, 'never heard from since the adapter started (3 heartbeat periods of 1000 ms)']]);
    expect(sup.isReachable('radio-1')).toBe(true);
    await vi.advanceTimersByTimeAsync(3000);
    expect(conditions[1]).toStrictEqual(['radio-1', 'unreachable', true, 'silent for 3000 ms (3 heartbeats of 1000 ms missed)']);
    expect(conditions).toHaveLength(2);
    sup.seen('radio-1');
    sup.seen('radio-1');
    expect(conditions.slice(2)).toStrictEqual([['radio-1', 'unreachable', false]]);
    expect(sup.lastSeen('radio-1')).toBe(6000);
    sup.stop();
  });

  it('reports the radio side only when it changes', () => {
    const { sup, conditions } = setup();
    sup.radioSide('radio-1', true);
    sup.radioSide('radio-1', false);
    sup.radioSide('radio-1', false);
    expect(sup.isChannelUp('radio-1')).toBe(false);
    sup.radioSide('radio-1', true);
    expect(conditions).toStrictEqual([
      ['radio-1', 'channel-unbound', true, 'radio gateway reports its radio link down'],
      ['radio-1', 'channel-unbound', false],
    ]);
    sup.stop();
  });

  it('takes a failed ping as unreachable at once and ignores unknown ids', () => {
    const { sup, conditions } = setup();
    sup.markUnreachable('radio-1', 'no pong within 50 ms');
    sup.markUnreachable('radio-1', 'no pong within 50 ms');
    sup.markUnreachable('nobody', 'x');
    sup.seen('nobody');
    expect(conditions).toStrictEqual([['radio-1', 'unreachable', true, 'no pong within 50 ms']]);
    expect(sup.isReachable('nobody')).toBe(false);
    sup.stop();
  });
});
