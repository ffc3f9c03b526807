/**
 * cluster (issue 17): the cost and the failover of cluster mode, on the real engines (tests/helpers/cluster.ts:
 * PostgreSQL, Redis and HAProxy from the machine's packages, gateway node processes, the 110
 * centre simulated in this process). `--part` picks one part; `all` runs them in turn, each on
 * a cluster of its own:
 *
 * - `press`: press → 110 receiver latency (p50/p99/max) on 2 nodes, then on 1 node, in the same
 *   run, with background buttons heartbeating (client worker processes, bench/client-worker.ts).
 *   On 2 nodes the press buttons alternate between the lease holder (which sends to 110) and the
 *   other node (which commits the press and wakes the holder's outbox pump with NOTIFY); then the
 *   other node is stopped cleanly and the same number of presses go to the holder alone. On 2
 *   cores this measures what the engines and the second node cost, not a speed-up.
 * - `connections`: N buttons connected across 2 nodes (half on each, straight to the nodes or
 *   through HAProxy): connect time, RSS and CPU of each node, RSS per connection after one
 *   heartbeat round.
 * - `failover`: SIGKILL of the 110 link holder, N times. Each round: a button of a fresh school
 *   is connected to the node that does not hold the lease; the holder is killed; the button
 *   presses at once; the time from the kill to the centre's record of that press (the survivor
 *   committed it, took the lease when it expired and sent it) is the failover time. The killed
 *   node is started again before the next round, which kills the new holder. The lease's bound
 *   (lease.ts): a dead holder's duty moves within 5/6 of takeoverSeconds plus one query; the
 *   figure adds starting the duties and connecting the DC-09 link.
 */
import { performance } from 'node:perf_hooks';
import mqtt, { type MqttClient } from 'mqtt';
import { deviceTopic } from '../gateway/contract/topics.js';
import type { RecordedMessage } from '../simulators/alarm-centre/alarm-centre-simulator.js';
import { connectAs, eventually } from '../tests/helpers/gateway.js';
import { districtWithSchools, startTestCluster, type ClusterNodeHandle, type TestCluster } from '../tests/helpers/cluster.js';
import { BenchError, defineBenchmark, type BenchContext, type BenchResult, type OptionsOf, type Table } from './lib/harness.js';
import { sampleProcess, sleep } from './lib/processes.js';
import { percentile, round } from './lib/stats.js';
import { syntheticConfig } from './lib/synthetic-district.js';
import { WorkerPool } from './lib/workers.js';
import { sumStats, type WorkerCommand, type WorkerStats } from './lib/worker-protocol.js';

const options = {
  part: { default: 'all', choices: ['all', 'press', 'connections', 'failover'], description: 'which part to run (all: press, connections, failover in turn)' },
  kills: { default: 10, min: 1, max: 40, description: 'failover: leader kills (rounds)' },
  takeoverSeconds: { default: 10, min: 2, max: 60, description: 'cluster.takeoverSeconds of the nodes' },
  presses: { default: 200, min: 1, description: 'press: measured presses on 2 nodes, and as many on 1 node, each from its own school' },
  warmup: { default: 10, min: 0, description: 'press: presses before the measured ones in each phase, not counted' },
  spacingMs: { default: 20, min: 0, description: 'press: pause between one press reaching 110 and the next press' },
  background: { default: 2000, min: 0, description: 'press: background buttons heartbeating through HAProxy during each phase' },
  backgroundHeartbeat: { default: 5, min: 0.5, description: 'press: background telemetry period (s)' },
  pressTimeoutMs: { default: 10_000, min: 100, description: 'press: a press not recorded by a receiver in this time counts as lost' },
  devices: { default: 19_000, min: 2, description: 'connections: buttons connected across the 2 nodes' },
  via: { default: 'direct', choices: ['direct', 'haproxy'], description: "connections: half straight to each node's MQTT port, or all through HAProxy (needs 2 file descriptors per device in HAProxy: with `ulimit -n` 20,000 it holds ~9,900)" },
  heartbeat: { default: 30, min: 1, description: 'connections: telemetry period (s) of the connected buttons' },
  perSite: { default: 20, min: 1, description: 'buttons per synthetic school' },
  workers: { default: 0, min: 0, description: 'client worker processes; 0 = one per 5,000 devices (at least 2 for connections)' },
  connectTimeout: { default: 600, min: 10, description: 'connections: seconds allowed for all devices to connect' },
  baseline: { default: 0.2, min: 0.01, description: 'connections: fraction connected first; the RSS per connection is the slope from there to all' },
} as const;

type Options = OptionsOf<typeof options>;

const LOOPBACK_EXEMPT = { connectLimit: { exempt: ['127.0.0.0/8', '::1/128'] } };

/** The default district (its 110 link, the police site) plus synthetic buttons (background) and one school per press button. */
function benchSiteLayer(background: number, perSite: number, heartbeatSeconds: number, press: PressButton[]): Record<string, unknown> {
  const district = districtWithSchools(0) as { sites: Record<string, unknown>[] };
  const synthetic = background > 0 ? (syntheticConfig({ devices: background, perSite, dataDir: '', persistence: 'level', heartbeatSeconds }).sites as Record<string, unknown>[]) : [];
  const pressSites = press.map((b) => ({ id: b.siteId, name: `Bench press school ${b.siteId}`, district: 'bench', arcAccount: b.account, devices: [{ id: b.id, kind: 'alarm-button', name: 'press button', secret: b.secret }] }));
  return {
    sites: [...district.sites, ...synthetic, ...pressSites],
    // Every simulated device connects from loopback: the per-address connect budget would measure itself.
    mqtt: LOOPBACK_EXEMPT,
    // Thousands of buttons going silent at the end must not write thousands of device-offline alarms.
    health: { offlineAlarmAfter: 0 },
  };
}

interface PressButton {
  id: string;
  siteId: string;
  account: string;
  secret: string;
  client?: MqttClient;
}

function pressButtons(from: number, count: number): PressButton[] {
  return Array.from({ length: count }, (_v, k) => {
    const i = from + k;
    const siteId = `bench-p${String(i).padStart(5, '0')}`;
    // DC-09 accounts are hex digits (5.5.1.6); 'A' keeps them apart from the district's.
    return { id: `${siteId}-btn`, siteId, account: `A${String(i).padStart(5, '0')}`, secret: `bench-secret-${siteId}-btn` };
  });
}

const mqttUrlOf = (n: ClusterNodeHandle) => `mqtt://127.0.0.1:${n.ports.mqtt}`;
const mb = (bytes: number): number => round(bytes / 2 ** 20, 0) ?? NaN;
const p = (xs: number[], q: number): number | null => (xs.length ? round(percentile(xs, q)) : null);
const r1 = (x: number): number => round(x, 1) ?? NaN;

async function startCluster(ctx: BenchContext, o: Options, siteLayer: Record<string, unknown>, what: string): Promise<TestCluster> {
  ctx.log(`${what}: starting PostgreSQL, Redis, HAProxy and 2 gateway nodes…`);
  const cluster = await startTestCluster({ nodes: 2, takeoverSeconds: o.takeoverSeconds, siteLayer });
  ctx.defer(() => cluster.stop());
  return cluster;
}

async function holderOf(cluster: TestCluster): Promise<{ holder: ClusterNodeHandle; other: ClusterNodeHandle }> {
  const id = await eventually(() => cluster.holder(), { timeoutMs: 120_000, everyMs: 200 });
  const holder = cluster.nodes.find((n) => n.id === id);
  const other = cluster.nodes.find((n) => n.id !== id);
  if (!holder || !other) throw new BenchError('BENCH_ERR_CLUSTER', `holder ${String(id)} is not one of the nodes`);
  return { holder, other };
}

function workerCount(o: Options, devices: number, min: number): number {
  return Math.max(min, o.workers || Math.ceil(devices / 5000));
}

// ---------------------------------------------------------------------------------------------
// press

interface PressPhase {
  nodes: number;
  recordMs: number[];
  onHolderMs: number[];
  onOtherMs: number[];
  pubackMs: number[];
  lost: number;
  rssMB: Record<string, number>;
  /** CPU of each running node over the presses, % of one core. */
  cpuPct: Record<string, number>;
  /** Background buttons connected (of --background). */
  background: number;
}

async function pressPhase(ctx: BenchContext, o: Options, cluster: TestCluster, buttons: PressButton[], targets: ClusterNodeHandle[], holder: ClusterNodeHandle): Promise<PressPhase> {
  const centres = [cluster.farEnds.primary, cluster.farEnds.secondary];
  // Background: buttons heartbeating through HAProxy (on every running node).
  const pool = new WorkerPool(ctx, o.background > 0 ? workerCount(o, o.background, 1) : 0);
  let background = 0;
  try {
    if (pool.size) {
      const per = Math.ceil(o.background / pool.size);
      const commands: WorkerCommand[] = pool.children.map((_c, i) => ({
        cmd: 'connect', url: cluster.mqttUrl, from: Math.min(o.background, i * per), to: Math.min(o.background, (i + 1) * per), perSite: o.perSite, inflight: 100,
        heartbeatMs: o.backgroundHeartbeat * 1000, connectTimeoutMs: 30_000, keepaliveSeconds: 60, retainStatus: false, subscribe: true,
      }));
      const done = await pool.request(commands, 'connect-done', 300_000);
      background = done.reduce((a, d) => a + d.stats.connected, 0);
      ctx.log(`${targets.length} node(s): ${background}/${o.background} background buttons connected`);
    }
    // Press buttons alternate over the target nodes, as the balancer's leastconn would spread them.
    for (let i = 0; i < buttons.length; i += 50) {
      await Promise.all(
        buttons.slice(i, i + 50).map(async (b, k) => {
          const node = targets[(i + k) % targets.length] as ClusterNodeHandle;
          b.client = await mqtt.connectAsync(mqttUrlOf(node), { clientId: b.id, username: b.id, password: b.secret, protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 30_000 });
          (b.client.stream as { setNoDelay?: (v: boolean) => void }).setNoDelay?.(true);
        }),
      );
    }
    const phase: PressPhase = { nodes: targets.length, recordMs: [], onHolderMs: [], onOtherMs: [], pubackMs: [], lost: 0, rssMB: {}, cpuPct: {}, background };
    const running = cluster.nodes.filter((n) => n.node.running());
    const cpu0 = running.map((n) => sampleProcess(n.node.pid));
    for (const [n, b] of buttons.entries()) {
      if (ctx.signal.aborted) throw new BenchError('BENCH_ERR_ABORTED', 'aborted');
      const measured = n >= o.warmup;
      const onHolder = targets[n % targets.length] === holder;
      const arrived = Promise.any(centres.map((c) => c.waitForMessage((m: RecordedMessage) => m.account === b.account && m.data.includes('PA'), o.pressTimeoutMs))).then(() => performance.now());
      const start = performance.now();
      const puback = b.client?.publishAsync(deviceTopic(b.siteId, b.id, 'event'), JSON.stringify({ type: 'press', at: Date.now() }), { qos: 1 }).then(() => performance.now());
      const at = await arrived.catch(() => undefined);
      const ackAt = await puback?.catch(() => undefined);
      if (measured) {
        if (at === undefined) phase.lost++;
        else {
          phase.recordMs.push(at - start);
          (onHolder ? phase.onHolderMs : phase.onOtherMs).push(at - start);
        }
        if (ackAt !== undefined) phase.pubackMs.push(ackAt - start);
      }
      if (n > 0 && n % 50 === 0) ctx.log(`${targets.length} node(s): ${n}/${buttons.length} presses; last ${at === undefined ? 'lost' : (at - start).toFixed(1)} ms`);
      await sleep(o.spacingMs, ctx.signal);
    }
    running.forEach((node, k) => {
      const [a, b] = [cpu0[k], sampleProcess(node.node.pid)] as [ReturnType<typeof sampleProcess>, ReturnType<typeof sampleProcess>];
      phase.rssMB[node.id] = mb(b.rssBytes);
      phase.cpuPct[node.id] = r1((100 * (b.cpuMs - a.cpuMs)) / (b.at - a.at));
    });
    return phase;
  } finally {
    await Promise.all(buttons.map((b) => b.client?.endAsync(true).catch(() => undefined)));
    if (pool.size) await pool.requestAll({ cmd: 'disconnect' }, 'disconnected', 60_000).catch(() => undefined);
    await pool.stop();
  }
}

async function runPress(o: Options, ctx: BenchContext): Promise<BenchResult> {
  const per = o.warmup + o.presses;
  const twoButtons = pressButtons(0, per);
  const oneButtons = pressButtons(per, per);
  const cluster = await startCluster(ctx, o, benchSiteLayer(o.background, o.perSite, o.backgroundHeartbeat, [...twoButtons, ...oneButtons]), 'press');
  const { holder, other } = await holderOf(cluster);
  // The 110 link is up once a first press goes through (the warm-up presses are not counted).
  const two = await pressPhase(ctx, o, cluster, twoButtons, [holder, other], holder);
  ctx.log(`stopping ${other.id} (SIGTERM): the holder alone from here`);
  await other.node.stop(15_000);
  await eventually(async () => Object.entries(await cluster.haproxy.serverStates()).filter(([k, s]) => k.endsWith(`/${other.id}`) && s === 'UP').length === 0, { timeoutMs: 30_000, everyMs: 200 });
  const one = await pressPhase(ctx, o, cluster, oneButtons, [holder], holder);
  await cluster.stop();

  const row = (ph: PressPhase, label: string, xs: number[]) => [ph.nodes, label, xs.length, p(xs, 50) ?? '–', p(xs, 99) ?? '–', p(xs, 100) ?? '–'];
  const metrics = {
    'press.presses': o.presses,
    'press.background': o.background,
    'press.twoNodes.backgroundConnected': two.background,
    'press.oneNode.backgroundConnected': one.background,
    'press.twoNodes.recordP50Ms': p(two.recordMs, 50),
    'press.twoNodes.recordP99Ms': p(two.recordMs, 99),
    'press.twoNodes.recordMaxMs': p(two.recordMs, 100),
    'press.twoNodes.onHolderP99Ms': p(two.onHolderMs, 99),
    'press.twoNodes.onOtherP99Ms': p(two.onOtherMs, 99),
    'press.twoNodes.pubackP99Ms': p(two.pubackMs, 99),
    'press.twoNodes.lost': two.lost,
    'press.oneNode.recordP50Ms': p(one.recordMs, 50),
    'press.oneNode.recordP99Ms': p(one.recordMs, 99),
    'press.oneNode.recordMaxMs': p(one.recordMs, 100),
    'press.oneNode.pubackP99Ms': p(one.pubackMs, 99),
    'press.oneNode.lost': one.lost,
    'press.twoNodes.rssMB': Object.values(two.rssMB).join('/'),
    'press.oneNode.rssMB': Object.values(one.rssMB).join('/'),
    'press.twoNodes.cpuPct': Object.values(two.cpuPct).join('/'),
    'press.oneNode.cpuPct': Object.values(one.cpuPct).join('/'),
  };
  const tables: Table[] = [
    {
      title: 'press → 110 receiver (ms), same run, PostgreSQL + Redis',
      columns: ['nodes', 'pressed on', 'presses', 'p50', 'p99', 'max'],
      rows: [row(two, 'both (alternating)', two.recordMs), row(two, 'the 110 link holder', two.onHolderMs), row(two, 'the other node', two.onOtherMs), row(one, 'the holder (other stopped)', one.recordMs)],
    },
    { title: 'press → PUBACK (ms)', columns: ['nodes', 'p50', 'p99', 'max', 'lost at 110'], rows: [[2, p(two.pubackMs, 50) ?? '–', p(two.pubackMs, 99) ?? '–', p(two.pubackMs, 100) ?? '–', two.lost], [1, p(one.pubackMs, 50) ?? '–', p(one.pubackMs, 99) ?? '–', p(one.pubackMs, 100) ?? '–', one.lost]] },
  ];
  return {
    metrics,
    tables,
    targets: [{ name: 'no press lost', met: two.lost + one.lost === 0, detail: `${two.lost} lost on 2 nodes, ${one.lost} on 1` }],
    notes: [
      'one press at a time; a press on the other node is committed there and sent by the holder, woken by NOTIFY outbox',
      `node RSS after the presses (MB): 2 nodes ${JSON.stringify(two.rssMB)}, 1 node ${JSON.stringify(one.rssMB)}; node CPU during the presses (% of a core): 2 nodes ${JSON.stringify(two.cpuPct)}, 1 node ${JSON.stringify(one.cpuPct)}`,
      'the phases run in this order (2 nodes, then 1): the first one also warms the PostgreSQL cache and the JIT beyond the warm-up presses',
      'on 2 nodes every device message is handled on both nodes (ingested on its own, its liveness heard on the other through Redis), on the same 2 cores',
    ],
  };
}

// ---------------------------------------------------------------------------------------------
// connections

async function runConnections(o: Options, ctx: BenchContext): Promise<BenchResult> {
  const cluster = await startCluster(ctx, o, benchSiteLayer(o.devices, o.perSite, o.heartbeat, []), 'connections');
  await holderOf(cluster);
  const nodes = cluster.nodes;
  const token = await login(cluster);
  /** Clients per node as the node registry has them (each node reports its count at its heartbeat). */
  const clientsByNode = async (): Promise<Record<string, number>> => {
    const res = await fetch(`${cluster.httpUrl}/api/cluster`, { headers: { authorization: `Bearer ${token}` } });
    const list = res.ok ? ((await res.json()) as { nodes: { id: string; clients: number }[] }).nodes : [];
    return Object.fromEntries(list.map((n) => [n.id, n.clients]));
  };
  const idle = nodes.map((n) => sampleProcess(n.node.pid));
  let workers = workerCount(o, o.devices, 2);
  if (o.via === 'direct' && workers % 2 === 1) workers++;
  const pool = new WorkerPool(ctx, workers);
  ctx.defer(() => pool.stop());
  const total = (stats: WorkerStats[], k: keyof WorkerStats) => sumStats(stats.map((s) => ({ stats: s })), k);

  /** Connects devices [from, to) (spread over the workers), then waits for their first heartbeat round. */
  const wave = async (from: number, to: number) => {
    const per = Math.ceil((to - from) / pool.size);
    const commands: WorkerCommand[] = pool.children.map((_c, i) => ({
      cmd: 'connect',
      url: o.via === 'direct' ? mqttUrlOf(nodes[i % nodes.length] as ClusterNodeHandle) : cluster.mqttUrl,
      from: Math.min(to, from + i * per),
      to: Math.min(to, from + (i + 1) * per),
      perSite: o.perSite,
      inflight: 100,
      heartbeatMs: o.heartbeat * 1000,
      connectTimeoutMs: 60_000,
      keepaliveSeconds: 60,
      retainStatus: false,
      subscribe: true,
      rounds: 1,
    }));
    ctx.log(`connecting buttons ${from}…${to - 1} ${o.via === 'direct' ? 'straight to the 2 nodes' : 'through HAProxy'} from ${pool.size} workers…`);
    const t0 = performance.now();
    const done = await pool.request(commands, 'connect-done', o.connectTimeout * 1000);
    const seconds = (performance.now() - t0) / 1000;
    const afterConnect = nodes.map((n) => sampleProcess(n.node.pid));
    const stats = done.map((d) => d.stats);
    ctx.log(`${total(stats, 'connected')} connected, ${total(stats, 'failed')} failed in ${seconds.toFixed(1)} s; waiting for one heartbeat round…`);
    // One heartbeat round of this wave (each device's telemetry at connect and one heartbeat acknowledged).
    const deadline = performance.now() + (o.heartbeat * 3 + 60) * 1000;
    let latest = stats;
    while (performance.now() < deadline && !ctx.signal.aborted) {
      latest = (await pool.requestAll({ cmd: 'stats', latencies: false }, 'stats', 30_000)).map((m) => m.stats);
      if (total(latest, 'devicesWithRound') >= total(latest, 'connected')) break;
      await sleep(1000, ctx.signal);
    }
    return { seconds, connected: total(stats, 'connected'), failed: total(stats, 'failed'), connectMs: done.flatMap((d) => d.connectMs), afterConnect, afterRound: nodes.map((n) => sampleProcess(n.node.pid)), clients: await clientsByNode(), roundComplete: total(latest, 'devicesWithRound') >= total(latest, 'connected'), dropped: total(latest, 'dropped') };
  };
  // A first fifth, then the rest: the RSS per connection is the slope between the two (an idle
  // node's RSS right after its start moves by tens of MB with the garbage collector).
  const split = Math.max(1, Math.round(o.devices * o.baseline));
  const first = await wave(0, split);
  const second = await wave(split, o.devices);
  await pool.requestAll({ cmd: 'disconnect' }, 'disconnected', 120_000).catch(() => undefined);
  await pool.stop();
  await cluster.stop();

  const connected = first.connected + second.connected;
  const failed = first.failed + second.failed;
  const seconds = first.seconds + second.seconds;
  const connectMs = [...first.connectMs, ...second.connectMs];
  const rows = nodes.map((n, k) => {
    const [i, a, b, c] = [idle[k], first.afterRound[k], second.afterConnect[k], second.afterRound[k]] as ReturnType<typeof sampleProcess>[];
    const [ca, cb] = [first.clients[n.id] ?? 0, second.clients[n.id] ?? 0];
    const slope = cb > ca ? r1((c!.rssBytes - a!.rssBytes) / 1024 / (cb - ca)) : '–';
    return [n.id, cb, mb(i!.rssBytes), `${mb(a!.rssBytes)} (${ca})`, mb(b!.rssBytes), mb(c!.rssBytes), slope, r1((b!.cpuMs - a!.cpuMs) / 1000)];
  });
  const metrics: Record<string, number | string | null> = {
    'connections.devices': o.devices,
    'connections.via': o.via,
    'connections.connected': connected,
    'connections.failed': failed,
    'connections.connectSeconds': r1(seconds),
    'connections.connectRate': round(connected / seconds, 0),
    'connections.connectP50Ms': p(connectMs, 50),
    'connections.connectP99Ms': p(connectMs, 99),
    'connections.roundComplete': first.roundComplete && second.roundComplete ? 1 : 0,
    'connections.dropped': second.dropped,
  };
  for (const row of rows) {
    metrics[`connections.${String(row[0])}.clients`] = row[1] as number;
    metrics[`connections.${String(row[0])}.rssIdleMB`] = row[2] as number;
    metrics[`connections.${String(row[0])}.rssRoundMB`] = row[5] as number;
    metrics[`connections.${String(row[0])}.perConnectionKB`] = row[6] as number;
    metrics[`connections.${String(row[0])}.cpuConnectSecondsSecondWave`] = row[7] as number;
  }
  return {
    metrics,
    tables: [
      { title: `${o.devices} buttons across 2 nodes (${o.via}), in two waves (${split}, then ${o.devices - split})`, columns: ['connected', 'failed', 'connect s', 'per s', 'CONNACK p50 ms', 'p99 ms'], rows: [[connected, failed, r1(seconds), round(connected / seconds, 0) ?? '–', p(connectMs, 50) ?? '–', p(connectMs, 99) ?? '–']] },
      { title: 'per node', columns: ['node', 'clients', 'RSS idle MB', 'RSS after wave 1 (clients)', 'RSS connected MB', 'RSS after a heartbeat round MB', 'KB per connection (wave 2)', 'CPU s, wave 2'], rows },
    ],
    targets: [{ name: 'every device connected', met: failed === 0 && connected === o.devices, detail: `${connected}/${o.devices}` }],
    notes: ['nodes on PostgreSQL and Redis (sessions and wills in Redis); KB per connection = RSS growth from the end of wave 1 to the end of wave 2 (each after a heartbeat round) / clients added on that node'],
  };
}

async function login(cluster: TestCluster): Promise<string> {
  const res = await fetch(`${cluster.httpUrl}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'duty', password: 'demo-pass-duty' }) });
  return ((await res.json()) as { token: string }).token;
}

// ---------------------------------------------------------------------------------------------
// failover

async function runFailover(o: Options, ctx: BenchContext): Promise<BenchResult> {
  const cluster = await startCluster(ctx, o, districtWithSchools(Math.max(33, o.kills + 2)), 'failover');
  const clients: MqttClient[] = [];
  ctx.defer(async () => {
    for (const c of clients) await c.endAsync(true).catch(() => undefined);
  });
  const times: number[] = [];
  const rows: (string | number)[][] = [];
  for (let round_ = 1; round_ <= o.kills; round_++) {
    if (ctx.signal.aborted) break;
    const { holder, other: survivor } = await holderOf(cluster);
    const i = round_ + 1;
    const nn = String(i).padStart(2, '0');
    const button = await connectAs(mqttUrlOf(survivor), `sch-${nn}-btn-1`, { reconnectPeriod: 300 });
    button.on('error', () => undefined);
    clients.push(button);
    const account = `10${nn}`;
    const arrived = cluster.farEnds.primary.waitForMessage((m) => m.account === account && m.data.includes('PA'), 180_000).catch(() =>
      cluster.farEnds.secondary.waitForMessage((m) => m.account === account && m.data.includes('PA'), 1000),
    );
    const killedAt = performance.now();
    const killedWall = Date.now();
    await cluster.kill(holder.id);
    await button.publishAsync(`campus/v1/sch-${nn}/sch-${nn}-btn-1/event`, JSON.stringify({ type: 'press' }), { qos: 1 });
    const pubackMs = performance.now() - killedAt;
    const m = await arrived;
    const failoverMs = m.receivedAt - killedWall;
    times.push(failoverMs);
    rows.push([round_, holder.id, survivor.id, Math.round(pubackMs), failoverMs]);
    ctx.log(`round ${round_}: killed ${holder.id}, ${survivor.id} delivered after ${failoverMs} ms`);
    await button.endAsync(true).catch(() => undefined);
    // The killed node comes back as the standby for the next round.
    await cluster.restart(holder.id);
  }
  await cluster.stop();
  const p50 = Math.round(percentile(times, 50));
  const max = Math.max(...times);
  const boundMs = Math.round((o.takeoverSeconds * 5000) / 6);
  return {
    metrics: { kills: times.length, takeoverSeconds: o.takeoverSeconds, failoverP50Ms: p50, failoverMaxMs: max, leaseBoundMs: boundMs },
    tables: [
      { title: 'rounds', columns: ['round', 'killed', 'survivor', 'press PUBACK after kill ms', 'kill → 110 ACK ms'], rows },
      { title: 'failover', columns: ['kills', 'takeoverSeconds', 'p50 ms', 'max ms', 'lease bound (5/6 × takeoverSeconds) ms'], rows: [[times.length, o.takeoverSeconds, p50, max, boundMs]] },
    ],
    targets: [{ name: 'failover ≤ takeoverSeconds', met: max <= o.takeoverSeconds * 1000, detail: `max ${max} ms vs ${o.takeoverSeconds * 1000} ms` }],
    notes: ['the survivor commits the press at once (PUBACK) and sends it when it holds the lease; the centre is the in-process simulator on the same clock'],
  };
}

export const benchmark = defineBenchmark({
  description: 'cluster mode on PostgreSQL, Redis, HAProxy: press → 110 on 2 nodes vs 1 (--part press), N devices across 2 nodes (--part connections), failover of the 110 link over N leader kills (--part failover)',
  options,
  async run(o, ctx) {
    const parts = o.part === 'all' ? (['press', 'connections', 'failover'] as const) : ([o.part] as ('press' | 'connections' | 'failover')[]);
    const results: BenchResult[] = [];
    for (const part of parts) {
      if (ctx.signal.aborted) break;
      results.push(await (part === 'press' ? runPress(o, ctx) : part === 'connections' ? runConnections(o, ctx) : runFailover(o, ctx)));
    }
    return {
      metrics: Object.assign({ part: o.part }, ...results.map((r) => r.metrics)) as BenchResult['metrics'],
      tables: results.flatMap((r) => r.tables ?? []),
      targets: results.flatMap((r) => r.targets ?? []),
      notes: results.flatMap((r) => r.notes ?? []),
    };
  },
});
