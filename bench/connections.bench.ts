/**
 * connections: N simulated alarm buttons connect with their own credentials and heartbeat on
 * their v1 topics, first to the gateway, then to a bare aedes broker, with the same client
 * processes in the same run. Reports connect rate, RSS and CPU time of each broker (own
 * process, read from /proc) and the gateway/bare RSS ratio (target ≤ 1.2).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startBroker, type BrokerHandle, type BrokerKind, type Runtime, RUNTIME_OPTION } from './lib/broker-process.js';
import { BenchError, defineBenchmark, type BenchContext, type MetricValue, type OptionsOf, type TargetCheck } from './lib/harness.js';
import { MB, sleep } from './lib/processes.js';
import { percentile, round } from './lib/stats.js';
import { writeSyntheticConfig } from './lib/synthetic-district.js';
import { WorkerPool } from './lib/workers.js';
import { sumStats, type WorkerCommand } from './lib/worker-protocol.js';

const RSS_RATIO_TARGET = 1.2;
const LABELS: Record<BrokerKind, string> = { gateway: 'gateway', bare: 'bare aedes' };

const options = {
  devices: { default: 19_000, min: 1, description: 'simulated alarm buttons, one MQTT connection each' },
  perSite: { default: 20, min: 1, description: 'buttons per synthetic school' },
  heartbeat: { default: 30, min: 1, description: 'telemetry period H in seconds (±10% jitter)' },
  rounds: { default: 1, min: 1, description: 'heartbeat rounds before the steady-state figures (e.g. 11 at H=30: past the 5-minute seq window)' },
  workers: { default: 0, min: 0, description: 'client processes; 0 = one per 5,000 devices' },
  inflight: { default: 100, min: 1, description: 'connections awaiting CONNACK at once, per worker' },
  targets: { default: 'gateway,bare', description: 'brokers to measure, in order (gateway, bare)' },
  persistence: { default: 'level', choices: ['level', 'memory'], description: "the gateway's mqtt.persistence (default.yaml ships level)" },
  retainStatus: { default: false, description: 'each device also publishes a retained online status at connect, as the simulators do (its offline will is always set); aedes then scans every retained message on each SUBSCRIBE: O(N²), see README' },
  subscribe: { default: true, description: 'each device subscribes to its cmd topic' },
  keepalive: { default: 60, min: 0, description: 'MQTT keepalive in seconds (the simulators use 60)' },
  connectTimeout: { default: 300, min: 1, description: 'seconds allowed for all devices to connect' },
  runtime: RUNTIME_OPTION,
  gatewayEntry: { default: '', description: 'another gateway entry speaking bench/lib/broker-control.ts, to try a change without editing the tree' },
  bareHeapGrowth: { default: 0, min: 0, description: "bare aedes under V8's --heap-growing-percent N: 50 is what the gateway sets itself (memory.heapGrowthPercent), for a like-for-like ratio; 0 = bare aedes as Node runs it" },
  heapSnapshot: { default: false, description: 'write a heap snapshot of each broker after the heartbeat round into bench/out/' },
} as const;

type Options = OptionsOf<typeof options>;

interface Figures {
  startSeconds: number;
  idleRssMB: number;
  connected: number;
  failed: number;
  connectSeconds: number;
  connectRate: number;
  connectP50Ms: number;
  connectP99Ms: number;
  rssConnectedMB: number;
  cpuConnectSeconds: number;
  clientCpuConnectSeconds: number;
  roundComplete: boolean;
  roundSeconds: number;
  rssRoundMB: number;
  peakRssMB: number;
  cpuRoundSeconds: number;
  cpuRoundPctCore: number;
  pubackP50Ms: number;
  pubackP99Ms: number;
  telemetryFailed: number;
  dropped: number;
  perConnectionKB: number;
  rssAfterGcMB: number;
  heapUsedMB: number;
  heapTotalMB: number;
  /** Of the committed heap: old space and new space (physical size). */
  oldSpaceCommittedMB: number;
  newSpaceCommittedMB: number;
  rssAnonMB: number;
  rssFileMB: number;
  externalMB: number;
  warnings: number;
  devicesSeen?: number;
  mqttClients?: number;
  errors: string[];
}

const sum = sumStats;

function parseTargets(raw: string): BrokerKind[] {
  const list = raw.split(',').map((s) => s.trim());
  for (const t of list) if (t !== 'gateway' && t !== 'bare') throw new BenchError('BENCH_ERR_ARGS', `--targets: '${t}' is not gateway or bare`);
  return list as BrokerKind[];
}

/**
 * Reads the gateway's own view (GET /api/health): MQTT clients, and devices it has heard from
 * (ok, or degraded: a button with no 110 link test yet is `not-linked-110`, as it should be).
 */
async function gatewayView(port: number): Promise<{ mqttClients: number; seen: number } | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/api/health`, { signal: AbortSignal.timeout(15_000) });
    const body = (await res.json()) as { mqttClients?: number; devices?: Record<string, number> };
    return { mqttClients: body.mqttClients ?? NaN, seen: (body.devices?.ok ?? 0) + (body.devices?.degraded ?? 0) };
  } catch {
    return undefined;
  }
}

async function measure(kind: BrokerKind, o: Options, ctx: BenchContext, pool: WorkerPool, env: Record<string, string>, stamp: string): Promise<Figures> {
  const n = o.devices;
  ctx.log(`${LABELS[kind]}: starting`);
  const broker: BrokerHandle = await startBroker(ctx, kind, {
    env,
    timeoutMs: 180_000,
    runtime: o.runtime as Runtime,
    ...(kind === 'gateway' && o.gatewayEntry ? { script: o.gatewayEntry } : {}),
    ...(kind === 'bare' && o.bareHeapGrowth > 0 ? { nodeFlags: [`--heap-growing-percent=${o.bareHeapGrowth}`] } : {}),
  });
  ctx.log(`${LABELS[kind]}: listening on ${broker.mqttPort} after ${(broker.startMs / 1000).toFixed(1)} s`);
  await sleep(1000, ctx.signal);
  // Start-up garbage (config parsing) would otherwise count as the idle footprint.
  await broker.mem(true);
  const idle = broker.sample();

  // Connect phase: each worker takes a contiguous slice of the devices.
  const per = Math.ceil(n / pool.size);
  const commands: WorkerCommand[] = Array.from({ length: pool.size }, (_v, i) => ({
    cmd: 'connect',
    url: `mqtt://127.0.0.1:${broker.mqttPort}`,
    from: Math.min(n, i * per),
    to: Math.min(n, (i + 1) * per),
    perSite: o.perSite,
    inflight: o.inflight,
    heartbeatMs: o.heartbeat * 1000,
    connectTimeoutMs: 30_000,
    keepaliveSeconds: o.keepalive,
    retainStatus: o.retainStatus,
    subscribe: o.subscribe,
    rounds: o.rounds,
  }));
  const progress = new Array<number>(pool.size).fill(0);
  let lastLog = performance.now();
  const clientCpu0 = pool.cpuMs();
  const t0 = performance.now();
  const done = await pool.request(commands, 'connect-done', o.connectTimeout * 1000, (i, m) => {
    if (m.type !== 'progress') return;
    progress[i] = m.stats.connected;
    if (performance.now() - lastLog >= 5000) {
      lastLog = performance.now();
      ctx.log(`${LABELS[kind]}: ${progress.reduce((a, b) => a + b, 0)}/${n} connected`);
    }
  });
  const connectSeconds = (performance.now() - t0) / 1000;
  const connected = broker.sample();
  const clientCpuConnect = pool.cpuMs() - clientCpu0;
  const connectMs = done.flatMap((d) => d.connectMs);
  const errors = done.flatMap((d) => d.errors).slice(0, 5);
  const ok = sum(done, 'connected');
  ctx.log(`${LABELS[kind]}: ${ok}/${n} connected in ${connectSeconds.toFixed(1)} s${errors.length ? `; first error: ${errors[0]}` : ''}`);

  // Heartbeat rounds: every device has had `rounds` heartbeats acknowledged after the one at connect.
  const roundStart = performance.now();
  const roundDeadline = roundStart + (o.heartbeat * 1.1 * o.rounds + 60) * 1000;
  let stats = await pool.requestAll({ cmd: 'stats', latencies: false }, 'stats', 30_000);
  while (sum(stats, 'devicesWithRound') < sum(stats, 'connected') && performance.now() < roundDeadline) {
    await sleep(1000, ctx.signal);
    stats = await pool.requestAll({ cmd: 'stats', latencies: false }, 'stats', 30_000);
  }
  const roundComplete = sum(stats, 'devicesWithRound') >= sum(stats, 'connected');
  const roundSeconds = (performance.now() - roundStart) / 1000;
  const afterRound = broker.sample();
  const latencies = await pool.requestAll({ cmd: 'stats', latencies: true }, 'stats', 30_000);
  const pubackMs = latencies.flatMap((s) => s.pubackMs ?? []);
  ctx.log(`${LABELS[kind]}: ${o.rounds} heartbeat round(s) ${roundComplete ? 'complete' : 'INCOMPLETE'} after ${roundSeconds.toFixed(1)} s`);

  const view = kind === 'gateway' && broker.httpPort !== undefined ? await gatewayView(broker.httpPort) : undefined;
  const mem = await broker.mem(true);
  const afterGc = broker.sample();
  // Writing a heap snapshot takes as much memory again: the peak is read before it.
  if (o.heapSnapshot) {
    const dir = join(ctx.root, 'bench', 'out');
    mkdirSync(dir, { recursive: true });
    const path = await broker.snapshot(join(dir, `${kind}-${n}-${stamp}.heapsnapshot`));
    ctx.log(`${LABELS[kind]}: heap snapshot ${path}`);
  }

  await pool.requestAll({ cmd: 'disconnect' }, 'disconnected', 60_000);
  await broker.stop();
  for (const w of broker.lines.warnings.slice(0, 3)) ctx.log(`${LABELS[kind]} logged: ${JSON.stringify(w).slice(0, 300)}`);

  const last = latencies;
  return {
    startSeconds: broker.startMs / 1000,
    idleRssMB: idle.rssBytes / MB,
    connected: ok,
    failed: sum(done, 'failed'),
    connectSeconds,
    connectRate: ok / connectSeconds,
    connectP50Ms: percentile(connectMs, 50),
    connectP99Ms: percentile(connectMs, 99),
    rssConnectedMB: connected.rssBytes / MB,
    cpuConnectSeconds: (connected.cpuMs - idle.cpuMs) / 1000,
    clientCpuConnectSeconds: clientCpuConnect / 1000,
    roundComplete,
    roundSeconds,
    rssRoundMB: afterRound.rssBytes / MB,
    peakRssMB: afterGc.hwmBytes / MB,
    cpuRoundSeconds: (afterRound.cpuMs - connected.cpuMs) / 1000,
    cpuRoundPctCore: (100 * (afterRound.cpuMs - connected.cpuMs)) / (afterRound.at - connected.at),
    pubackP50Ms: percentile(pubackMs, 50),
    pubackP99Ms: percentile(pubackMs, 99),
    telemetryFailed: sum(last, 'telemetryFailed'),
    dropped: sum(last, 'dropped'),
    perConnectionKB: ((afterRound.rssBytes - idle.rssBytes) / Math.max(1, ok)) / 1024,
    rssAfterGcMB: afterGc.rssBytes / MB,
    heapUsedMB: mem.heapUsed / MB,
    heapTotalMB: mem.heapTotal / MB,
    oldSpaceCommittedMB: (mem.spacesCommitted?.old_space ?? NaN) / MB,
    newSpaceCommittedMB: (mem.spacesCommitted?.new_space ?? NaN) / MB,
    rssAnonMB: afterRound.rssAnonBytes / MB,
    rssFileMB: afterRound.rssFileBytes / MB,
    externalMB: (mem.external + mem.arrayBuffers) / MB,
    warnings: broker.lines.warningCount,
    ...(view ? { devicesSeen: view.seen, mqttClients: view.mqttClients } : {}),
    errors,
  };
}

/** Rows of the printed table: label, figure key, unit. */
const ROWS: [string, keyof Figures][] = [
  ['process start (s)', 'startSeconds'],
  ['RSS idle, after a full GC (MB)', 'idleRssMB'],
  ['connected / failed', 'connected'],
  ['time to all connected (s)', 'connectSeconds'],
  ['connect rate (conn/s)', 'connectRate'],
  ['CONNACK latency p50 (ms)', 'connectP50Ms'],
  ['CONNACK latency p99 (ms)', 'connectP99Ms'],
  ['RSS all connected (MB)', 'rssConnectedMB'],
  ['CPU during connect (s)', 'cpuConnectSeconds'],
  ['CPU of the client workers, connect (s)', 'clientCpuConnectSeconds'],
  ['RSS after heartbeat round (MB)', 'rssRoundMB'],
  ['  of which anonymous (MB)', 'rssAnonMB'],
  ['  of which file-backed (MB)', 'rssFileMB'],
  ['RSS per connection, round − idle (KB)', 'perConnectionKB'],
  ['peak RSS, start to heartbeat round (MB)', 'peakRssMB'],
  ['heartbeat round(s), after all connected (s)', 'roundSeconds'],
  ['CPU during round (s)', 'cpuRoundSeconds'],
  ['CPU during round (% of a core)', 'cpuRoundPctCore'],
  ['heartbeat PUBACK p50 (ms)', 'pubackP50Ms'],
  ['heartbeat PUBACK p99 (ms)', 'pubackP99Ms'],
  ['RSS after full GC (MB)', 'rssAfterGcMB'],
  ['JS heap used after GC (MB)', 'heapUsedMB'],
  ['JS heap committed after GC (MB)', 'heapTotalMB'],
  ['  of which old space (MB)', 'oldSpaceCommittedMB'],
  ['  of which new space (MB)', 'newSpaceCommittedMB'],
  ['external + array buffers (MB)', 'externalMB'],
];
const RATIO_KEYS: ReadonlySet<keyof Figures> = new Set([
  'idleRssMB',
  'rssConnectedMB',
  'rssRoundMB',
  'rssAnonMB',
  'perConnectionKB',
  'peakRssMB',
  'cpuConnectSeconds',
  'cpuRoundSeconds',
  'connectSeconds',
  'heapUsedMB',
  'heapTotalMB',
  'oldSpaceCommittedMB',
  'rssAfterGcMB',
]);

export const benchmark = defineBenchmark({
  description: 'N alarm buttons connect with credentials and heartbeat: connect rate, RSS and CPU of the gateway vs a bare aedes broker',
  options,
  async run(o, ctx) {
    const targets = parseTargets(o.targets);
    const workers = o.workers > 0 ? o.workers : Math.max(1, Math.ceil(o.devices / 5000));
    const tmp = mkdtempSync(join(tmpdir(), 'bench-connections-'));
    ctx.defer(() => rmSync(tmp, { recursive: true, force: true }));
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const configFile = join(tmp, 'gateway.yaml');
    writeSyntheticConfig(configFile, { devices: o.devices, perSite: o.perSite, dataDir: join(tmp, 'data'), persistence: o.persistence as 'level' | 'memory', heartbeatSeconds: o.heartbeat });
    ctx.log(`${o.devices} devices in ${Math.ceil(o.devices / o.perSite)} sites, ${workers} client processes, ${cpus().length} CPUs`);
    const pool = new WorkerPool(ctx, workers);
    ctx.defer(() => pool.stop());

    const envs: Record<BrokerKind, Record<string, string>> = {
      // The gateway's environment overrides win over its config file: set them all.
      gateway: { BENCH_GATEWAY_CONFIG: configFile, DATA_DIR: join(tmp, 'data'), LOG_LEVEL: 'warn', HTTP_HOST: '127.0.0.1', HTTP_PORT: '0', MQTT_HOST: '127.0.0.1', MQTT_PORT: '0', INFLUX_URL: '' },
      bare: { MQTT_HOST: '127.0.0.1', MQTT_PORT: '0' },
    };
    const figures = new Map<BrokerKind, Figures>();
    for (const kind of targets) figures.set(kind, await measure(kind, o, ctx, pool, envs[kind], stamp));
    return report(figures, workers, o.bareHeapGrowth);
  },
});

function report(figures: Map<BrokerKind, Figures>, workers: number, bareHeapGrowth: number) {
  const metrics: Record<string, MetricValue> = { workers };
  for (const [kind, f] of figures) {
    for (const [k, v] of Object.entries(f)) {
      if (k === 'errors') metrics[`${kind}.errors`] = (v as string[]).join(' | ') || null;
      else metrics[`${kind}.${k}`] = typeof v === 'number' ? round(v) : (v as MetricValue);
    }
  }
  const g = figures.get('gateway');
  const b = figures.get('bare');
  const ratio = (k: keyof Figures) => (g && b ? (g[k] as number) / (b[k] as number) : NaN);
  const targets: TargetCheck[] = [];
  if (g && b) {
    for (const k of RATIO_KEYS) metrics[`ratio.${k}`] = round(ratio(k), 3);
    const r = ratio('rssRoundMB');
    targets.push({ name: `gateway RSS / bare aedes RSS ≤ ${RSS_RATIO_TARGET} (after a heartbeat round)`, met: r <= RSS_RATIO_TARGET, detail: `${r.toFixed(2)}× (${g.rssRoundMB.toFixed(0)} MB / ${b.rssRoundMB.toFixed(0)} MB)` });
  }
  for (const [kind, f] of figures) {
    targets.push({ name: `${LABELS[kind]}: every device connected and heartbeating`, met: f.failed === 0 && f.dropped === 0 && f.roundComplete && f.telemetryFailed === 0, detail: `${f.connected} connected, ${f.failed} failed, ${f.dropped} dropped, ${f.telemetryFailed} heartbeats failed` });
  }
  if (g?.devicesSeen !== undefined) {
    targets.push({ name: 'gateway hears every device (GET /api/health: ok or degraded, none offline or unknown)', met: g.devicesSeen === g.connected && g.mqttClients === g.connected, detail: `${g.devicesSeen} heard, ${g.mqttClients} MQTT clients` });
  }
  const kinds = [...figures.keys()];
  const columns = ['', ...kinds.map((k) => LABELS[k]), ...(g && b ? ['gateway / bare'] : [])];
  const rows = ROWS.map(([label, key]) => [
    label,
    ...kinds.map((k) => {
      const f = figures.get(k) as Figures;
      return key === 'connected' ? `${f.connected} / ${f.failed}` : (f[key] as number);
    }),
    ...(g && b ? [RATIO_KEYS.has(key) ? `${ratio(key).toFixed(2)}×` : ''] : []),
  ]);
  const notes = [...figures].flatMap(([kind, f]) => (f.warnings > 0 ? [`${LABELS[kind]} logged ${f.warnings} warnings or errors (first ones above)`] : []));
  if (g && b) {
    notes.push(
      bareHeapGrowth > 0
        ? `like for like: bare aedes under --heap-growing-percent=${bareHeapGrowth}, the gateway under its memory.heapGrowthPercent (shipped: 50)`
        : 'the gateway runs as shipped, its JS heap held to 1.5× its live data (memory.heapGrowthPercent 50); bare aedes under V8\'s own limit (up to 4×): --bare-heap-growth 50 compares like for like',
    );
    // The RSS ratio moves with where each broker stood in its GC cycle: say so when it did here.
    const slack = (f: Figures) => f.heapTotalMB / f.heapUsedMB;
    if (bareHeapGrowth === 0 && slack(b) > slack(g) * 1.25) {
      notes.push(
        `bare aedes held ${(b.heapTotalMB - b.heapUsedMB).toFixed(0)} MB of committed JS heap above the ${b.heapUsedMB.toFixed(0)} MB it uses (${slack(b).toFixed(2)}×, the gateway ${slack(g).toFixed(2)}×): this run's RSS ratio owes that much to bare aedes's GC cycle`,
      );
    }
  }
  return { metrics, tables: [{ title: 'connections', columns, rows }], targets, notes };
}
