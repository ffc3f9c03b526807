/**
 * cmpp-broadcast (issue 21): one SMS broadcast to N recipients (default 1,000, the API's
 * maximum) carried over CMPP: the gateway in its own process (shipped district with
 * `adapters.sms-cmpp` added and `broadcast.channelAdapters.sms: sms-cmpp`), the simulated ISMG
 * in this process. Times from POST /api/broadcasts to: every message accepted by the ISMG
 * (SUBMIT_RESP Result 0, simulator's record, same clock), the gateway's tally showing all
 * `sent`, and all `delivered` (status reports, CMPP 2.0 §7.4.5 / 3.0 §8.4.5). Checks exactly
 * once (one logical message per recipient at the ISMG) and the window (never more than W
 * SUBMITs unanswered). The SMS rate limit sets a floor: (N − burst) / perSecond seconds.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parse, stringify } from 'yaml';
import { DEFAULT_CONFIG_PATH } from '../gateway/config/load.js';
import { CmppIsmgSimulator } from '../simulators/sms-cmpp/ismg-simulator.js';
import { operatorApi } from '../tests/helpers/operator-api.js';
import { startBroker, type Runtime, RUNTIME_OPTION } from './lib/broker-process.js';
import { BenchError, defineBenchmark, type TargetCheck } from './lib/harness.js';
import { sleep } from './lib/processes.js';
import { round } from './lib/stats.js';

const TEXT = '【城东区校园安全】城东区第一中学于11月3日 14:05一键报警。请就近巡逻民警立即赶赴，门卫室关闭校门。收到请回复“1”或“收到”。';
const SP_ID = '901234';
const SECRET = 'bench-secret';

const options = {
  recipients: { default: 1000, min: 1, description: 'SMS recipients (the API accepts at most 1,000)' },
  perSecond: { default: 50, min: 0.01, description: 'broadcast.rateLimits.sms.perSecond (the shipped default)' },
  burst: { default: 100, min: 1, description: 'broadcast.rateLimits.sms.burst (the shipped default)' },
  window: { default: 16, min: 1, description: 'adapters.sms-cmpp.window (W; the spec suggests 16)' },
  version: { default: '3.0', choices: ['2.0', '3.0'], description: 'CMPP version offered and spoken' },
  reportDelayMs: { default: 50, min: 0, description: 'simulated ISMG delay before each status report' },
  ismgRate: { default: 0, min: 0, description: 'ISMG accepts at most this many SUBMITs per second, Result 8 above (0 = no limit)' },
  ismgLatencyMs: { default: 0, min: 0, description: 'ISMG holds each SUBMIT_RESP this long (a distant gateway: the window then bounds throughput)' },
  timeoutSeconds: { default: 300, min: 1, description: 'give up waiting for all delivered after this' },
  runtime: RUNTIME_OPTION,
} as const;

interface Tally {
  total: number;
  sent: number;
  delivered: number;
  confirmed: number;
  failed: number;
}

/** The shipped district with sms-cmpp carrying `sms`, every other far end refusing at once (port 1). */
function gatewayConfig(dataDir: string, ismgPort: number, o: { perSecond: number; burst: number; window: number; version: string }): Record<string, unknown> {
  const base = parse(readFileSync(DEFAULT_CONFIG_PATH, 'utf8')) as Record<string, unknown>;
  const adapters = base.adapters as Record<string, Record<string, unknown>>;
  const nowhere = { host: '127.0.0.1', port: 1 };
  const sites = (base.sites as { kind?: string; devices: Record<string, unknown>[] }[]).map((s) =>
    s.kind === 'police' ? { ...s, devices: [...s.devices, { id: 'sms-cmpp-1', kind: 'sms', adapter: 'sms-cmpp', name: '短信平台 (CMPP)' }] } : s,
  );
  const broadcast = (base.broadcast ?? {}) as { rateLimits?: object };
  return {
    ...base,
    dataDir,
    sites,
    log: { level: 'error', pretty: false },
    http: { ...(base.http as object), host: '127.0.0.1', port: 0, rateLimit: { max: 1_000_000, windowSeconds: 60 } },
    mqtt: { ...(base.mqtt as object), host: '127.0.0.1', port: 0, persistence: 'memory' },
    adapters: {
      ...adapters,
      'sms-cmpp': { deviceId: 'sms-cmpp-1', host: '127.0.0.1', port: ismgPort, spId: SP_ID, sharedSecret: SECRET, srcId: '1065710001', serviceId: 'CAMPUS', version: o.version, window: o.window },
      'sms-smpp': { ...adapters['sms-smpp'], ...nowhere },
      'alarm-centre-dc09': { ...adapters['alarm-centre-dc09'], primary: nowhere, secondary: nowhere, supervisionSeconds: 0 },
      'barrier-modbus': { ...adapters['barrier-modbus'], controllers: { 'district-plc': nowhere } },
      'camera-onvif': { ...adapters['camera-onvif'], checkIntervalSeconds: 0, endpoints: { 'district-nvr': nowhere } },
    },
    broadcast: { ...broadcast, channelAdapters: { sms: 'sms-cmpp' }, rateLimits: { ...(broadcast.rateLimits ?? {}), sms: { perSecond: o.perSecond, burst: o.burst } } },
    simulation: { ...(base.simulation as object), faults: {} },
  };
}

export const benchmark = defineBenchmark({
  description: 'one SMS broadcast to 1,000 recipients over CMPP (gateway + simulated ISMG): time to all submitted and all delivered, exactly once',
  options,
  async run(o, ctx) {
    const tmp = mkdtempSync(join(tmpdir(), 'bench-cmpp-'));
    ctx.defer(() => rmSync(tmp, { recursive: true, force: true }));
    const ismg = new CmppIsmgSimulator();
    const { port } = await ismg.start({ host: '127.0.0.1', port: 0, spId: SP_ID, sharedSecret: SECRET, maxVersion: '3.0', reportDelayMs: o.reportDelayMs });
    ismg.setMode({ throttleRate: o.ismgRate, submitRespDelayMs: o.ismgLatencyMs });
    ctx.defer(() => ismg.stop());
    const configFile = join(tmp, 'gateway.yaml');
    writeFileSync(configFile, stringify(gatewayConfig(join(tmp, 'data'), port, o)));
    const env = { BENCH_GATEWAY_CONFIG: configFile, DATA_DIR: join(tmp, 'data'), LOG_LEVEL: 'error', HTTP_HOST: '127.0.0.1', HTTP_PORT: '0', MQTT_HOST: '127.0.0.1', MQTT_PORT: '0', INFLUX_URL: '' };
    const gw = await startBroker(ctx, 'gateway', { env, timeoutMs: 180_000, runtime: o.runtime as Runtime });
    ctx.defer(() => gw.stop());
    const duty = operatorApi(`http://127.0.0.1:${gw.httpPort ?? 0}`);
    await duty.login('duty');
    // The CMPP link connects after listen(): wait for it so the first batch is not a reconnect.
    const connectDeadline = performance.now() + 30_000;
    while (ismg.connectedSessions() === 0 && performance.now() < connectDeadline) await sleep(100, ctx.signal);
    if (ismg.connectedSessions() === 0) throw new BenchError('BENCH_ERR_TIMEOUT', 'the gateway never connected to the simulated ISMG');

    const recipients = Array.from({ length: o.recipients }, (_, i) => ({ name: `P${i}`, phone: `139${String(i).padStart(8, '0')}` }));
    const t0 = performance.now();
    const res = await duty.api('/api/broadcasts', { method: 'POST', as: 'duty', body: JSON.stringify({ text: TEXT, recipients, channels: ['sms'] }), signal: AbortSignal.timeout(60_000) });
    const createMs = performance.now() - t0;
    if (res.status !== 201) throw new BenchError('BENCH_ERR_BROADCAST', `POST /api/broadcasts: ${res.status} ${(await res.text()).slice(0, 300)}`);
    const { id } = (await res.json()) as { id: string };

    const marks: { ismgAll?: number; sentAll?: number; deliveredAll?: number } = {};
    const deadline = t0 + o.timeoutSeconds * 1000;
    let tally: Tally | undefined;
    let polls = 0;
    while (performance.now() < deadline && marks.deliveredAll === undefined) {
      if (marks.ismgAll === undefined && new Set(ismg.messages().map((m) => m.to)).size >= o.recipients) marks.ismgAll = performance.now() - t0;
      const r = await duty.api(`/api/broadcasts/${id}`, { as: 'duty', signal: AbortSignal.timeout(30_000) });
      tally = ((await r.json()) as { tally: Tally }).tally;
      polls++;
      const now = performance.now() - t0;
      if (marks.sentAll === undefined && tally.sent >= o.recipients) marks.sentAll = now;
      if (tally.delivered >= o.recipients) marks.deliveredAll = now;
      if (tally.failed > 0 && tally.sent + tally.failed >= o.recipients) break;
      await sleep(100, ctx.signal);
    }
    const messages = ismg.messages();
    const unique = new Set(messages.map((m) => m.to)).size;
    const submits = ismg.submits();
    const flowControlled = submits.filter((s) => s.result === 8).length;
    const reports = ismg.records().filter((r) => r.type === 'report').length;
    // Three floors: our rate limit; the ISMG's (its one-second sliding window takes the first
    // ismgRate at once); the window, W SUBMITs per ISMG round trip.
    const floorSeconds = Math.max(
      Math.max(0, o.recipients - o.burst) / o.perSecond,
      o.ismgRate > 0 ? Math.max(0, o.recipients - o.ismgRate) / o.ismgRate : 0,
      (o.recipients * o.ismgLatencyMs) / o.window / 1000,
    );
    const s = (v: number | undefined) => (v === undefined ? null : round(v / 1000, 2));
    const metrics = {
      recipients: o.recipients,
      version: o.version,
      createMs: round(createMs, 0),
      ismgAllAcceptedSeconds: s(marks.ismgAll),
      allSentSeconds: s(marks.sentAll),
      allDeliveredSeconds: s(marks.deliveredAll),
      rateFloorSeconds: round(floorSeconds, 1),
      messagesAtIsmg: messages.length,
      uniqueAtIsmg: unique,
      submitsAtIsmg: submits.length,
      partsPerMessage: messages[0]?.parts ?? null,
      flowControlled,
      reportsSent: reports,
      peakOutstandingAtIsmg: ismg.peakOutstanding(),
      failed: tally?.failed ?? null,
      apiPolls: polls,
    };
    const overhead = marks.deliveredAll !== undefined ? marks.deliveredAll / 1000 - floorSeconds : Infinity;
    const targets: TargetCheck[] = [
      {
        name: 'every recipient delivered exactly once',
        met: marks.deliveredAll !== undefined && unique === o.recipients && messages.length === o.recipients && tally?.delivered === o.recipients,
        detail: `${unique} unique of ${messages.length} messages at the ISMG, tally ${JSON.stringify(tally)}`,
      },
      { name: `never more than W = ${o.window} SUBMITs unanswered`, met: ismg.peakOutstanding() <= o.window, detail: `peak ${ismg.peakOutstanding()}` },
      { name: 'all delivered within the rate-limit floor + 5 s', met: overhead <= 5, detail: `${metrics.allDeliveredSeconds} s vs floor ${metrics.rateFloorSeconds} s` },
    ];
    return {
      metrics,
      targets,
      notes: [`rate limit ${o.perSecond}/s, burst ${o.burst}${o.ismgRate > 0 ? `, ISMG ${o.ismgRate}/s` : ''}: nothing can finish before ${floorSeconds.toFixed(1)} s`, 'ISMG simulator in this process, gateway in its own; the tally is polled over HTTP every 100 ms'],
    };
  },
});
