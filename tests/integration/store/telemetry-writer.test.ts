/**
 * The embedded telemetry store's writer thread (telemetry-writer.ts), real SQLite and a real
 * worker thread: points it commits are queryable, stop() drains it, and a writer that dies
 * mid-batch (exits on its own, or is terminated from outside) is replaced and given the points it
 * had not confirmed again, so nothing acknowledged is lost and nothing is stored twice.
 */
import { mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isGatewayError } from '../../../gateway/contract/errors.js';
import { createEmbeddedStore, type EmbeddedStoreOptions, type EmbeddedTelemetryStore } from '../../../gateway/store/telemetry-embedded.js';
import { point } from '../../contract/telemetry-store-contract.js';
import { storedPoints } from '../../helpers/telemetry-sqlite.js';
import { WriterThread } from '../../../gateway/store/telemetry-writer-thread.js';
import { STORE_THREAD_NICE } from '../../../gateway/store/thread-priority.js';
import { childProcesses, threadsAtNice } from '../../helpers/threads.js';

const log = pino({ level: 'silent' });
const MIN = 60_000;

describe('embedded telemetry store writer thread', () => {
  let dir: string;
  const stores: EmbeddedTelemetryStore[] = [];
  // Whole minutes, a few hours back: one day table, buckets line up.
  const T0 = Math.floor((Date.now() - 3 * 3_600_000) / MIN) * MIN;

  const make = (opts: Partial<EmbeddedStoreOptions> = {}): EmbeddedTelemetryStore => {
    const s = createEmbeddedStore({ dir, flushIntervalMs: 60_000, ...opts }, log);
    stores.push(s);
    return s;
  };
  /** Points stored (day tables and the staging table), and rows: one point can be in both until a compaction merges it. */
  const stored = () => storedPoints(join(dir, 'telemetry.sqlite'));
  const readings = (n: number, device = 'd1') => Array.from({ length: n }, (_, i) => point(device, T0 + i, { battery: i % 100, seq: i }));
  const meanBattery = (s: EmbeddedTelemetryStore, device = 'd1') => s.series({ deviceId: device, field: 'battery', from: T0, to: T0 + MIN, everyMs: MIN });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'telemetry-writer-'));
  });
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.stop();
    await rm(dir, { recursive: true, force: true });
  });

  // First in this file: the bundle is made once per process, at its first thread.
  it('from source, runs the writer bundled by esbuild (not through tsx: ~30 MB less RSS) with nothing of esbuild left running, and it commits', async () => {
    const before = threadsAtNice(STORE_THREAD_NICE);
    const esbuildBefore = childProcesses().filter((c) => c.includes('esbuild')).length;
    const writer = new WriterThread({ file: join(dir, 'telemetry.sqlite') }, () => undefined);
    try {
      expect(writer.load).toBe('bundle');
      // esbuild's buildSync would have left its service process (and a worker thread running it) for the process's life.
      expect(childProcesses().filter((c) => c.includes('esbuild')).length).toBe(esbuildBefore);
      expect(await writer.started).toBe(true);
      expect(await writer.insert(readings(3), 1)).toStrictEqual({ ok: true });
      // It runs at STORE_THREAD_NICE (Linux: one more task of this process at that level), below the event loop that handles alarms.
      expect(STORE_THREAD_NICE).toBeGreaterThan(0);
      expect(threadsAtNice(STORE_THREAD_NICE)).toBe(before + 1);
    } finally {
      await writer.close();
    }
    expect(stored().points).toBe(3);
  });

  it('commits in the writer thread: flushed points are queryable here, and stop() drains what is left', async () => {
    const s = make({ batchSize: 1500 });
    await s.start();
    s.write(readings(4000));
    await s.flush();
    expect(s.stats()).toMatchObject({ written: 4000, buffered: 0, dropped: 0, retries: 0, workerRestarts: 0 });
    // battery = i % 100 over 4000 points: mean 49.5.
    expect(await meanBattery(s)).toStrictEqual([{ at: T0, value: 49.5 }]);

    // Not flushed: stop() sends the rest to the writer, waits for its commits, then ends it.
    s.write(readings(700, 'd2'));
    expect(s.stats().buffered).toBe(700);
    await s.stop();
    expect(s.stats()).toMatchObject({ written: 4700, buffered: 0, dropped: 0 });
    const again = make();
    await again.start();
    expect(await meanBattery(again, 'd2')).toStrictEqual([{ at: T0, value: 49.5 }]);
    // The writer compacted at close: every point in a day table, once.
    expect(stored()).toStrictEqual({ points: 4700, rows: 4700, staged: 0 });
  });

  it("keeps the writer thread's young generation small: a thread that only turns batches into rows holds no 32 MB of new space", async () => {
    const s = make({ batchSize: 5000 });
    await s.start();
    // 200,000 readings in batches: enough for V8 to grow an uncapped young generation to its
    // 16 MB semi-spaces (the embedded writer's isolate held 29 MB, 16 of it new space, in
    // `npm run bench -- connections` before the cap).
    for (let round = 0; round < 40; round++) {
      s.write(Array.from({ length: 5000 }, (_, i) => point(`d${i % 500}`, T0 + round * 5000 + i, { battery: i % 100, seq: i, note: `r${round}-${i}` })));
      await s.flush();
    }
    expect(s.stats()).toMatchObject({ written: 200_000, dropped: 0 });
    // Node's diagnostic report lists each worker thread's heap (this process's other threads: none of the gateway's).
    const report = process.report.getReport() as unknown as { workers: { javascriptHeap: { heapSpaces: Record<string, { memorySize: number }> } }[] };
    const newSpaces = report.workers.map((w) => w.javascriptHeap.heapSpaces.new_space?.memorySize ?? 0);
    expect(newSpaces.length).toBeGreaterThan(0);
    // Capped (THREAD_YOUNG_GENERATION_MB): at most 8 MB of new space (measured; 32 MB without the cap).
    for (const bytes of newSpaces) expect(bytes).toBeLessThanOrEqual(8 * 1024 * 1024);
  });

  it('replaces a writer that dies between a commit and its report, and sends what it had not confirmed again', async () => {
    const s = make({ batchSize: 5000 });
    await s.start();
    // The writer commits 1,000 points per transaction: it reports the first, commits the second
    // and dies before reporting it. 4,000 points go again, 1,000 of them already on disk.
    s.crashWriter(2);
    const admitted = s.admit(readings(5000));
    // Answered once all 5,000 are committed, by the new writer.
    await admitted;
    await s.flush();
    expect(s.stats()).toMatchObject({ written: 5000, buffered: 0, dropped: 0, retries: 0, workerRestarts: 1 });
    expect(s.stats().lastError).toMatch(/writer thread died \(exit code 70\)/);
    // The new writer compacted the 2,000 its predecessor committed into the day table, then
    // staged the 4,000 sent again: 1,000 of them twice on disk for now, one point each.
    expect(stored()).toStrictEqual({ points: 5000, rows: 6000, staged: 4000 });
    expect(await meanBattery(s)).toStrictEqual([{ at: T0, value: 49.5 }]);

    // The new writer carries on.
    s.write(readings(10, 'd3'));
    await s.flush();
    expect(s.stats()).toMatchObject({ written: 5010, workerRestarts: 1 });
    // Compacted at close, merged: one row a point.
    await s.stop();
    expect(stored()).toStrictEqual({ points: 5010, rows: 5010, staged: 0 });
  });

  it('replaces a writer terminated from outside mid-stream, losing nothing acknowledged', async () => {
    const s = make({ batchSize: 1000, maxBufferedPoints: 2000 });
    await s.start();
    // The writer is up (start() does not wait for it).
    s.write([point('d0', T0, { battery: 1 })]);
    await s.flush();
    const held: Promise<void>[] = [];
    for (let i = 0; i < 6; i++) {
      const w = s.admit(readings(1000).map((p) => ({ ...p, at: p.at + i * 1000 })));
      if (w) held.push(w);
    }
    // Batches are on their way to the writer (and more wait for room) when it is killed.
    await s.terminateWriter();
    await Promise.all(held);
    await s.flush();
    expect(s.stats()).toMatchObject({ written: 6001, buffered: 0, dropped: 0, waiting: 0, retries: 0, workerRestarts: 1 });
    expect(stored().points).toBe(6001);
    await s.stop();
    expect(stored()).toStrictEqual({ points: 6001, rows: 6001, staged: 0 });
  });

  it('says clearly when the database cannot be opened', async () => {
    mkdirSync(join(dir, 'telemetry.sqlite'));
    const s = make();
    const failed = await s.start().then(
      () => 'started',
      (err: unknown) => (isGatewayError(err, 'GW_ERR_INTERNAL') ? err.message : String(err)),
    );
    expect(failed).toMatch(/telemetry database in .* unusable/);
  });
});
