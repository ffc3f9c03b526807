/**
 * press-110 (issue 3): how long an alarm-button press takes to reach the 110 centre while N
 * background buttons heartbeat. The gateway runs in its own process (bench/gateway-entry.ts);
 * the two 110 receivers (AlarmCentreSimulator, primary and secondary) and the pressing buttons
 * live in this process, so a press is timed on one clock (performance.now()): from the MQTT
 * publish call to the moment a receiver records the DC-09 message, and to the moment the
 * alarm's retained state on campus/v1/alarms/{id} shows `forward-acked` (one more MQTT hop).
 * Every press comes from a different button in its own school (own arcAccount), one at a
 * time, so nothing is deduplicated and every receiver record is matched by its account.
 * PUBACK is timed too: the gateway sends it once the alarm and its 110 entry are committed, so
 * press → PUBACK is the commit latency of the state store (`--store sqlite|postgres`; postgres
 * runs a durable server from the machine's packages, as a deployment would).
 *
 * `--source dc09-panel` sends the measured presses as SIA DC-09 panic reports from alarm panels
 * (simulators/alarm-centre/panel.ts) to the gateway's DC-09 receiver (adapters/panel-dc09), one
 * TCP connection per message as DC-09 5.3.1 lets a panel do: the other way an alarm enters (issue
 * 19 item 1, "and a DC-09 panel event"). The panel's ACK, sent once the event is durable, is
 * timed where an MQTT press times its PUBACK.
 *
 * Where the milliseconds go (issue 19): after the measured presses the bench reads the gateway's
 * marks of each press (GET /api/diagnostics/press-path: broker received, decoded, committed, DC-09
 * frame written, 110 ACK) and joins them, by button id and event seq, with its own send time and
 * the receiver's receipt time, all as performance.timeOrigin + performance.now() (wall-clock ms,
 * µs precision, comparable across the two processes): a table of p50 / p99 / max per hop.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import mqtt, { type MqttClient } from 'mqtt';
import { parse, stringify } from 'yaml';
import { DEFAULT_CONFIG_PATH } from '../gateway/config/load.js';
import { deviceTopic } from '../gateway/contract/topics.js';
import { outagePort } from '../simulators/outage-port.js';
import { startPostgres } from '../scripts/lib/postgres-engine.js';
import { AlarmCentreSimulator, type RecordedMessage } from '../simulators/alarm-centre/alarm-centre-simulator.js';
import { Dc09PanelSimulator } from '../simulators/alarm-centre/panel.js';
import { startBroker, type Runtime, RUNTIME_OPTION } from './lib/broker-process.js';
import { BenchError, defineBenchmark, type BenchContext, type Table, type TargetCheck } from './lib/harness.js';
import { sleep } from './lib/processes.js';
import { percentile, round } from './lib/stats.js';
import { syntheticConfig } from './lib/synthetic-district.js';
import { WorkerPool } from './lib/workers.js';
import type { WorkerCommand } from './lib/worker-protocol.js';
import type { PressPathRecord } from '../gateway/core/alarms/press-path.js';

const P99_TARGET_MS = 20;
/** The demo admin of config/default.yaml reads the press path (password `demo-pass-admin`). */
const OPERATOR = 'admin';
const STANDARD_MS = 2000;

const options = {
  devices: { default: 2000, min: 0, description: 'background alarm buttons heartbeating (in client worker processes)' },
  perSite: { default: 20, min: 1, description: 'background buttons per synthetic school' },
  presses: { default: 500, min: 1, description: 'measured presses, each from a different button in its own school' },
  warmup: { default: 10, min: 0, description: 'presses before the measured ones (connection set-up, JIT), not counted' },
  spacingMs: { default: 20, min: 0, description: 'pause between one press being acknowledged and the next press' },
  heartbeatMin: { default: 1, min: 0.1, description: 'shortest background telemetry period (s)' },
  heartbeatMax: { default: 5, min: 0.1, description: 'longest background telemetry period (s); workers are spread evenly from min to max' },
  workers: { default: 3, min: 1, description: 'client worker processes for the background devices' },
  clientNice: { default: 10, min: 0, description: 'nice level of the background client workers: simulated field hardware takes the CPU the gateway leaves (0: compete with it as equals)' },
  timeoutMs: { default: 5000, min: 100, description: 'a press not recorded by a receiver in this time counts as lost' },
  runtime: RUNTIME_OPTION,
  gatewayEntry: { default: '', description: 'another gateway entry speaking bench/lib/broker-control.ts (e.g. one that profiles), instead of bench/gateway-entry.ts' },
  store: { default: 'sqlite', choices: ['sqlite', 'postgres'], description: 'state store: SQLite in the data dir, or a PostgreSQL started for the run (DATABASE_URL)' },
  source: { default: 'mqtt', choices: ['mqtt', 'dc09-panel'], description: 'how the measured presses arrive: MQTT buttons (a QoS 1 event), or SIA DC-09 alarm panels (panel-dc09 adapter)' },
  panelConnection: { default: 'per-message', choices: ['per-message', 'persistent'], description: '--source dc09-panel: a TCP connection per message (DC-09 5.3.1, most panels), or one kept open (DC-09-2013), opened by a NULL link test before the presses' },
} as const;

type PressSource = 'mqtt' | 'dc09-panel';

interface PressButton {
  id: string;
  siteId: string;
  /** The school's 110 account (arcAccount): what the receivers record. */
  account: string;
  secret: string;
  /** `--source dc09-panel`: the panel's own DC-09 account, as the gateway's receiver knows it. */
  panelAccount: string;
  client?: MqttClient;
  panel?: Dc09PanelSimulator;
}

/** Press buttons: one per school so every DC-09 account (SIA DC-09 5.5.1.6 `#acct`) is unique. */
function pressButtons(count: number): PressButton[] {
  return Array.from({ length: count }, (_v, i) => {
    const siteId = `bench-p${String(i).padStart(5, '0')}`;
    // Accounts are hex digits (DC-09 5.5.1.6); 'A' keeps them apart from the background ones.
    return { id: `${siteId}-btn`, siteId, account: `A${String(i).padStart(5, '0')}`, secret: `bench-secret-${siteId}-btn`, panelAccount: `C${String(i).padStart(5, '0')}` };
  });
}

/** `--source dc09-panel`: where the gateway's DC-09 receiver listens (TCP only: no UDP port to find free too). */
interface PanelReceiver {
  port: number;
}

function pressDevice(b: PressButton, panel: PanelReceiver | undefined): Record<string, unknown> {
  return panel
    ? { id: b.id, kind: 'alarm-button', name: 'press panel', adapter: 'panel-dc09', options: { account: b.panelAccount, zone: 1 } }
    : { id: b.id, kind: 'alarm-button', name: 'press button', secret: b.secret };
}

function gatewayConfig(o: { devices: number; perSite: number; heartbeatMax: number }, dataDir: string, buttons: PressButton[], ports: [number, number], panel?: PanelReceiver) {
  const base = syntheticConfig({ devices: o.devices, perSite: o.perSite, dataDir, persistence: 'level', heartbeatSeconds: Math.ceil(o.heartbeatMax) });
  const sites: Record<string, unknown>[] = (base.sites as Record<string, unknown>[]).map((s, i) => ({ ...s, arcAccount: `B${String(i).padStart(5, '0')}` }));
  for (const b of buttons) {
    sites.push({ id: b.siteId, name: `Bench press school ${b.siteId}`, district: 'bench', arcAccount: b.account, devices: [pressDevice(b, panel)] });
  }
  sites.push({ id: 'bench-psb', name: 'Bench 110 centre', kind: 'police', district: 'bench', devices: [{ id: 'arc-110', kind: 'alarm-centre', adapter: 'alarm-centre-dc09', name: '110 link' }] });
  // One operator, to read GET /api/diagnostics/press-path after the presses.
  const demoUsers = ((parse(readFileSync(DEFAULT_CONFIG_PATH, 'utf8')) as { auth?: { users?: { username: string }[] } }).auth?.users ?? []).filter((u) => u.username === OPERATOR);
  return {
    ...base,
    auth: { ...(base.auth as object), users: demoUsers },
    sites,
    adapters: {
      'alarm-centre-dc09': {
        device: 'arc-110',
        primary: { host: '127.0.0.1', port: ports[0] },
        secondary: { host: '127.0.0.1', port: ports[1] },
        receiverNumber: '1',
        line: '1',
        protocol: 'sia',
        supervisionSeconds: 30,
        forward: ['panic', 'barrier-impact'],
      },
      ...(panel ? { 'panel-dc09': { host: '127.0.0.1', port: panel.port, tcp: true, udp: false } } : {}),
    },
  };
}



async function connectButtons(url: string, buttons: PressButton[], ctx: BenchContext): Promise<void> {
  const batch = 50;
  for (let i = 0; i < buttons.length; i += batch) {
    await Promise.all(
      buttons.slice(i, i + batch).map(async (b) => {
        b.client = await mqtt.connectAsync(url, { clientId: b.id, username: b.id, password: b.secret, protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 30_000 });
        // An 'error' without a listener would throw out of mqtt.js; a press it costs is counted as lost.
        b.client.on('error', (err) => ctx.log(`press button ${b.id}: ${err.message}`));
        // [DESIGN: Nagle] a lone QoS 1 PUBLISH must not wait for a delayed ACK.
        (b.client.stream as { setNoDelay?: (v: boolean) => void }).setNoDelay?.(true);
      }),
    );
    if (ctx.signal.aborted) throw new BenchError('BENCH_ERR_ABORTED', 'aborted');
  }
}

/**
 * Time the gateway's main thread (its event loop) spent runnable but waiting for a CPU
 * (Linux /proc/<pid>/schedstat, 2nd field, ns): on shared cores this is a large part of latency.
 */
function runqueueWaitMs(pid: number): number {
  try {
    return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[1]) / 1e6;
  } catch {
    return NaN;
  }
}

/** A measured press as the bench saw it: wall-clock ms (performance.timeOrigin + performance.now()). */
interface PressSeen {
  deviceId: string;
  /** The event's seq (MQTT presses); a DC-09 panel's press carries none, and each button presses once. */
  seq?: number;
  sentAt: number;
  /** A DC-09 panel's press: when its frame was handed to the socket (after the connection it opens first). */
  writtenAt?: number;
  /** The receiver read the frame's bytes (its socket), then the bench saw it recorded. */
  readAt?: number;
  receivedAt?: number;
}

/** The gateway's marks of one press, as GET /api/diagnostics/press-path serves them. */
type PressMarks = Pick<PressPathRecord, 'deviceId' | 'seq' | 'receivedAt' | 'decodedAt' | 'committedAt' | 'frameWrittenAt' | 'ackedAt'>;

/** The gateway's marks of the last presses, read as the demo admin. */
async function pressPathMarks(httpUrl: string): Promise<{ capacity: number; presses: PressMarks[] }> {
  const login = await fetch(`${httpUrl}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: OPERATOR, password: `demo-pass-${OPERATOR}` }),
    signal: AbortSignal.timeout(30_000),
  });
  if (login.status !== 200) throw new BenchError('BENCH_ERR_LOGIN', `login as ${OPERATOR}: HTTP ${login.status} ${await login.text()}`);
  const { token } = (await login.json()) as { token: string };
  const res = await fetch(`${httpUrl}/api/diagnostics/press-path`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(30_000) });
  if (res.status !== 200) throw new BenchError('BENCH_ERR_PRESS_PATH', `GET /api/diagnostics/press-path: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as { capacity: number; presses: PressMarks[] };
}

/** The hops of a press, in order: [metric key, label, from, to]. */
const HOPS: readonly [string, string, (s: PressSeen, m: PressMarks) => number | undefined, (s: PressSeen, m: PressMarks) => number | undefined][] = [
  ['hopSendBroker', 'device send → gateway read it (broker or DC-09 receiver)', (s) => s.sentAt, (_s, m) => m.receivedAt],
  ['hopSendWritten', '  of which: the panel connects and writes its frame (press client)', (s) => s.sentAt, (s) => s.writtenAt],
  ['hopWrittenRead', '  of which: frame written → gateway read it', (s) => s.writtenAt, (_s, m) => m.receivedAt],
  ['hopBrokerDecoded', 'read → decoded', (_s, m) => m.receivedAt, (_s, m) => m.decodedAt],
  ['hopDecodedCommitted', 'decoded → committed', (_s, m) => m.decodedAt, (_s, m) => m.committedAt],
  ['hopCommittedFrame', 'committed → frame written', (_s, m) => m.committedAt, (_s, m) => m.frameWrittenAt],
  ['hopFrameReceiver', 'frame written → receiver got it', (_s, m) => m.frameWrittenAt, (s) => s.receivedAt],
  ['hopFrameRead', '  of which: frame written → receiver read it', (_s, m) => m.frameWrittenAt, (s) => s.readAt],
  ['hopReadRecorded', '  of which: receiver read → recorded, seen', (s) => s.readAt, (s) => s.receivedAt],
  ['hopEndToEnd', 'end to end (send → receiver)', (s) => s.sentAt, (s) => s.receivedAt],
  ['hopFrameAck', '(frame written → 110 ACK at the gateway)', (_s, m) => m.frameWrittenAt, (_s, m) => m.ackedAt],
];

/** Joins the bench's presses with the gateway's marks (button id and event seq) and measures every hop. */
function hopBreakdown(seen: PressSeen[], marks: PressMarks[]): { joined: number; hops: { key: string; label: string; ms: number[] }[] } {
  const byPress = new Map(marks.map((m) => [`${m.deviceId ?? ''}#${m.seq ?? ''}`, m]));
  const hops = HOPS.map(([key, label]) => ({ key, label, ms: [] as number[] }));
  let joined = 0;
  for (const s of seen) {
    const m = byPress.get(`${s.deviceId}#${s.seq ?? ''}`);
    if (!m) continue;
    joined++;
    HOPS.forEach(([, , from, to], i) => {
      const a = from(s, m);
      const b = to(s, m);
      if (a !== undefined && b !== undefined) hops[i]?.ms.push(b - a);
    });
  }
  return { joined, hops };
}

/** Resolves when either receiver records a message of `account` (already or later). */
function recorded(centres: AlarmCentreSimulator[], account: string, timeoutMs: number): Promise<{ m: RecordedMessage; at: number }> {
  return Promise.any(centres.map((c) => c.waitForMessage((m) => m.account === account, timeoutMs))).then((m) => ({ m, at: performance.now() }));
}

export const benchmark = defineBenchmark({
  description: 'press → 110 receiver latency (p50/p99/max) with N background buttons heartbeating; gateway in its own process',
  options,
  async run(o, ctx) {
    const tmp = mkdtempSync(join(tmpdir(), 'bench-press-'));
    ctx.defer(() => rmSync(tmp, { recursive: true, force: true }));
    const centres = [new AlarmCentreSimulator(), new AlarmCentreSimulator()];
    const ports = (await Promise.all(centres.map((c) => c.start({ port: 0, httpPort: null })))).map((p) => p.port) as [number, number];
    ctx.defer(() => Promise.all(centres.map((c) => c.stop())).then(() => undefined));

    const buttons = pressButtons(o.warmup + o.presses);
    const source = o.source as PressSource;
    // The gateway's configuration needs a number: a loopback port nothing listens on now.
    const panel: PanelReceiver | undefined = source === 'dc09-panel' ? { port: await outagePort() } : undefined;
    const configFile = join(tmp, 'gateway.yaml');
    writeFileSync(configFile, stringify(gatewayConfig(o, join(tmp, 'data'), buttons, ports, panel)));
    let databaseUrl = '';
    if (o.store === 'postgres') {
      const server = await startPostgres();
      ctx.defer(() => server.stop());
      databaseUrl = server.url;
      ctx.log(`PostgreSQL on ${server.port} (durable: fsync on)`);
    }
    const env = {
      BENCH_GATEWAY_CONFIG: configFile, DATA_DIR: join(tmp, 'data'), LOG_LEVEL: 'warn', HTTP_HOST: '127.0.0.1', HTTP_PORT: '0', MQTT_HOST: '127.0.0.1', MQTT_PORT: '0', INFLUX_URL: '',
      ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    };
    ctx.log(`starting the gateway: ${o.devices} background + ${buttons.length} press buttons`);
    const gw = await startBroker(ctx, 'gateway', { env, timeoutMs: 180_000, runtime: o.runtime as Runtime, ...(o.gatewayEntry ? { script: o.gatewayEntry } : {}) });
    ctx.defer(() => gw.stop());
    const url = `mqtt://127.0.0.1:${gw.mqttPort}`;

    // Background load: worker i heartbeats every heartbeatMin…heartbeatMax seconds.
    const pool = new WorkerPool(ctx, o.devices > 0 ? o.workers : 0, { nice: o.clientNice });
    ctx.defer(() => pool.stop());
    const per = Math.ceil(o.devices / Math.max(1, pool.size));
    const periods = Array.from({ length: pool.size }, (_v, i) => (pool.size === 1 ? o.heartbeatMin : o.heartbeatMin + ((o.heartbeatMax - o.heartbeatMin) * i) / (pool.size - 1)));
    const commands: WorkerCommand[] = periods.map((s, i) => ({
      cmd: 'connect', url, from: Math.min(o.devices, i * per), to: Math.min(o.devices, (i + 1) * per), perSite: o.perSite, inflight: 100,
      heartbeatMs: s * 1000, connectTimeoutMs: 30_000, keepaliveSeconds: 60, retainStatus: false, subscribe: true,
    }));
    const connected = await pool.request(commands, 'connect-done', 300_000);
    const bgConnected = connected.reduce((a, d) => a + d.stats.connected, 0);
    ctx.log(`${bgConnected}/${o.devices} background buttons connected, heartbeats every ${periods.map((p) => p.toFixed(1)).join(', ')} s`);

    if (panel) {
      // Per message (DC-09 5.3.1), a panel connects for each report: nothing to set up but the
      // simulator. Persistent, its connection is opened here by a link test (NULL, 5.5.2.1).
      for (const b of buttons) b.panel = new Dc09PanelSimulator({ host: '127.0.0.1', port: panel.port, account: b.panelAccount, ackTimeoutMs: o.timeoutMs, persistent: o.panelConnection === 'persistent' });
      await Promise.all(buttons.map((b) => b.panel?.start()));
      if (o.panelConnection === 'persistent') for (const b of buttons) await b.panel?.linkTest();
      ctx.defer(() => Promise.all(buttons.map((b) => b.panel?.stop())).then(() => undefined));
    } else await connectButtons(url, buttons, ctx);
    // The integrator's view: retained alarm states, to see `forward-acked` land.
    const acked = new Map<string, (at: number) => void>();
    const integrator = await mqtt.connectAsync(url, { clientId: 'bench-integrator', username: 'integrator', password: 'demo-pass-integrator', protocolVersion: 4, reconnectPeriod: 0 });
    ctx.defer(() => integrator.endAsync(true));
    integrator.on('message', (_t, payload) => {
      const at = performance.now();
      const alarm = JSON.parse(payload.toString()) as { deviceId?: string; timeline?: { action: string }[] };
      const wake = alarm.deviceId ? acked.get(alarm.deviceId) : undefined;
      if (wake && alarm.timeline?.some((e) => e.action === 'forward-acked')) wake(at);
    });
    await integrator.subscribeAsync('campus/v1/alarms/#', { qos: 1 });
    await sleep(Math.max(2000, o.heartbeatMax * 1000), ctx.signal);

    const recordMs: number[] = [];
    const ackedMs: number[] = [];
    const pubackMs: number[] = [];
    let lost = 0;
    let ackLost = 0;
    let seq = 0;
    const seen: PressSeen[] = [];
    const cpu0 = gw.sample();
    const wait0 = runqueueWaitMs(gw.pid);
    const stats0 = pool.size ? await pool.requestAll({ cmd: 'stats', latencies: true }, 'stats', 30_000) : [];
    const t0 = performance.now();
    for (const [n, b] of buttons.entries()) {
      const measured = n >= o.warmup;
      const ackSeen = new Promise<number | undefined>((resolve) => {
        const t = setTimeout(() => resolve(undefined), o.timeoutMs);
        acked.set(b.id, (at) => {
          clearTimeout(t);
          resolve(at);
        });
      });
      const start = performance.now();
      const pressSeq = panel ? undefined : ++seq;
      // Settled here, not only once awaited below: a press client whose connection drops meanwhile
      // (its keepalive ran out while the gateway stalled) rejects at once, and an unhandled
      // rejection would end the run instead of counting the press as lost. A panel's press is
      // acknowledged by the receiver's ACK (sent once the event is durable), as an MQTT one by PUBACK.
      let writtenAt: number | undefined;
      const pubackAt = panel
        ? b.panel?.panic(1).then(
            (r) => {
              writtenAt = r.writtenAt;
              return r.reply === 'ack' ? performance.now() : undefined;
            },
            () => undefined,
          )
        : b.client
            ?.publishAsync(deviceTopic(b.siteId, b.id, 'event'), JSON.stringify({ type: 'press', at: Date.now(), seq: pressSeq }), { qos: 1 })
            .then(() => performance.now(), () => undefined);
      const rec = await recorded(centres, b.account, o.timeoutMs).catch(() => undefined);
      const ackAt = await ackSeen;
      const puback = await pubackAt;
      acked.delete(b.id);
      if (measured) {
        seen.push({ deviceId: b.id, ...(pressSeq !== undefined ? { seq: pressSeq } : {}), sentAt: performance.timeOrigin + start, ...(writtenAt !== undefined ? { writtenAt } : {}), ...(rec ? { readAt: rec.m.arrivedAt, receivedAt: performance.timeOrigin + rec.at } : {}) });
        if (rec) recordMs.push(rec.at - start);
        else lost++;
        if (ackAt !== undefined) ackedMs.push(ackAt - start);
        else ackLost++;
        if (puback !== undefined) pubackMs.push(puback - start);
      }
      if (n > 0 && n % 100 === 0) ctx.log(`${n}/${buttons.length} presses; last ${rec ? (rec.at - start).toFixed(1) : 'lost'} ms`);
      await sleep(o.spacingMs, ctx.signal);
    }
    const pressSeconds = (performance.now() - t0) / 1000;
    const cpu1 = gw.sample();
    const wait1 = runqueueWaitMs(gw.pid);
    const stats1 = pool.size ? await pool.requestAll({ cmd: 'stats', latencies: true }, 'stats', 30_000) : [];
    const acksBg = stats1.reduce((a, s) => a + s.stats.telemetryAcked, 0) - stats0.reduce((a, s) => a + s.stats.telemetryAcked, 0);
    const bgPuback = stats1.flatMap((s) => s.pubackMs ?? []);
    await Promise.all(buttons.map((b) => b.client?.endAsync(true)));
    if (pool.size) await pool.requestAll({ cmd: 'disconnect' }, 'disconnected', 60_000);
    // Where the milliseconds went: the gateway's marks of each press, joined with the bench's.
    const path = gw.httpPort ? await pressPathMarks(`http://127.0.0.1:${gw.httpPort}`) : { capacity: 0, presses: [] };
    const breakdown = hopBreakdown(seen, path.presses);

    const p = (xs: number[], q: number) => round(percentile(xs, q));
    const metrics = {
      backgroundDevices: bgConnected,
      backgroundMsgPerSecond: round(acksBg / pressSeconds, 0),
      backgroundPubackP99Ms: p(bgPuback, 99),
      clientNice: o.clientNice,
      store: o.store,
      source,
      ...(panel ? { panelConnection: o.panelConnection } : {}),
      presses: o.presses,
      pubackP50Ms: p(pubackMs, 50),
      pubackP99Ms: p(pubackMs, 99),
      pubackMaxMs: p(pubackMs, 100),
      recorded: recordMs.length,
      lost,
      recordP50Ms: p(recordMs, 50),
      recordP90Ms: p(recordMs, 90),
      recordP99Ms: p(recordMs, 99),
      recordMaxMs: p(recordMs, 100),
      recordMeanMs: round(recordMs.reduce((a, b) => a + b, 0) / Math.max(1, recordMs.length)),
      forwardAckedP50Ms: p(ackedMs, 50),
      forwardAckedP99Ms: p(ackedMs, 99),
      forwardAckedMaxMs: p(ackedMs, 100),
      forwardAckedMissing: ackLost,
      gatewayCpuPctCore: round((100 * (cpu1.cpuMs - cpu0.cpuMs)) / (cpu1.at - cpu0.at), 1),
      gatewayCpuWaitPct: round((100 * (wait1 - wait0)) / (cpu1.at - cpu0.at), 1),
      loadAverage1m: round(loadavg()[0] ?? NaN),
      gatewayRssMB: round(cpu1.rssBytes / 2 ** 20, 0),
      gatewayWarnings: gw.lines.warningCount,
      hopsJoined: breakdown.joined,
      ...Object.fromEntries(
        breakdown.hops.flatMap((h) => [
          [`${h.key}P50Ms`, round(percentile(h.ms, 50), 3)],
          [`${h.key}P99Ms`, round(percentile(h.ms, 99), 3)],
          [`${h.key}MaxMs`, round(percentile(h.ms, 100), 3)],
        ]),
      ),
    };
    const tables: Table[] = [
      { title: 'metrics', columns: ['metric', 'value'], rows: Object.entries(metrics).map(([k, v]) => [k, v ?? 'n/a']) },
      {
        title: `where the milliseconds go: ${breakdown.joined} of ${o.presses} presses joined with the gateway's marks (ms)`,
        columns: ['hop', 'p50', 'p99', 'max', 'n'],
        rows: breakdown.hops.filter((h) => h.ms.length > 0).map((h) => [h.label, round(percentile(h.ms, 50), 3) ?? 'n/a', round(percentile(h.ms, 99), 3) ?? 'n/a', round(percentile(h.ms, 100), 3) ?? 'n/a', h.ms.length]),
      },
    ];
    const p99 = metrics.recordP99Ms ?? Infinity;
    const targets: TargetCheck[] = [
      { name: `press → 110 receiver p99 ≤ ${P99_TARGET_MS} ms`, met: lost === 0 && p99 <= P99_TARGET_MS, detail: `p99 ${p99} ms, max ${metrics.recordMaxMs} ms, ${lost} lost of ${o.presses}` },
      { name: `every press at the 110 receiver within ${STANDARD_MS} ms (provincial standard)`, met: lost === 0 && (metrics.recordMaxMs ?? Infinity) <= STANDARD_MS, detail: `max ${metrics.recordMaxMs} ms` },
    ];
    const notes = [
      `receiver simulators and press ${panel ? `panels (SIA DC-09, ${o.panelConnection === 'persistent' ? 'one connection each, kept open' : 'a TCP connection per message'})` : 'buttons'} share this process (one clock); the gateway is its own process; background buttons in client worker processes`,
      ...(panel ? ['pubackP*: the DC-09 ACK of each panic report, sent once the press is durable (the PUBACK of an MQTT press)'] : []),
      `background client workers run at nice ${o.clientNice}${o.clientNice > 0 ? ' (they stand for field hardware with CPUs of its own; --client-nice 0 makes them compete with the gateway as equals)' : ''}`,
      'hops: marks are performance.timeOrigin + performance.now() in each process (wall clock, µs); "receiver got it" is when the bench saw the receiver record it, as recordMs',
      ...(o.warmup + o.presses > path.capacity ? [`only the last ${path.capacity} presses keep their gateway marks: ${breakdown.joined} joined`] : []),
      'forward-acked is seen through the retained alarm state on MQTT (one more hop than the gateway itself sees)',
      // Raised alarms are logged at warn by design; other messages are worth a look.
      ...[...new Set(gw.lines.warnings.map((w) => String(w.msg)))].slice(0, 5).map((msg) => `gateway logged (warn+): ${msg}`),
    ];
    return { metrics, tables, targets, notes };
  },
});
