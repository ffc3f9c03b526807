import { appendFile, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StoredPoint } from '../../../gateway/store/telemetry-points.js';
import { isSpoolFull, TelemetrySpool } from '../../../gateway/store/telemetry-spool.js';

const log = pino({ level: 'silent' });
const pt = (i: number): StoredPoint => ({ measurement: 'telemetry', tags: { site: 's', device: `d${i % 3}`, kind: 'camera' }, fields: { seq: i, s: 'x' }, at: 1_700_000_000_000 + i });
const range = (from: number, n: number): StoredPoint[] => Array.from({ length: n }, (_, i) => pt(from + i));

async function drain(spool: TelemetrySpool): Promise<number[]> {
  const seqs: number[] = [];
  for (let seg = await spool.peek(); seg; seg = await spool.peek()) {
    seqs.push(...seg.points.map((p) => p.fields.seq as number));
    await spool.ack(seg.id);
  }
  return seqs;
}

async function diskBytes(dir: string): Promise<number> {
  let n = 0;
  for (const f of await readdir(dir)) n += (await stat(join(dir, f))).size;
  return n;
}

describe('TelemetrySpool', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'spool-unit-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('gives points back oldest first, across segments and across a reopen', async () => {
    const spool = new TelemetrySpool({ dir, maxBytes: 1 << 20, segmentBytes: 4096 }, log);
    await spool.open();
    for (let i = 0; i < 300; i += 50) await spool.append(range(i, 50));
    const before = spool.stats();
    expect(before.points).toBe(300);
    expect(before.segments).toBeGreaterThan(2);
    const again = new TelemetrySpool({ dir, maxBytes: 1 << 20, segmentBytes: 4096 }, log);
    await again.open();
    expect(again.stats()).toStrictEqual(before);
    expect(await drain(again)).toStrictEqual(range(0, 300).map((p) => p.fields.seq));
    expect(again.stats()).toStrictEqual({ points: 0, bytes: 0, segments: 0, dropped: 0 });
    expect(await readdir(dir)).toStrictEqual([]);
  });

  it('refuses an append past the bound (isSpoolFull), writes nothing of it and sheds nothing', async () => {
    const maxBytes = 20_000;
    const spool = new TelemetrySpool({ dir, maxBytes }, log);
    await spool.open();
    let taken = 0;
    let refused = 0;
    for (let i = 0; i < 2000; i += 100) {
      try {
        await spool.append(range(i, 100));
        taken += 100;
      } catch (err) {
        expect(isSpoolFull(err)).toBe(true);
        refused += 100;
      }
      expect(await diskBytes(dir)).toBeLessThanOrEqual(maxBytes);
    }
    expect(refused).toBeGreaterThan(0);
    expect(spool.stats()).toMatchObject({ points: taken, dropped: 0 });
    // Oldest first, exactly what was taken.
    expect(await drain(spool)).toStrictEqual(range(0, taken).map((p) => p.fields.seq));
  });

  it('keeps a segment out for replay until acknowledged; a release puts it back first in line', async () => {
    const spool = new TelemetrySpool({ dir, maxBytes: 1 << 20 }, log);
    await spool.open();
    await spool.append(range(0, 10));
    const seg = await spool.peek();
    await spool.append(range(10, 10));
    spool.release(seg?.id ?? -1);
    expect(await drain(spool)).toStrictEqual(range(0, 20).map((p) => p.fields.seq));
  });

  it('skips and counts a torn last line left by a crash mid-append', async () => {
    const spool = new TelemetrySpool({ dir, maxBytes: 1 << 20 }, log);
    await spool.open();
    await spool.append(range(0, 3));
    const [file] = await readdir(dir);
    await appendFile(join(dir, file ?? ''), '["telemetry",{"site":"s"');
    const reopened = new TelemetrySpool({ dir, maxBytes: 1 << 20 }, log);
    await reopened.open();
    expect(await drain(reopened)).toStrictEqual([0, 1, 2]);
    expect(reopened.stats().dropped).toBe(1);
  });
});
