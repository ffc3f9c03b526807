/**
 * InfluxDB-specific behaviour against a real influxd: outages under load, the disk spool and
 * its bound, replay by a new instance, hung servers, refused points, downsampling.
 */
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createInfluxStore, type InfluxStoreOptions, type InfluxTelemetryStore } from '../../../gateway/store/telemetry-influx.js';
import { point } from '../../contract/telemetry-store-contract.js';
import { startInfluxd, type InfluxdHandle } from '../../../simulators/influxd.js';
import { STORE_THREAD_NICE } from '../../../gateway/store/thread-priority.js';
import { threadsAtNice } from '../../helpers/threads.js';

const log = pino({ level: 'silent' });
const HOUR = 3_600_000;
const T0 = Math.floor((Date.now() - 2 * HOUR) / HOUR) * HOUR;

let influxd: InfluxdHandle;
let n = 0;
const cleanup: (() => Promise<void>)[] = [];

beforeAll(async () => {
  influxd = await startInfluxd();
});

afterAll(async () => {
  await influxd?.stop();
});

afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'telemetry-spool-'));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function makeStore(over: Partial<InfluxStoreOptions> = {}): Promise<InfluxTelemetryStore> {
  const store = createInfluxStore(
    { url: influxd.url, database: `it_${++n}`, spoolDir: await tempDir(), probeMinMs: 20, probeMaxMs: 200, ...over },
    log,
  );
  cleanup.push(() => store.stop());
  return store;
}

async function influxQuery(db: string, q: string): Promise<unknown[][]> {
  const res = await fetch(`${influxd.url}/query`, { method: 'POST', body: new URLSearchParams({ db, q, epoch: 'ms' }) });
  const body = (await res.json()) as { results: { series?: { values: unknown[][] }[]; error?: string }[] };
  if (body.results[0]?.error) throw new Error(body.results[0].error);
  return body.results[0]?.series?.[0]?.values ?? [];
}

async function continuousQueries(db: string): Promise<unknown[][]> {
  const res = await fetch(`${influxd.url}/query`, { method: 'POST', body: new URLSearchParams({ q: 'SHOW CONTINUOUS QUERIES' }) });
  const body = (await res.json()) as { results: { series?: { name: string; values?: unknown[][] }[] }[] };
  return body.results[0]?.series?.find((s) => s.name === db)?.values ?? [];
}

async function countPoints(db: string, field = 'seq', rp = 'raw'): Promise<number> {
  const rows = await influxQuery(db, `SELECT count("${field}") FROM "${rp}"."telemetry"`);
  return Number(rows[0]?.[1] ?? 0);
}

const seqPoint = (i: number) => point(`d${i % 7}`, T0 + i, { seq: i, battery: i % 100 });

/** A TCP port nobody listens on (connections refused). */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise((r) => srv.close(r));
  return port;
}

/** Accepts connections and never answers: a hung server. */
async function blackHole(): Promise<{ url: string; server: Server; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.resume();
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  cleanup.push(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  });
  return { url: `http://127.0.0.1:${port}`, server, sockets };
}

async function spoolBytes(dir: string): Promise<number> {
  let total = 0;
  for (const f of await readdir(dir)) total += (await stat(join(dir, f))).size;
  return total;
}

describe('InfluxTelemetryStore with a real influxd', () => {
  it('loses nothing when InfluxDB dies under load and comes back', async () => {
    const store = await makeStore({ batchSize: 500, flushIntervalMs: 20 });
    await store.start();
    let written = 0;
    let running = true;
    // A steady producer: 200 points every 5 ms for as long as the test needs.
    const producer = (async () => {
      while (running) {
        store.write(Array.from({ length: 200 }, () => seqPoint(written++)));
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    await vi.waitFor(() => expect(store.stats().written).toBeGreaterThan(3000), { timeout: 15_000, interval: 10 });
    await influxd.kill();
    await vi.waitFor(() => expect(store.stats().spooled).toBeGreaterThan(5000), { timeout: 15_000, interval: 10 });
    await influxd.restart();
    const atRestart = store.stats().written;
    await vi.waitFor(() => expect(store.stats().written).toBeGreaterThan(atRestart + 3000), { timeout: 15_000, interval: 10 });
    running = false;
    await producer;
    await store.drained();
    expect(store.stats()).toMatchObject({
      written: expect.any(Number),
      buffered: 0,
      spooled: 0,
      dropped: 0,
      lastError: expect.stringMatching(/^GW_ERR_INTERNAL: InfluxDB unavailable/),
    });
    // A batch in flight when the server died may have landed and been re-sent: InfluxDB
    // overwrites the duplicate, so the count in the database is exact.
    expect(await countPoints(`it_${n}`)).toBe(written);
    expect(store.stats().written).toBeGreaterThanOrEqual(written);
  });

  it('writes from its sender thread; a thread that dies loses nothing: its batches go to the spool and back through a new one', async () => {
    const before = threadsAtNice(STORE_THREAD_NICE);
    const store = await makeStore({ batchSize: 500, flushIntervalMs: 20 });
    await store.start();
    // From source the thread runs the bundled sender (compiled: the .js file), not tsx's loader.
    expect(store.senderLoad).toBe('bundle');
    let written = 0;
    store.write(Array.from({ length: 10 }, () => seqPoint(written++)));
    await store.drained();
    // It has answered, so it is up: one more task of this process at the store threads' nice level.
    expect(threadsAtNice(STORE_THREAD_NICE)).toBe(before + 1);
    store.write(Array.from({ length: 1990 }, () => seqPoint(written++)));
    // The first batches are handed to the thread after this turn; it dies owing them.
    await new Promise((r) => setImmediate(r));
    store.crashSender();
    await store.drained();
    expect(store.stats()).toMatchObject({ buffered: 0, spooled: 0, dropped: 0, workerRestarts: 1, lastError: expect.stringMatching(/sender thread exited with code 70/) });
    expect(await countPoints(`it_${n}`)).toBe(2000);
    // The new thread carries on.
    store.write(Array.from({ length: 100 }, () => seqPoint(written++)));
    await store.drained();
    expect(await countPoints(`it_${n}`)).toBe(2100);
    expect(store.stats()).toMatchObject({ dropped: 0, workerRestarts: 1 });
    expect(store.stats().written).toBeGreaterThanOrEqual(2100);
  });

  it('keeps the spool within its bound: past it points stay in memory, readings wait, nothing is dropped', async () => {
    await influxd.kill();
    const dir = await tempDir();
    const store = await makeStore({ spoolDir: dir, spoolMaxBytes: 64 * 1024, batchSize: 250, maxBufferedPoints: 1000 });
    await store.start();
    const total = 5000;
    for (let i = 0; i < total; i += 250) {
      store.write(Array.from({ length: 250 }, (_, j) => seqPoint(i + j)));
      await store.flush();
      expect(await spoolBytes(dir)).toBeLessThanOrEqual(64 * 1024);
    }
    const { dropped, spooled, buffered } = store.stats();
    expect(dropped).toBe(0);
    expect(spooled).toBeGreaterThan(0);
    expect(spooled + buffered).toBe(total);
    // More than twice maxBufferedPoints held in memory: a device reading waits for room.
    const held = store.admit([seqPoint(total)]);
    expect(held).toBeInstanceOf(Promise);
    expect(store.stats()).toMatchObject({ waiting: 1, throttled: 1 });
    await influxd.restart();
    await held;
    await store.drained();
    expect(await countPoints(`it_${n}`)).toBe(total + 1);
    expect(store.stats()).toMatchObject({ dropped: 0, waiting: 0 });
  });

  it('replays a spool left by an earlier instance when a new one starts', async () => {
    const dir = await tempDir();
    const down = await makeStore({ url: `http://127.0.0.1:${await closedPort()}`, spoolDir: dir, database: 'replay_db' });
    await down.start();
    down.write(Array.from({ length: 3000 }, (_, i) => seqPoint(i)));
    await down.stop();
    expect(down.stats()).toMatchObject({
      written: 0,
      buffered: 0,
      spooled: 3000,
      dropped: 0,
      lastError: expect.stringMatching(/^GW_ERR_INTERNAL: InfluxDB unavailable/),
    });
    const up = await makeStore({ spoolDir: dir, database: 'replay_db' });
    await up.start();
    await up.drained();
    expect(up.stats()).toMatchObject({ written: 3000, buffered: 0, spooled: 0, dropped: 0 });
    expect(await countPoints('replay_db')).toBe(3000);
    expect(await readdir(dir)).toStrictEqual([]);
  });

  it('stops without waiting out a hung server: queued and unanswered batches go to the spool, and the next start sends them', async () => {
    const dir = await tempDir();
    const hole = await blackHole();
    // Requests would time out only after 10 minutes: stop() must not wait for them.
    const hung = await makeStore({ url: hole.url, spoolDir: dir, requestTimeoutMs: 600_000, startWaitMs: 50, database: 'stop_db', batchSize: 1000 });
    await hung.start();
    hung.write(Array.from({ length: 5000 }, (_, i) => seqPoint(i)));
    await vi.waitFor(() => expect(hole.sockets.size).toBeGreaterThan(0), { timeout: 10_000 });
    await hung.stop();
    expect(hung.stats()).toMatchObject({ written: 0, buffered: 0, spooled: 5000, dropped: 0 });
    const up = await makeStore({ spoolDir: dir, database: 'stop_db' });
    await up.start();
    await up.drained();
    expect(await countPoints('stop_db')).toBe(5000);
  });

  it('never blocks write() on a hung server: the batch times out into the spool', async () => {
    const hole = await blackHole();
    const store = await makeStore({ url: hole.url, requestTimeoutMs: 300, startWaitMs: 50, database: 'hung_db' });
    await store.start();
    const result = store.write(Array.from({ length: 1000 }, (_, i) => seqPoint(i)));
    expect(result).toBeUndefined();
    expect(store.stats()).toMatchObject({ buffered: 1000, written: 0 });
    // The event loop keeps turning while the server says nothing.
    await new Promise((r) => setTimeout(r, 0));
    expect(store.stats()).toMatchObject({ buffered: 1000, spooled: 0 });
    await store.flush();
    expect(store.stats()).toMatchObject({ buffered: 0, spooled: 1000, dropped: 0 });
  });

  it('spills a burst bigger than its memory bound to disk while online, then sends it back', async () => {
    const dir = await tempDir();
    const store = await makeStore({ spoolDir: dir, batchSize: 500, maxInFlight: 1, maxBufferedPoints: 1000 });
    await store.start();
    const total = 20_000;
    store.write(Array.from({ length: total }, (_, i) => seqPoint(i)));
    expect(store.stats().buffered).toBe(total);
    await store.flush();
    expect(store.stats().spooled).toBeGreaterThan(0);
    await store.drained();
    expect(store.stats()).toMatchObject({ written: total, buffered: 0, spooled: 0, dropped: 0 });
    expect(await countPoints(`it_${n}`)).toBe(total);
    expect(await readdir(dir)).toStrictEqual([]);
  });

  it('counts points InfluxDB refuses (field type conflict) as dropped, without spooling them', async () => {
    const store = await makeStore();
    await store.start();
    store.write([point('d1', T0, { battery: 1 })]);
    await store.flush();
    store.write([point('d1', T0 + 1, { battery: 'low' }), point('d1', T0 + 2, { battery: 3 })]);
    await store.flush();
    expect(store.stats()).toMatchObject({
      written: 2,
      buffered: 0,
      spooled: 0,
      dropped: 1,
      lastError: expect.stringMatching(/^GW_ERR_PAYLOAD_INVALID: InfluxDB refused points.*field type conflict/),
    });
  });

  it('creates the RPs and the 5-minute CQ, and reads old ranges from the downsampled RP', async () => {
    const store = await makeStore({ retentionDays: 1, database: 'ds_db' });
    await store.start();
    const rps = await influxQuery('ds_db', 'SHOW RETENTION POLICIES');
    expect(rps.map((r) => r.slice(0, 2).concat(r[4]))).toStrictEqual(
      expect.arrayContaining([
        ['raw', '24h0m0s', true],
        ['long', '17520h0m0s', false],
      ]),
    );
    const cqs = await continuousQueries('ds_db');
    expect(cqs).toStrictEqual([['cq_telemetry_5m', expect.stringContaining('SELECT mean(*) INTO ds_db.long.telemetry')]]);
    const base = Math.floor((Date.now() - 20 * HOUR) / 300_000) * 300_000;
    store.write([
      point('d1', base + 1000, { battery: 10, power: 'mains' }),
      point('d1', base + 2000, { battery: 20 }),
      point('d1', base + 301_000, { battery: 40 }),
    ]);
    await store.flush();
    await store.downsample(base, base + 600_000);
    // from older than the 1-day raw retention: served from mean_battery in the long RP
    expect(await store.series({ deviceId: 'd1', field: 'battery', from: base - 10 * HOUR, to: base + 600_000, everyMs: 300_000 })).toStrictEqual(
      expect.arrayContaining([
        { at: base, value: 15 },
        { at: base + 300_000, value: 40 },
      ]),
    );
  });
});
