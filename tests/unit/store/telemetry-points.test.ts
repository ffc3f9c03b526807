import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bucketStarts, checkPoint, isUp, uptimeFraction } from '../../../gateway/store/telemetry-points.js';
import { BatchQueue, type Batch } from '../../../gateway/store/telemetry-queue.js';
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
    expect(q.take()?.points.map((x) => x.at)).toStrictEqual([1, 2]);
    expect(q.take()?.points.map((x) => x.at)).toStrictEqual([3]);
    expect([q.take(), q.size]).toStrictEqual([undefined, 0]);
  });

  const p = (at: number) => ({ ...base, at });

  it('counts a point kept only once every point that arrived before it is, whatever order batches are kept in', () => {
    const told: number[] = [];
    const q = new BatchQueue(2, (through) => told.push(through));
    [1, 2, 3].forEach((at) => q.push(p(at)));
    expect(q.last).toBe(3);
    q.seal();
    const [a, b] = [q.take(), q.take()];
    if (!a || !b) throw new Error('two batches expected');
    // The later batch is answered first (another request slot): nothing is kept in order yet.
    q.kept(b, 1);
    expect([q.keptThrough, told]).toStrictEqual([0, []]);
    // Half of the first batch committed; the rest goes back to the head of the line, in its place.
    q.kept(a, 1);
    expect(q.keptThrough).toBe(0);
    q.unshift(a.with(a.points.slice(1)));
    const again = q.take();
    expect(again?.points.map((x) => x.at)).toStrictEqual([2]);
    if (again) q.kept(again, 1);
    expect([q.keptThrough, told]).toStrictEqual([3, [3]]);
  });

  it('never counts a point kept before every point up to it is (random sealing, splitting and keeping)', () => {
    // A model: points numbered as pushed, batches taken, kept in parts in any order; keptThrough
    // must never pass a point not kept, and reaches the last once all are.
    const op = fc.oneof(
      fc.constant({ k: 'push' as const }),
      fc.constant({ k: 'seal' as const }),
      fc.constant({ k: 'take' as const }),
      fc.record({ k: fc.constant('keep' as const), which: fc.nat(), part: fc.integer({ min: 1, max: 3 }), back: fc.boolean() }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.array(op, { maxLength: 60 }), (size, ops) => {
        const q = new BatchQueue(size);
        const kept = new Set<number>();
        let pushed = 0;
        const out: Batch[] = [];
        for (const o of ops) {
          if (o.k === 'push') q.push(p(++pushed));
          else if (o.k === 'seal') q.seal();
          else if (o.k === 'take') {
            const b = q.take();
            if (b) out.push(b);
          } else if (out.length > 0) {
            const i = o.which % out.length;
            const b = out[i] as Batch;
            const n = Math.min(o.part, b.length);
            for (const x of b.points.slice(0, n)) kept.add(x.at);
            q.kept(b, n);
            out.splice(i, 1);
            const rest = b.with(b.points.slice(n));
            if (rest.length > 0) {
              if (o.back) q.unshift(rest);
              else out.push(rest);
            }
          }
          for (let n = 1; n <= q.keptThrough; n++) if (!kept.has(n)) throw new Error(`keptThrough ${q.keptThrough}, point ${n} not kept`);
        }
        // Everything kept in the end: all of it counts.
        q.seal();
        for (let b = q.take(); b; b = q.take()) out.push(b);
        for (const b of out) q.kept(b, b.length);
        expect(q.keptThrough).toBe(pushed);
      }),
    );
  });
});
