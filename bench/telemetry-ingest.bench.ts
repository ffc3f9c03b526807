/**
 * telemetry-ingest (issue 5): sustained telemetry from N alarm buttons (QoS 1, client worker
 * processes) at stepped offered rates, into (a) the gateway with its embedded store, (b) the
 * gateway writing to a real influxd, (c) a bare aedes broker storing nothing. Per level: the
 * acknowledged rate over a steady window, PUBACK latency and the broker's CPU; at the end every
 * acknowledged telemetry message is looked for in the store (embedded: rows of measurement
 * `telemetry` in telemetry.sqlite; influx: SELECT count(battery) FROM raw.telemetry).
 * "Sustained" = acknowledged ≥ 95 % of offered, PUBACK p99 < 1 s, nothing dropped, and (gateway)
 * every acknowledged message of the level's own devices found in the store (stored ≥ acknowledged:
 * under back-pressure readings the gateway took may still lack their PUBACK when a worker stops).
 *
 * `--client lean` offers the load from bench/lean-client.ts (raw sockets, one process costing far
 * less CPU per message than the broker), each level with ceil(rate ÷ --device-rate) devices.
 * `--rates auto` finds the ceiling (lib/ceiling.ts): bare aedes first, doubling the offered rate
 * while sustained and then refining, until it stops sustaining it; then each gateway store over
 * bare's levels; reported: each ceiling (highest sustained acked/s) and gateway ÷ bare.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { outagePort } from '../simulators/outage-port.js';
import { startBroker, type BrokerHandle, type Runtime, RUNTIME_OPTION } from './lib/broker-process.js';
import { BenchError, defineBenchmark, type BenchContext, type MetricValue, type TargetCheck } from './lib/harness.js';
import { bracket, DEFAULT_PLAN, nextRate, type CeilingPlan } from './lib/ceiling.js';
import { sampleProcess, sleep } from './lib/processes.js';
import { percentile, round } from './lib/stats.js';
import { writeSyntheticConfig } from './lib/synthetic-district.js';
import { WorkerPool, type ClientKind } from './lib/workers.js';
import { sumStats, type WorkerCommand } from './lib/worker-protocol.js';

/** Fixed --rates: gateway ÷ bare at the highest sustained level (the clients' limit, not a ceiling). */
const RATIO_TARGET = 0.25;
/** --rates auto: gateway ÷ bare at the ceiling (issue 19 goal). */
const CEILING_RATIO_TARGET = 0.5;
/** The shipped mqtt.rateLimit.messagesPerSecond (gateway/config/schema.ts): one lean device stays below it. */
const SHIPPED_DEVICE_LIMIT = 50;
/** A missed level whose broker waited this share of the window for a CPU was starved by the machine's other work. */
const STARVED_WAIT_PCT = 40;
type Target = 'embedded' | 'influx' | 'bare';

const options = {
  devices: { default: 2000, min: 1, description: 'alarm buttons sending telemetry (QoS 1), one connection each; every level uses its own N devices (mqttjs client; the lean client uses rate ÷ --device-rate)' },
  perSite: { default: 20, min: 1, description: 'buttons per synthetic school' },
  rates: { default: '1000,2000,4000', description: "offered telemetry rates (messages/s), one level each, ascending; 'auto': find the ceiling (bare aedes first, doubling from --start, then refining; gateway stores over bare's levels)" },
  client: { default: 'mqttjs', choices: ['mqttjs', 'lean'], description: 'load client: mqttjs (full client, a timer per device) or lean (raw sockets, bench/lean-client.ts)' },
  deviceRate: { default: 40, min: 1, description: `lean client: messages/s per device (devices per level = ceil(rate ÷ this); under the shipped mqtt.rateLimit of ${SHIPPED_DEVICE_LIMIT}/s)` },
  batch: { default: 4, min: 1, description: 'lean client: messages due to a device before it writes them, in one socket write' },
  window: { default: 16, min: 1, description: 'lean client: unacknowledged publishes per connection at most (beyond: not sent, counted)' },
  start: { default: DEFAULT_PLAN.start, min: 1, description: '--rates auto: first offered rate' },
  maxLevels: { default: DEFAULT_PLAN.maxLevels, min: 1, description: '--rates auto: levels per target at most' },
  ceilingMinutes: { default: 45, min: 1, description: '--rates auto: no new level is started after this many minutes (all targets)' },
  seconds: { default: 20, min: 5, description: 'measured window per level (after every device has connected)' },
  workers: { default: 2, min: 1, description: 'client worker processes' },
  targets: { default: 'embedded,influx,bare', description: 'in order: embedded, influx, bare' },
  influxd: { default: '/usr/bin/influxd', description: 'InfluxDB 1.x server binary' },
  runtime: RUNTIME_OPTION,
  gatewayEntry: { default: '', description: 'another gateway entry speaking bench/lib/broker-control.ts, to try a change without editing the tree' },
} as const;

interface Level {
  offered: number;
  acked: number;
  ackedRate: number;
  pubackP50Ms: number;
  pubackP99Ms: number;
  failed: number;
  cpuPctCore: number;
  /** Share of the window the broker's main thread waited for a CPU (shared cores). */
  runqueuePct: number;
  storeCpuPctCore: number;
  dropped: number;
  /** Acknowledged over the whole level (connect burst and drain included). */
  levelAcked: number;
  /** Publishes still unanswered when the clients closed after the drain wait (0: every one answered). */
  unanswered: number;
  written: number;
  /** Points still in memory or in the disk spool when the level ended (not yet in the store; on disk they are kept). */
  pending: number;
  /** Telemetry rows found in the store for this level's devices (gateway targets). */
  stored?: number;
  /** Max GET /api/health answer time during the window (gateway only). */
  httpMaxMs: number;
  sustained: boolean;
  /** Missed while waiting for a CPU (≥ STARVED_WAIT_PCT of the window, or the client late): --rates auto runs it again. */
  starved?: boolean;
  /** The level's devices: indexes [from, to) of the synthetic district. */
  from: number;
  to: number;
  /** CPU of the busiest client process during the window (% of a core), and of all of them. */
  clientCpuPctMax: number;
  clientCpuPctTotal: number;
  /** Lean client, during the window: written, not sent for a full window (broker behind), not sent in time (client behind). */
  sent: number;
  windowFull: number;
  late: number;
}

const sum = sumStats;

/**
 * Time the process's main thread (its event loop) has spent runnable but waiting for a CPU
 * (Linux /proc/<pid>/schedstat, 2nd field, ns): on shared cores this, not the gateway, is
 * often where latency comes from.
 */
function runqueueWaitMs(pid: number): number {
  try {
    return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[1]) / 1e6;
  } catch {
    return NaN;
  }
}

/** influxd on loopback with a throw-away data dir (as simulators/influxd.ts, minimal config). */
async function startInfluxd(ctx: BenchContext, binary: string, dir: string): Promise<{ url: string; pid: number }> {
  const [port, rpc] = [await outagePort(), await outagePort()];
  mkdirSync(dir, { recursive: true });
  const conf = join(dir, 'influxdb.conf');
  writeFileSync(
    conf,
    [
      'reporting-disabled = true',
      `bind-address = "127.0.0.1:${rpc}"`,
      '[meta]', `  dir = "${join(dir, 'meta')}"`, '  logging-enabled = false',
      '[data]', `  dir = "${join(dir, 'data')}"`, `  wal-dir = "${join(dir, 'wal')}"`, '  query-log-enabled = false',
      '[monitor]', '  store-enabled = false',
      '[http]', `  bind-address = "127.0.0.1:${port}"`, '  log-enabled = false',
      '[logging]', '  level = "warn"', '  suppress-logo = true',
    ].join('\n'),
  );
  const child = spawn(binary, ['run', '-config', conf], { stdio: ['ignore', 'ignore', 'ignore'] });
  ctx.track(child);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const ok = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(1000) }).then((r) => r.status === 204, () => false);
    if (ok && child.pid !== undefined) return { url, pid: child.pid };
    await sleep(100, ctx.signal);
  }
  throw new BenchError('BENCH_ERR_INFLUXD', `influxd not answering /ping on ${port}`);
}

interface StoreView {
  written: number;
  buffered: number;
  dropped: number;
  spooled: number;
  /** How long GET /api/health took: the gateway's event loop as a client sees it. */
  answerMs: number;
}

/** The gateway's own telemetry counters (GET /api/health); undefined for bare aedes or no answer in 60 s. */
async function telemetryStats(broker: BrokerHandle): Promise<StoreView | undefined> {
  if (broker.httpPort === undefined) return undefined;
  const t0 = performance.now();
  try {
    const res = await fetch(`http://127.0.0.1:${broker.httpPort}/api/health`, { signal: AbortSignal.timeout(60_000) });
    const body = (await res.json()) as { telemetry?: Omit<StoreView, 'answerMs'> };
    return body.telemetry ? { ...body.telemetry, answerMs: performance.now() - t0 } : undefined;
  } catch {
    return undefined;
  }
}

/** Index of a synthetic device from its id (`bench-s00012-btn-003`, lib/synthetic-district.ts). */
function deviceIndex(id: string, perSite: number): number {
  const m = /^bench-s(\d+)-btn-(\d+)$/.exec(id);
  return m ? Number(m[1]) * perSite + Number(m[2]) : -1;
}

/** Rows of measurement `telemetry` in the embedded store (one row per device and timestamp), by device. */
function countEmbedded(dataDir: string): Map<string, number> {
  const file = readdirSync(join(dataDir), { recursive: true }).map(String).find((f) => f.endsWith('telemetry.sqlite'));
  if (!file) throw new BenchError('BENCH_ERR_STORE', `no telemetry.sqlite under ${dataDir}`);
  const db = new Database(join(dataDir, file), { readonly: true });
  const out = new Map<string, number>();
  try {
    // Day tables plus the staging table (telemetry-embedded-sql.ts); a (sid, at) in both is one point (UNION).
    const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND (name GLOB 'p_[0-9]*' OR name = 'recent')`).all() as { name: string }[];
    if (tables.length === 0) return out;
    const points = tables.map(({ name }) => `SELECT sid, at FROM ${name}`).join(' UNION ');
    const rows = db.prepare(`SELECT s.device AS device, count(*) AS n FROM (${points}) p JOIN series s ON s.id = p.sid WHERE s.measurement = 'telemetry' GROUP BY s.device`).all() as { device: string; n: number }[];
    for (const r of rows) out.set(r.device, r.n);
    return out;
  } finally {
    db.close();
  }
}

async function countInflux(url: string): Promise<Map<string, number>> {
  const q = encodeURIComponent('SELECT count(battery) FROM "campus"."raw"."telemetry" GROUP BY "device"');
  const res = await fetch(`${url}/query?db=campus&q=${q}`, { signal: AbortSignal.timeout(120_000) });
  const body = (await res.json()) as { results?: { series?: { tags?: { device?: string }; values?: [string, number][] }[] }[] };
  const out = new Map<string, number>();
  for (const s of body.results?.[0]?.series ?? []) if (s.tags?.device) out.set(s.tags.device, s.values?.[0]?.[1] ?? 0);
  return out;
}

interface TargetResult {
  levels: Level[];
  totalAcked: number;
  stored: number | null;
  maxSustained: number;
  /** The search stopped at the time cap (--rates auto). */
  capped: boolean;
}

interface MeasureOptions {
  perSite: number;
  seconds: number;
  runtime: string;
  gatewayEntry: string;
  influxd: string;
  workers: number;
  client: ClientKind;
  window: number;
  batch: number;
}

/** Which levels a target runs: the next offered rate given those measured (undefined: done), devices per rate, and a bound on all devices configured. */
interface LevelPlan {
  next(levels: readonly Level[]): number | undefined;
  devicesFor(rate: number): number;
  configDevices: number;
  /** No level is started after this (Date.now()). */
  deadline: number;
}

async function measure(target: Target, o: MeasureOptions, plan: LevelPlan, ctx: BenchContext, tmp: string): Promise<TargetResult> {
  const dir = join(tmp, target);
  mkdirSync(dir, { recursive: true });
  let influx: { url: string; pid: number } | undefined;
  if (target === 'influx') influx = await startInfluxd(ctx, o.influxd, join(dir, 'influxd'));
  const configFile = join(dir, 'gateway.yaml');
  const dataDir = join(dir, 'data');
  // Each level has its own devices: a device reconnecting with seq restarting at 1 within 5
  // minutes would have its messages dropped as duplicates (gateway/core/devices/pipeline.ts SEQ_TTL_MS).
  if (target !== 'bare') writeSyntheticConfig(configFile, { devices: plan.configDevices, perSite: o.perSite, dataDir, persistence: 'level', heartbeatSeconds: 60 });
  const env: Record<string, string> =
    target === 'bare'
      ? { MQTT_HOST: '127.0.0.1', MQTT_PORT: '0' }
      : { BENCH_GATEWAY_CONFIG: configFile, DATA_DIR: dataDir, LOG_LEVEL: 'warn', HTTP_HOST: '127.0.0.1', HTTP_PORT: '0', MQTT_HOST: '127.0.0.1', MQTT_PORT: '0', INFLUX_URL: influx?.url ?? '' };
  const broker = await startBroker(ctx, target === 'bare' ? 'bare' : 'gateway', { env, timeoutMs: 180_000, runtime: o.runtime as Runtime, ...(target !== 'bare' && o.gatewayEntry ? { script: o.gatewayEntry } : {}) });
  ctx.log(`${target}: broker up in ${(broker.startMs / 1000).toFixed(1)} s`);
  const pool = new WorkerPool(ctx, o.workers, { client: o.client });
  const levels: Level[] = [];
  let totalAcked = 0;
  let capped = false;
  let first = 0;
  try {
    for (let offered = plan.next(levels); offered !== undefined; offered = plan.next(levels)) {
      if (Date.now() > plan.deadline) {
        capped = true;
        ctx.log(`${target}: time cap reached, no level at ${offered}/s`);
        break;
      }
      const devices = plan.devicesFor(offered);
      if (first + devices > plan.configDevices) throw new BenchError('BENCH_ERR_DEVICES', `${target} @ ${offered}/s: ${devices} more devices exceed the ${plan.configDevices} configured`);
      const per = Math.ceil(devices / pool.size);
      const heartbeatMs = (devices * 1000) / offered;
      const commands: WorkerCommand[] = pool.children.map((_c, i) => ({
        cmd: 'connect', url: `mqtt://127.0.0.1:${broker.mqttPort}`, from: first + Math.min(devices, i * per), to: first + Math.min(devices, (i + 1) * per), perSite: o.perSite,
        inflight: 100, heartbeatMs, connectTimeoutMs: 30_000, keepaliveSeconds: 60, retainStatus: false, subscribe: false, window: o.window, batch: o.batch,
      }));
      const range = { from: first, to: first + devices };
      first += devices;
      const written0 = (await telemetryStats(broker))?.written ?? NaN;
      await pool.request(commands, 'connect-done', 300_000);
      // One period (the lean client: 2 s) for the connect burst to settle, then the measured window.
      await sleep(o.client === 'lean' ? 2000 : Math.min(5000, heartbeatMs), ctx.signal);
      const s0 = await pool.requestAll({ cmd: 'stats', latencies: true }, 'stats', 30_000);
      const c0 = pool.cpuMsEach();
      const b0 = broker.sample();
      const w0 = runqueueWaitMs(broker.pid);
      const i0 = influx ? sampleProcess(influx.pid) : undefined;
      const t0 = performance.now();
      const d0 = (await telemetryStats(broker))?.dropped ?? 0;
      // The gateway's HTTP answer time during the load, sampled every 2 s.
      const answers: number[] = [];
      const until = performance.now() + o.seconds * 1000;
      while (performance.now() < until) {
        await sleep(Math.min(2000, Math.max(0, until - performance.now())), ctx.signal);
        if (broker.httpPort !== undefined && performance.now() < until) {
          const v = await telemetryStats(broker);
          answers.push(v?.answerMs ?? 60_000);
        }
      }
      const s1 = await pool.requestAll({ cmd: 'stats', latencies: true }, 'stats', 30_000);
      const t1 = performance.now();
      const b1 = broker.sample();
      const c1 = pool.cpuMsEach();
      const clientPct = c1.map((c, i) => (100 * (c - (c0[i] ?? NaN))) / (b1.at - b0.at));
      const w1 = runqueueWaitMs(broker.pid);
      const i1 = influx ? sampleProcess(influx.pid) : undefined;
      // Every publish answered before the count (a PUBACK still on its way is not a loss, and
      // would otherwise show as stored > acknowledged); bounded, the rest counted as unanswered.
      await pool.requestAll({ cmd: 'disconnect', drainMs: 90_000 }, 'disconnected', 120_000);
      const sEnd = await pool.requestAll({ cmd: 'stats', latencies: false }, 'stats', 30_000);
      const levelAcked = sum(sEnd, 'telemetryAcked');
      totalAcked += levelAcked;
      // Let the store catch up before the next level (bounded: a store that cannot is the finding),
      // its disk spool included (InfluxDB: a batch slower than its timeout is spooled, then replayed).
      let ts = await telemetryStats(broker);
      for (let i = 0; i < 120 && ts && (ts.buffered > 0 || ts.spooled > 0); i++) {
        await sleep(500, ctx.signal);
        ts = await telemetryStats(broker);
      }
      const acked = sum(s1, 'telemetryAcked') - sum(s0, 'telemetryAcked');
      const puback = s1.flatMap((s) => s.pubackMs ?? []);
      const level: Level = {
        offered,
        acked,
        ackedRate: acked / ((t1 - t0) / 1000),
        pubackP50Ms: percentile(puback, 50),
        pubackP99Ms: percentile(puback, 99),
        failed: sum(sEnd, 'telemetryFailed'),
        cpuPctCore: (100 * (b1.cpuMs - b0.cpuMs)) / (b1.at - b0.at),
        runqueuePct: (100 * (w1 - w0)) / (b1.at - b0.at),
        storeCpuPctCore: i0 && i1 ? (100 * (i1.cpuMs - i0.cpuMs)) / (i1.at - i0.at) : 0,
        dropped: (ts?.dropped ?? 0) - d0,
        levelAcked,
        unanswered: sum(sEnd, 'telemetryUnanswered'),
        // Points the gateway's store counted as written (all measurements, telemetry being nearly all).
        written: (ts?.written ?? NaN) - written0,
        httpMaxMs: answers.length ? Math.max(...answers) : NaN,
        pending: (ts?.buffered ?? 0) + (ts?.spooled ?? 0),
        sustained: false,
        ...range,
        clientCpuPctMax: Math.max(...clientPct),
        clientCpuPctTotal: clientPct.reduce((a, b) => a + b, 0),
        sent: sum(s1, 'telemetrySent') - sum(s0, 'telemetrySent'),
        windowFull: sum(s1, 'windowFull') - sum(s0, 'windowFull'),
        late: sum(s1, 'late') - sum(s0, 'late'),
      };
      level.sustained = level.ackedRate >= 0.95 * offered && level.pubackP99Ms < 1000 && level.failed === 0 && level.dropped === 0;
      level.starved = !level.sustained && (level.runqueuePct >= STARVED_WAIT_PCT || level.late > 0.01 * offered * o.seconds);
      levels.push(level);
      ctx.log(
        `${target} @ ${offered}/s (${devices} devices): ${level.ackedRate.toFixed(0)}/s acked, PUBACK p99 ${level.pubackP99Ms.toFixed(1)} ms, CPU ${level.cpuPctCore.toFixed(0)} % (waited for a CPU ${level.runqueuePct.toFixed(0)} %), client CPU ${level.clientCpuPctTotal.toFixed(0)} % (busiest process ${level.clientCpuPctMax.toFixed(0)} %)` +
          `${o.client === 'lean' ? `, not sent: ${level.windowFull} window full, ${level.late} late` : ''}, /api/health max ${level.httpMaxMs.toFixed(0)} ms${influx ? ` (+influxd ${level.storeCpuPctCore.toFixed(0)} %)` : ''}, dropped ${level.dropped}; level: ${level.levelAcked} acked, ${level.unanswered} unanswered at close, store counted ${level.written} written; ${level.sustained ? 'sustained' : 'NOT sustained'}`,
      );
    }
  } finally {
    await pool.stop();
  }
  await broker.stop();
  let stored: number | null = null;
  const byDevice = target === 'embedded' ? countEmbedded(dataDir) : target === 'influx' && influx ? await countInflux(influx.url) : undefined;
  if (byDevice) {
    stored = [...byDevice.values()].reduce((a, b) => a + b, 0);
    // Per level: its devices are [from, to).
    for (const l of levels) l.stored = 0;
    for (const [id, n] of byDevice) {
      const i = deviceIndex(id, o.perSite);
      const l = levels.find((x) => i >= x.from && i < x.to);
      if (l) l.stored = (l.stored ?? 0) + n;
    }
    for (const l of levels) {
      // More stored than acknowledged is no loss: under back-pressure the gateway holds readings
      // whose PUBACK had not reached the client when its worker stopped (QoS 1: it would resend).
      if ((l.stored ?? 0) < l.levelAcked) l.sustained = false;
    }
  }
  const maxSustained = Math.max(0, ...levels.filter((l) => l.sustained).map((l) => l.ackedRate));
  ctx.log(`${target}: ${totalAcked} acknowledged, ${stored ?? 'n/a'} stored`);
  return { levels, totalAcked, stored, maxSustained, capped };
}

/** The broker's CPU (all its threads) per acknowledged message, µs. */
function cpuUsPerAck(l: Level): number {
  return (l.cpuPctCore * 1e4) / l.ackedRate;
}

/**
 * What limited the first level bare aedes did not sustain: the client (a client process at ≥ 90 %
 * of a core), the machine (more than 1 % of the window's messages late from a client that was not
 * busy: it waited for a CPU; or bare aedes below 80 % of a core: it waited for a CPU rather than
 * ran out of one), or the broker. null: no level was missed.
 */
function limitOf(miss: Level | undefined, seconds: number): 'client' | 'machine' | 'broker' | null {
  if (!miss) return null;
  if (miss.clientCpuPctMax >= 90) return 'client';
  if (miss.late > 0.01 * miss.offered * seconds || miss.cpuPctCore < 80) return 'machine';
  return 'broker';
}

export const benchmark = defineBenchmark({
  description: 'sustained telemetry ingest (QoS 1) at stepped rates: gateway + embedded store, gateway + influxd, bare aedes; loss check by counting stored points',
  options,
  async run(o, ctx) {
    const auto = o.rates === 'auto';
    const rates = auto ? [] : o.rates.split(',').map(Number);
    if (rates.some((r) => !(r > 0))) throw new BenchError('BENCH_ERR_ARGS', `--rates: '${o.rates}'`);
    let targets = o.targets.split(',').map((s) => s.trim()) as Target[];
    for (const t of targets) if (!['embedded', 'influx', 'bare'].includes(t)) throw new BenchError('BENCH_ERR_ARGS', `--targets: '${t}'`);
    const client = o.client as ClientKind;
    const mo: MeasureOptions = { perSite: o.perSite, seconds: o.seconds, runtime: o.runtime, gatewayEntry: o.gatewayEntry, influxd: o.influxd, workers: o.workers, client, window: o.window, batch: o.batch };
    // The lean client keeps each device under the gateway's per-device rate limit as shipped
    // (mqtt.rateLimit.messagesPerSecond 50): more devices at a higher rate, not a raised limit.
    const devicesFor = (rate: number) => (client === 'lean' ? Math.ceil(rate / o.deviceRate) : o.devices);
    const tmp = mkdtempSync(join(tmpdir(), 'bench-ingest-'));
    ctx.defer(() => rmSync(tmp, { recursive: true, force: true }));
    const results = new Map<Target, TargetResult>();
    if (auto) {
      // Bare aedes first: its levels are the gateway stores' ladder.
      if (!targets.includes('bare')) throw new BenchError('BENCH_ERR_ARGS', '--rates auto needs bare in --targets (the ceiling is bare aedes\'s)');
      targets = ['bare', ...targets.filter((t) => t !== 'bare')];
      const deadline = Date.now() + o.ceilingMinutes * 60_000;
      const base: CeilingPlan = { ...DEFAULT_PLAN, start: o.start, maxLevels: o.maxLevels };
      const bare = await measure('bare', mo, { next: (lv) => nextRate(lv, base), devicesFor, configDevices: Number.MAX_SAFE_INTEGER, deadline }, ctx, tmp);
      results.set('bare', bare);
      const ladder = [...new Set(bare.levels.map((l) => l.offered))].sort((a, b) => a - b);
      ctx.log(`bare aedes: ceiling ${bare.maxSustained.toFixed(0)}/s; gateway levels from ${ladder.join(', ')}`);
      for (const t of targets.filter((x) => x !== 'bare')) {
        if (ladder.length === 0) break;
        const plan: CeilingPlan = { ...base, ladder };
        // Its levels: bare's, ascending, up to its first unsustained one, then refinements below that.
        const top = devicesFor(Math.max(...ladder));
        const configDevices = Math.min(o.maxLevels * top, ladder.reduce((n, r) => n + devicesFor(r), 0) + base.refineSteps * top);
        results.set(t, await measure(t, mo, { next: (lv) => nextRate(lv, plan), devicesFor, configDevices, deadline }, ctx, tmp));
      }
    } else {
      const configDevices = rates.reduce((a, r) => a + devicesFor(r), 0);
      for (const t of targets) results.set(t, await measure(t, mo, { next: (lv) => rates[lv.length], devicesFor, configDevices, deadline: Infinity }, ctx, tmp));
    }

    const metrics: Record<string, MetricValue> = {};
    const rows: (string | number)[][] = [];
    for (const [t, r] of results) {
      for (const l of r.levels) {
        const k = `${t}.${l.offered}`;
        metrics[`${k}.ackedPerSecond`] = round(l.ackedRate, 0);
        metrics[`${k}.pubackP99Ms`] = round(l.pubackP99Ms);
        metrics[`${k}.cpuPctCore`] = round(l.cpuPctCore, 1);
        metrics[`${k}.cpuUsPerAck`] = round(cpuUsPerAck(l), 1);
        metrics[`${k}.runqueueWaitPct`] = round(l.runqueuePct, 1);
        if (t === 'influx') metrics[`${k}.influxdCpuPctCore`] = round(l.storeCpuPctCore, 1);
        metrics[`${k}.dropped`] = l.dropped;
        metrics[`${k}.levelAcked`] = l.levelAcked;
        metrics[`${k}.storeWritten`] = Number.isFinite(l.written) ? l.written : null;
        metrics[`${k}.stored`] = l.stored ?? null;
        metrics[`${k}.unanswered`] = l.unanswered;
        metrics[`${k}.pendingAtEnd`] = l.pending;
        metrics[`${k}.httpMaxMs`] = round(l.httpMaxMs, 0);
        metrics[`${k}.devices`] = l.to - l.from;
        metrics[`${k}.clientCpuPctCore`] = round(l.clientCpuPctTotal, 1);
        metrics[`${k}.clientCpuPctBusiest`] = round(l.clientCpuPctMax, 1);
        if (client === 'lean') {
          metrics[`${k}.windowFull`] = l.windowFull;
          metrics[`${k}.late`] = l.late;
        }
        metrics[`${k}.sustained`] = l.sustained;
        rows.push([
          t, l.offered, l.to - l.from, round(l.ackedRate, 0) ?? 0, round(l.pubackP50Ms) ?? 0, round(l.pubackP99Ms) ?? 0, round(l.cpuPctCore, 1) ?? 0, round(cpuUsPerAck(l), 1) ?? 0, round(l.runqueuePct, 1) ?? 0,
          `${round(l.clientCpuPctTotal, 0) ?? '?'} (${round(l.clientCpuPctMax, 0) ?? '?'})`, client === 'lean' ? `${l.windowFull} / ${l.late}` : '',
          t === 'influx' ? round(l.storeCpuPctCore, 1) ?? 0 : '', t === 'bare' ? '' : round(l.httpMaxMs, 0) ?? 'none', l.levelAcked, l.unanswered, l.stored ?? '', l.dropped, l.sustained ? 'yes' : l.starved ? 'no (starved)' : 'no',
        ]);
      }
      if (auto) metrics[`${t}.ceilingPerSecond`] = round(r.maxSustained, 0);
      metrics[`${t}.maxSustainedPerSecond`] = round(r.maxSustained, 0);
      metrics[`${t}.totalAcked`] = r.totalAcked;
      metrics[`${t}.stored`] = r.stored;
    }
    const targetsOut: TargetCheck[] = [];
    const bare = results.get('bare');
    const notes: string[] = [];
    const ratioTarget = auto ? CEILING_RATIO_TARGET : RATIO_TARGET;
    /** --rates auto: bare aedes's ceiling is its own (not the client's or the machine's); a ratio to another is no ceiling ratio. */
    let bareCeiling = true;
    if (auto && bare) {
      // At the first level bare aedes did not sustain: was it the limit, the client, or the shared machine?
      const { hi } = bracket(bare.levels);
      const miss = bare.levels.find((l) => l.offered === hi);
      const limit = limitOf(miss, o.seconds);
      bareCeiling = limit === 'broker';
      metrics['bare.limit'] = limit;
      metrics['bare.ceilingFound'] = limit === 'broker';
      targetsOut.push({
        name: 'bare aedes saturated: it stopped sustaining a level near a full core, and neither the client nor the machine was the limit there',
        met: limit === 'broker',
        detail: miss
          ? `at ${miss.offered}/s: ${miss.ackedRate.toFixed(0)}/s acked, PUBACK p99 ${miss.pubackP99Ms.toFixed(0)} ms, bare aedes ${miss.cpuPctCore.toFixed(0)} % CPU (waited ${miss.runqueuePct.toFixed(0)} %), busiest client process ${miss.clientCpuPctMax.toFixed(0)} %, not sent ${miss.windowFull} (window full) / ${miss.late} (client late)`
          : `bare aedes sustained every level tried (up to ${Math.max(0, ...bare.levels.map((l) => l.offered))}/s): no ceiling (raise --max-levels or --ceiling-minutes)`,
      });
      if (miss === undefined) notes.push('no ceiling: bare aedes sustained every level tried; the ratios below are not at a ceiling');
      else if (limit === 'client') notes.push(`the CLIENT, not bare aedes, was the limit at ${miss.offered}/s (busiest client process ${miss.clientCpuPctMax.toFixed(0)} % of a core, ${miss.late} messages not sent in time): this is no ceiling of bare aedes; add --workers or lower the client's cost`);
      else if (limit === 'machine') notes.push(`the shared MACHINE, not bare aedes, was the limit at ${miss.offered}/s: bare aedes ran ${miss.cpuPctCore.toFixed(0)} % of a core and waited ${miss.runqueuePct.toFixed(0)} % of the window for a CPU, the client (busiest process ${miss.clientCpuPctMax.toFixed(0)} %) sent ${miss.late} messages too late to count: a ceiling of this machine's load, not of bare aedes; run again on a quieter machine`);
      for (const r of results.values()) if (r.capped) notes.push(`the --ceiling-minutes cap (${o.ceilingMinutes}) stopped the search before it was done`);
    }
    for (const t of ['embedded', 'influx'] as const) {
      const r = results.get(t);
      if (!r) continue;
      const short = r.levels.filter((l) => l.stored === undefined || l.stored < l.levelAcked);
      targetsOut.push({
        name: `${t}: every acknowledged telemetry message stored (per level: stored ≥ acknowledged, nothing dropped)`,
        met: r.stored !== null && short.length === 0 && r.levels.every((l) => l.dropped === 0),
        detail: `${r.stored} stored of ${r.totalAcked} acknowledged; ${r.levels.map((l) => `${l.offered}/s: ${l.stored ?? '?'} of ${l.levelAcked} (+${l.unanswered} unanswered at close), dropped ${l.dropped}${l.pending ? `, ${l.pending} buffered or spooled when the level ended` : ''}`).join('; ')}`,
      });
      if (bare && bare.maxSustained > 0) {
        const ratio = r.maxSustained / bare.maxSustained;
        metrics[`ratio.${t}`] = round(ratio, 3);
        targetsOut.push({
          name: `${t}: ${auto ? 'ceiling' : 'sustained rate'} gateway / bare aedes ≥ ${ratioTarget}`,
          met: ratio >= ratioTarget && bareCeiling,
          detail: `${ratio.toFixed(2)} (${r.maxSustained.toFixed(0)}/s vs ${bare.maxSustained.toFixed(0)}/s)${bareCeiling ? '' : `; not a ceiling ratio: bare aedes ${metrics['bare.limit'] ? `was limited by the ${String(metrics['bare.limit'])}, not itself` : 'sustained every level tried'}`}`,
        });
        // Less noisy than ceilings on a shared machine: broker CPU per acknowledged message at the
        // highest offered rate both sustained (bare ÷ gateway: about the ceiling ratio when CPU limits both).
        const common = Math.max(0, ...r.levels.filter((l) => l.sustained && bare.levels.some((b) => b.sustained && b.offered === l.offered)).map((l) => l.offered));
        const g = r.levels.find((l) => l.offered === common);
        const b = bare.levels.find((l) => l.offered === common);
        if (g && b) {
          metrics[`cpuRatio.${t}`] = round(cpuUsPerAck(b) / cpuUsPerAck(g), 3);
          notes.push(`${t}: ${cpuUsPerAck(g).toFixed(1)} µs of broker CPU per acknowledged message vs bare aedes ${cpuUsPerAck(b).toFixed(1)} µs at ${common}/s (bare ÷ gateway ${(cpuUsPerAck(b) / cpuUsPerAck(g)).toFixed(2)}: about the ceiling ratio when CPU is what limits both)`);
        }
      }
    }
    const top = Math.max(0, ...rates);
    notes.push(
      auto
        ? `rates are offered by ${o.workers} ${client} client process(es) on the same 2 shared cores, ${client === 'lean' ? `each device at ${o.deviceRate}/s at most` : `${o.devices} devices per level`}; the ceiling is a target's highest sustained acknowledged rate`
        : `rates are offered by ${o.workers} client processes on the same 2 shared cores: when gateway and bare aedes both sustain the top level (${top}/s) the ratio only says the gateway kept up with what the clients could offer (raise --rates, or --rates auto --client lean)`,
      'a level is sustained when ≥ 95 % of the offered rate is acknowledged with PUBACK p99 < 1 s, the store dropped nothing and (gateway) every acknowledged message of the level is in the store (stored ≥ acknowledged; the clients wait up to 90 s for every PUBACK before closing, so stored = acknowledged + `unanswered at close`, and unanswered is 0 unless the gateway held readings longer than that)',
    );
    if (client === 'lean' && o.deviceRate > SHIPPED_DEVICE_LIMIT) notes.push(`--device-rate ${o.deviceRate} is above the shipped per-device limit (${SHIPPED_DEVICE_LIMIT}/s): the gateway throttles each device`);
    return { metrics, tables: [{ title: 'telemetry ingest', columns: ['target', 'offered/s', 'devices', 'acked/s', 'PUBACK p50 ms', 'PUBACK p99 ms', 'broker CPU %', 'CPU µs/msg', 'CPU wait %', 'client CPU % (busiest)', 'not sent: window full / late', 'influxd CPU %', 'health max ms', 'acked (level)', 'unanswered at close', 'stored', 'dropped', 'sustained'], rows }], targets: targetsOut, notes };
  },
});
