import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bucketStarts, checkPoint, isUp, uptimeFraction } from '../../../gateway/store/telemetry-points.js';
import { BatchQueue } from '../../../gateway/store/telemetry-queue.js';
import type { TelemetryPoint } from '../../../gateway/core/devices/telemetry.js';

const base: TelemetryPoint = { measurement: 'telemetry', tags: { site: 's', device: 'd', kind: 'camera' }, fields: { a: 1 }, at: 1_700_000_000_000 };

describe('checkPoint', () => {
  it('drops empty extra tags (in a copy: the caller\'s tags are left as they are) and rounds the timestamp', () => {
    const p = { ...base, tags: { ...base.tags, zone: '', gate: 'n 1' }, fields: { a: 1.5, s: 'x', b: false }, at: base.at + 0.6 };
    expect(checkPoint(p)).toStrictEqual({
      measurement: 'telemetry',
      tags: { site: 's', device: 'd', kind: 'camera', gate: 'n 1' },
      fields: { a: 1.5, s: 'x', b: false },
      at: base.at + 1,
    });
    expect(p.tags.zone).toBe('');
  });

  it("keeps a valid point's own tags and fields objects (nothing copied per reading)", () => {
    const tags = Object.freeze({ ...base.tags });
    const fields = { a: 1 };
    const stored = checkPoint({ ...base, tags, fields });
    expect(typeof stored === 'object' && stored.tags).toBe(tags);
    expect(typeof stored === 'object' && stored.fields).toBe(fields);
  });

  it.each([
    [{ ...base, fields: { a: Number.NaN } }, 'field a is NaN'],
    [{ ...base, fields: { a: -Infinity } }, 'field a is -Infinity'],
    [{ ...base, fields: {} }, 'point has no fields'],
    [{ ...base, fields: { time: 1 } }, "field key may not be 'time'"],
    [{ ...base, fields: { 'a"b': 1 } }, `field key a"b contains '"'`],
    [{ ...base, fields: { a: null } }, 'field a is not a number, string or boolean'],
    [{ ...base, tags: { site: 's', kind: 'camera' } }, 'tag device missing'],
    [{ ...base, tags: { ...base.tags, device: 'a\\' } }, 'tag device contains a control character or backslash'],
    [{ ...base, tags: { ...base.tags, x: 3 } }, 'tag x is not a string'],
    [{ ...base, measurement: '' }, 'measurement must be a non-empty string'],
    [{ ...base, at: 0 }, 'at must be a positive ms timestamp, got 0'],
    [{ ...base, at: Infinity }, 'at must be a positive ms timestamp, got Infinity'],
  ])('refuses %j', (p, reason) => {
    expect(checkPoint(p as unknown as TelemetryPoint)).toBe(reason);
  });
});

describe('bucketStarts', () => {
  const q = { deviceId: 'd', field: 'a' };
  it('aligns to epoch multiples of everyMs and stops before `to`', () => {
    expect(bucketStarts({ ...q, from: 1000003, to: 1000020, everyMs: 7 })).toStrictEqual([999999, 1000006, 1000013]);
    expect(bucketStarts({ ...q, from: 60_000, to: 120_000, everyMs: 60_000 })).toStrictEqual([60_000]);
  });
  it('refuses empty ranges, bad widths and runaway bucket counts', () => {
    expect(() => bucketStarts({ ...q, from: 5, to: 5, everyMs: 1 })).toThrow(/GW_ERR_BAD_REQUEST|need from < to/);
    expect(() => bucketStarts({ ...q, from: 0, to: 10, everyMs: 1.5 })).toThrow(/everyMs/);
    expect(() => bucketStarts({ ...q, from: 0, to: 1e9, everyMs: 1 })).toThrow(/at most/);
  });
});

describe('availability arithmetic', () => {
  it('reads up from the up field, falling back to status', () => {
    expect([isUp({ up: 1 }), isUp({ up: 0, status: 'ok' }), isUp({ status: 'degraded' }), isUp({ status: 'offline' }), isUp({ reason: 'x' })]).toStrictEqual([
      true,
      false,
      true,
      false,
      undefined,
    ]);
  });

  it('carries the state in from before the period and counts unknown as not up', () => {
    expect(uptimeFraction({ at: -5, up: true }, [{ at: 25, up: false }], 0, 100)).toBe(0.25);
    expect(uptimeFraction(undefined, [{ at: 40, up: true }], 0, 100)).toBe(0.6);
    expect(uptimeFraction(undefined, [], 0, 100)).toBe(0);
    expect(uptimeFraction({ at: -1, up: true }, [{ at: 150, up: false }], 0, 100)).toBe(1);
  });

  it('always lies in [0, 1] and is 1 for a device up throughout', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ at: fc.integer({ min: 0, max: 1000 }), up: fc.boolean() })), fc.boolean(), (samples, before) => {
        const f = uptimeFraction({ at: -1, up: before }, samples, 0, 1000);
        expect(f).toBeGreaterThanOrEqual(0);
        expect(f).toBeLessThanOrEqual(1);
        if (before && samples.every((s) => s.up)) expect(f).toBe(1);
      }),
    );
  });
});

describe('BatchQueue', () => {
  it('seals by size and on demand, oldest batch first', () => {
    const q = new BatchQueue(2);
    const p = (at: number) => ({ ...base, at });
    [1, 2, 3].forEach((at) => q.push(p(at)));
    expect([q.size, q.ready]).toStrictEqual([3, 1]);
    q.seal();
    expect(q.take()?.map((x) => x.at)).toStrictEqual([1, 2]);
    expect(q.take()?.map((x) => x.at)).toStrictEqual([3]);
    expect([q.take(), q.size]).toStrictEqual([undefined, 0]);
  });
});
