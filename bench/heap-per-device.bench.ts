/**
 * heap-per-device: what each device costs in the broker's JS heap, and where it goes (issue 19,
 * item 2). The same simulated alarm buttons as `connections` connect in steps (default 1,000)
 * to the gateway, then to bare aedes, each broker in its own process. After each step every new
 * device has had `rounds` heartbeats acknowledged after its first telemetry; the broker then
 * collects garbage and reports its heap. A heap snapshot is written after the first step and
 * after the last; their difference, divided by the devices connected between them, is the cost
 * per device by constructor and by what holds it (bench/lib/heap-snapshot.ts). The first step
 * is the base so that what the first connections create once (compiled code, lazily made
 * caches) does not count per device. With `--district` (default), what each *configured*
 * device costs the gateway before anything connects is measured too: the idle snapshot of the
 * whole district against that of a second gateway configured with one step's devices.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker, type BrokerHandle, type BrokerKind, type Runtime, RUNTIME_OPTION } from './lib/broker-process.js';
import { BenchError, defineBenchmark, type BenchContext, type MetricValue, type OptionsOf, type Table } from './lib/harness.js';
import { diffGroups, readSnapshot, type GroupDelta, type HeapSummary } from './lib/heap-snapshot.js';
import { MB, sleep } from './lib/processes.js';
import { round } from './lib/stats.js';
import { writeSyntheticConfig } from './lib/synthetic-district.js';
import { WorkerPool } from './lib/workers.js';
import { sumStats, type WorkerCommand } from './lib/worker-protocol.js';

const LABELS: Record<BrokerKind, string> = { gateway: 'gateway', bare: 'bare aedes' };

const options = {
  devices: { default: 3000, min: 2, description: 'devices connected at the end (one MQTT connection each)' },
  step: { default: 1000, min: 1, description: 'devices connected per step; the first step is the snapshot base' },
  perSite: { default: 20, min: 1, description: 'buttons per synthetic school' },
  heartbeat: { default: 5, min: 1, description: 'telemetry period in seconds (±10% jitter)' },
  rounds: { default: 1, min: 0, description: 'heartbeats acknowledged after the first telemetry before a step is measured' },
  targets: { default: 'gateway,bare', description: 'brokers to measure, in order (gateway, bare)' },
  persistence: { default: 'level', choices: ['level', 'memory'], description: "the gateway's mqtt.persistence (default.yaml ships level)" },
  runtime: RUNTIME_OPTION,
  gatewayEntry: { default: '', description: 'another gateway entry speaking bench/lib/broker-control.ts' },
  top: { default: 15, min: 1, description: 'entries per table' },
  district: { default: true, description: 'also measure what each configured device costs the gateway before any connects (a second gateway with a one-step district, idle snapshots compared)' },
  keepSnapshots: { default: false, description: 'keep the two heap snapshots of each broker in bench/out/ (for bench/heap-summary.ts)' },
} as const;

type Options = OptionsOf<typeof options>;

interface Step {
  devices: number;
  heapUsed: number;
  rss: number;
}

interface Measured {
  steps: Step[];
  /** Least-squares slope of heap used after GC over the steps, bytes per device. */
  heapSlope: number;
  /** Snapshot difference, last step − first step. */
  snapshotDevices: number;
  snapshotBytes: number;
  byConstructor: GroupDelta[];
  byHolder: GroupDelta[];
  byPair: GroupDelta[];
  idleHeap: number;
  /** Gateway only: idle snapshot with the whole district configured, nothing connected. */
  idleSnapshot?: HeapSummary;
}

interface DistrictCost {
  devices: number;
  bytes: number;
  heapUsed: number;
  byHolder: GroupDelta[];
  byPair: GroupDelta[];
}

const sum = sumStats;

function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  if (n < 2) return NaN;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += ((xs[i] as number) - mx) * ((ys[i] as number) - my);
    den += ((xs[i] as number) - mx) ** 2;
  }
  return num / den;
}

async function connectStep(o: Options, ctx: BenchContext, pool: WorkerPool, port: number, from: number, to: number): Promise<void> {
  const per = Math.ceil((to - from) / pool.size);
  const commands: WorkerCommand[] = Array.from({ length: pool.size }, (_v, i) => ({
    cmd: 'connect',
    url: `mqtt://127.0.0.1:${port}`,
    from: Math.min(to, from + i * per),
    to: Math.min(to, from + (i + 1) * per),
    perSite: o.perSite,
    inflight: 100,
    heartbeatMs: o.heartbeat * 1000,
    connectTimeoutMs: 30_000,
    keepaliveSeconds: 60,
    retainStatus: false,
    subscribe: true,
    rounds: o.rounds,
  }));
  const done = await pool.request(commands, 'connect-done', 300_000);
  const failed = sum(done, 'failed');
  if (failed > 0) throw new BenchError('BENCH_ERR_CONNECT', `${failed} of ${to - from} devices failed to connect: ${done.flatMap((d) => d.errors)[0] ?? ''}`);
  // Every device of the step has had its first telemetry and `rounds` heartbeats acknowledged.
  const deadline = Date.now() + (o.heartbeat * 1.1 * (o.rounds + 1) + 60) * 1000;
  for (;;) {
    const stats = await pool.requestAll({ cmd: 'stats', latencies: false }, 'stats', 30_000);
    if (sum(stats, 'devicesWithRound') >= to - from) return;
    if (Date.now() > deadline) throw new BenchError('BENCH_ERR_TIMEOUT', `devices ${from}–${to}: ${sum(stats, 'devicesWithRound')} completed their heartbeats`);
    await sleep(500, ctx.signal);
  }
}

async function snapshotOf(broker: BrokerHandle, outDir: string, label: string, keep: boolean, files: string[]): Promise<HeapSummary> {
  const file = join(outDir, `heap-per-device-${label}-${Date.now()}.heapsnapshot`);
  files.push(await broker.snapshot(file));
  try {
    return readSnapshot(file);
  } finally {
    if (!keep) rmSync(file, { force: true });
  }
}

/**
 * What each configured device costs before it connects: a gateway with a district of `small`
 * devices, idle, against the idle snapshot of the whole district.
 */
async function districtCost(o: Options, ctx: BenchContext, tmp: string, outDir: string, whole: HeapSummary, wholeHeap: number): Promise<DistrictCost> {
  const small = o.step;
  const configFile = join(tmp, 'small.yaml');
  writeSyntheticConfig(configFile, { devices: small, perSite: o.perSite, dataDir: join(tmp, 'small-data'), persistence: o.persistence as 'level' | 'memory', heartbeatSeconds: o.heartbeat });
  ctx.log(`gateway with ${small} devices configured: starting`);
  const broker = await startBroker(ctx, 'gateway', {
    env: { ...gatewayEnv(configFile, join(tmp, 'small-data')) },
    timeoutMs: 180_000,
    runtime: o.runtime as Runtime,
    ...(o.gatewayEntry ? { script: o.gatewayEntry } : {}),
  });
  try {
    await sleep(1000, ctx.signal);
    const mem = await broker.mem(true);
    const base = await snapshotOf(broker, outDir, `gateway-idle-${small}`, o.keepSnapshots, []);
    return {
      devices: o.devices - small,
      bytes: whole.total - base.total,
      heapUsed: wholeHeap - mem.heapUsed,
      byHolder: diffGroups(base.byHolder, whole.byHolder),
      byPair: diffGroups(base.byPair, whole.byPair),
    };
  } finally {
    await broker.stop();
  }
}

function gatewayEnv(configFile: string, dataDir: string): Record<string, string> {
  return { BENCH_GATEWAY_CONFIG: configFile, DATA_DIR: dataDir, LOG_LEVEL: 'warn', HTTP_HOST: '127.0.0.1', HTTP_PORT: '0', MQTT_HOST: '127.0.0.1', MQTT_PORT: '0', INFLUX_URL: '' };
}

async function measure(kind: BrokerKind, o: Options, ctx: BenchContext, pool: WorkerPool, env: Record<string, string>, outDir: string): Promise<Measured> {
  ctx.log(`${LABELS[kind]}: starting`);
  const broker: BrokerHandle = await startBroker(ctx, kind, {
    env,
    timeoutMs: 180_000,
    runtime: o.runtime as Runtime,
    ...(kind === 'gateway' && o.gatewayEntry ? { script: o.gatewayEntry } : {}),
  });
  const files: string[] = [];
  try {
    await sleep(1000, ctx.signal);
    const idle = await broker.mem(true);
    const idleSnapshot = kind === 'gateway' && o.district ? await snapshotOf(broker, outDir, `${kind}-idle-${o.devices}`, o.keepSnapshots, files) : undefined;
    const steps: Step[] = [];
    let snapshots: HeapSummary[] = [];
    for (let from = 0; from < o.devices; from += o.step) {
      const to = Math.min(o.devices, from + o.step);
      await connectStep(o, ctx, pool, broker.mqttPort, from, to);
      const mem = await broker.mem(true);
      steps.push({ devices: to, heapUsed: mem.heapUsed, rss: broker.sample().rssBytes });
      ctx.log(`${LABELS[kind]}: ${to} devices, heap used ${(mem.heapUsed / MB).toFixed(1)} MB, RSS ${(broker.sample().rssBytes / MB).toFixed(0)} MB`);
      if (from === 0 || to === o.devices) snapshots.push(await snapshotOf(broker, outDir, `${kind}-${to}`, o.keepSnapshots, files));
    }
    await pool.requestAll({ cmd: 'disconnect' }, 'disconnected', 120_000);
    const [first, last] = snapshots;
    snapshots = [];
    if (!first || !last || steps.length < 2) throw new BenchError('BENCH_ERR_ARGS', '--devices must be more than one --step');
    const snapshotDevices = (steps[steps.length - 1] as Step).devices - (steps[0] as Step).devices;
    if (o.keepSnapshots) ctx.log(`${LABELS[kind]}: snapshots ${files.join(' ')}`);
    return {
      steps,
      heapSlope: slope(
        steps.map((s) => s.devices),
        steps.map((s) => s.heapUsed),
      ),
      snapshotDevices,
      snapshotBytes: last.total - first.total,
      byConstructor: diffGroups(first.byConstructor, last.byConstructor),
      byHolder: diffGroups(first.byHolder, last.byHolder),
      byPair: diffGroups(first.byPair, last.byPair),
      idleHeap: idle.heapUsed,
      ...(idleSnapshot ? { idleSnapshot } : {}),
    };
  } finally {
    await broker.stop();
  }
}

const perDevice = (bytes: number, devices: number) => Math.round(bytes / devices);
/** A figure for a table cell: rounded, '–' when there is none. */
const cell = (v: number, digits: number): number | string => round(v, digits) ?? '–';

function topTable(title: string, rows: GroupDelta[], devices: number, top: number): Table {
  return {
    title,
    columns: ['', 'bytes / device', 'objects / device', 'MB in all'],
    rows: rows.slice(0, top).map((g) => [g.key, perDevice(g.bytes, devices), cell(g.count / devices, 2), cell(g.bytes / MB, 2)]),
  };
}

/** Per constructor, gateway beside bare aedes: where the gateway's extra bytes per device are. */
function compareTable(g: Measured, b: Measured, top: number): Table {
  const bare = new Map(b.byConstructor.map((x) => [x.key, x]));
  const keys = new Set([...g.byConstructor.map((x) => x.key), ...b.byConstructor.map((x) => x.key)]);
  const gw = new Map(g.byConstructor.map((x) => [x.key, x]));
  const rows = [...keys]
    .map((k) => {
      const gb = perDevice(gw.get(k)?.bytes ?? 0, g.snapshotDevices);
      const bb = perDevice(bare.get(k)?.bytes ?? 0, b.snapshotDevices);
      return { k, gb, bb, d: gb - bb };
    })
    .sort((x, y) => y.d - x.d)
    .slice(0, top);
  return { title: 'per device by constructor: gateway − bare aedes (bytes)', columns: ['', 'gateway', 'bare aedes', 'difference'], rows: rows.map((r) => [r.k, r.gb, r.bb, r.d]) };
}

export const benchmark = defineBenchmark({
  description: 'devices connect in steps of 1,000: JS heap per device of the gateway vs bare aedes, by constructor and by holder (heap snapshot diff)',
  options,
  async run(o, ctx) {
    const kinds = o.targets.split(',').map((s) => s.trim());
    for (const k of kinds) if (k !== 'gateway' && k !== 'bare') throw new BenchError('BENCH_ERR_ARGS', `--targets: '${k}' is not gateway or bare`);
    if (o.devices <= o.step) throw new BenchError('BENCH_ERR_ARGS', '--devices must be more than one --step');
    const tmp = mkdtempSync(join(tmpdir(), 'bench-heap-per-device-'));
    ctx.defer(() => rmSync(tmp, { recursive: true, force: true }));
    const outDir = join(ctx.root, 'bench', 'out');
    mkdirSync(outDir, { recursive: true });
    const configFile = join(tmp, 'gateway.yaml');
    writeSyntheticConfig(configFile, { devices: o.devices, perSite: o.perSite, dataDir: join(tmp, 'data'), persistence: o.persistence as 'level' | 'memory', heartbeatSeconds: o.heartbeat });
    const pool = new WorkerPool(ctx, Math.max(1, Math.ceil(o.devices / 5000)));
    ctx.defer(() => pool.stop());
    const envs: Record<BrokerKind, Record<string, string>> = {
      gateway: gatewayEnv(configFile, join(tmp, 'data')),
      bare: { MQTT_HOST: '127.0.0.1', MQTT_PORT: '0' },
    };
    const results = new Map<BrokerKind, Measured>();
    for (const kind of kinds as BrokerKind[]) results.set(kind, await measure(kind, o, ctx, pool, envs[kind], outDir));
    const gw = results.get('gateway');
    const district = gw?.idleSnapshot ? await districtCost(o, ctx, tmp, outDir, gw.idleSnapshot, gw.idleHeap) : undefined;
    if (gw) delete gw.idleSnapshot;

    const metrics: Record<string, MetricValue> = {};
    const tables: Table[] = [];
    const stepRows = (results.get('gateway') ?? results.get('bare'))?.steps.map((s, i) => [
      s.devices,
      ...[...results.values()].flatMap((m) => [cell((m.steps[i]?.heapUsed ?? NaN) / MB, 1), cell((m.steps[i]?.rss ?? NaN) / MB, 0)]),
    ]);
    tables.push({ title: 'heap used after GC and RSS per step (MB; RSS includes what writing the first heap snapshot took)', columns: ['devices', ...[...results.keys()].flatMap((k) => [`${LABELS[k]} heap`, `${LABELS[k]} RSS`])], rows: stepRows ?? [] });
    for (const [kind, m] of results) {
      metrics[`${kind}.idleHeapMB`] = round(m.idleHeap / MB, 1);
      metrics[`${kind}.heapPerDeviceBytes`] = Math.round(m.heapSlope);
      metrics[`${kind}.snapshotPerDeviceBytes`] = perDevice(m.snapshotBytes, m.snapshotDevices);
      metrics[`${kind}.finalHeapMB`] = round((m.steps[m.steps.length - 1]?.heapUsed ?? NaN) / MB, 1);
      for (const g of m.byHolder.slice(0, 10)) metrics[`${kind}.holder.${g.key}`] = perDevice(g.bytes, m.snapshotDevices);
      tables.push(topTable(`${LABELS[kind]}: per device by constructor (snapshot ${m.steps[0]?.devices} → ${m.steps[m.steps.length - 1]?.devices} devices, ${perDevice(m.snapshotBytes, m.snapshotDevices)} B/device)`, m.byConstructor, m.snapshotDevices, o.top));
      tables.push(topTable(`${LABELS[kind]}: per device by holder`, m.byHolder, m.snapshotDevices, o.top));
      if (kind === 'gateway') tables.push(topTable('gateway: per device by constructor ← holder', m.byPair, m.snapshotDevices, o.top));
    }
    const g = results.get('gateway');
    const b = results.get('bare');
    if (g && b) {
      metrics['ratio.heapPerDevice'] = round(g.heapSlope / b.heapSlope, 3);
      metrics['extraHeapPerDeviceBytes'] = Math.round(g.heapSlope - b.heapSlope);
      tables.push(compareTable(g, b, o.top));
    }
    tables.push({
      title: 'per device (bytes)',
      columns: ['', ...[...results.keys()].map((k) => LABELS[k])],
      rows: [
        ['heap used, slope over the steps', ...[...results.values()].map((m) => Math.round(m.heapSlope))],
        ['heap snapshot, last − first step', ...[...results.values()].map((m) => perDevice(m.snapshotBytes, m.snapshotDevices))],
        ...(district ? [['gateway: each configured device, idle (heap used after GC)', Math.round(district.heapUsed / district.devices), '']] : []),
      ],
    });
    if (district) {
      metrics['gateway.configuredDeviceBytes'] = perDevice(district.heapUsed, district.devices);
      metrics['gateway.configuredDeviceSnapshotBytes'] = perDevice(district.bytes, district.devices);
      for (const g of district.byHolder.slice(0, 10)) metrics[`gateway.configured.${g.key}`] = perDevice(g.bytes, district.devices);
      tables.push(topTable(`gateway: per configured device, nothing connected (${o.step} → ${o.devices} devices configured, ${perDevice(district.bytes, district.devices)} B/device) by holder`, district.byHolder, district.devices, o.top));
      tables.push(topTable('gateway: per configured device by constructor ← holder', district.byPair, district.devices, o.top));
    }
    return { metrics, tables };
  },
});
