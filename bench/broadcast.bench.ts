/**
 * broadcast (issue 8): one SMS broadcast to N recipients (default 1,000, the API's maximum)
 * through the gateway in its own process (shipped district, sms-smpp adapter) and the SMS
 * centre simulator in this process. Times from POST /api/broadcasts to: every message accepted
 * by the SMSC (simulator's record, same clock), the gateway's tally showing all `sent`
 * (submit_sm_resp), and all `delivered` (delivery receipts, SMPP 3.4 §4.6.1). The SMS rate
 * limit (broadcast.rateLimits.sms) sets a floor: (N − burst) / perSecond seconds.
 * Ported from tests/integration/broadcasts/bench-1000.ts (in-process, fake context).
 */
import { operatorApi } from '../tests/helpers/operator-api.js';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parse, stringify } from 'yaml';
import { DEFAULT_CONFIG_PATH } from '../gateway/config/load.js';
import { SmsCentreSimulator } from '../simulators/sms-centre/sms-centre-simulator.js';
import { startBroker, type Runtime, RUNTIME_OPTION } from './lib/broker-process.js';
import { BenchError, defineBenchmark, type TargetCheck } from './lib/harness.js';
import { sleep } from './lib/processes.js';
import { round } from './lib/stats.js';

const TEXT = '【城东区校园安全】城东区第一中学于11月3日 14:05一键报警。请就近巡逻民警立即赶赴，门卫室关闭校门。收到请回复“1”或“收到”。';

const options = {
  recipients: { default: 1000, min: 1, description: 'SMS recipients (the API accepts at most 1,000)' },
  perSecond: { default: 50, min: 0.01, description: 'broadcast.rateLimits.sms.perSecond (the shipped default)' },
  burst: { default: 100, min: 1, description: 'broadcast.rateLimits.sms.burst (the shipped default)' },
  receiptDelayMs: { default: 50, min: 0, description: 'simulated SMSC delay before each delivery receipt' },
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

/** The shipped district and adapters, with every far end on loopback and nothing else running. */
function gatewayConfig(dataDir: string, smsPort: number, o: { perSecond: number; burst: number }): Record<string, unknown> {
  const base = parse(readFileSync(DEFAULT_CONFIG_PATH, 'utf8')) as Record<string, unknown>;
  const adapters = base.adapters as Record<string, Record<string, unknown>>;
  // Port 1 refuses at once: the other links stay down quietly instead of reaching real hosts.
  const nowhere = { host: '127.0.0.1', port: 1 };
  return {
    ...base,
    dataDir,
    log: { level: 'error', pretty: false },
    // The bench polls the broadcast as fast as it answers: no per-operator request budget here.
    http: { ...(base.http as object), host: '127.0.0.1', port: 0, rateLimit: { max: 1_000_000, windowSeconds: 60 } },
    mqtt: { ...(base.mqtt as object), host: '127.0.0.1', port: 0, persistence: 'memory' },
    adapters: {
      ...adapters,
      'sms-smpp': { ...adapters['sms-smpp'], host: '127.0.0.1', port: smsPort },
      'alarm-centre-dc09': { ...adapters['alarm-centre-dc09'], primary: nowhere, secondary: nowhere, supervisionSeconds: 0 },
      'barrier-modbus': { ...adapters['barrier-modbus'], controllers: { 'district-plc': nowhere } },
      'camera-onvif': { ...adapters['camera-onvif'], checkIntervalSeconds: 0, endpoints: { 'district-nvr': nowhere } },
    },
    broadcast: { ...(base.broadcast as object), rateLimits: { ...((base.broadcast as { rateLimits?: object } | undefined)?.rateLimits ?? {}), sms: { perSecond: o.perSecond, burst: o.burst } } },
    simulation: { ...(base.simulation as object), faults: {} },
  };
}

export const benchmark = defineBenchmark({
  description: 'one SMS broadcast to 1,000 recipients through the gateway and the SMSC simulator: time to all submitted and all delivered',
  options,
  async run(o, ctx) {
    const tmp = mkdtempSync(join(tmpdir(), 'bench-broadcast-'));
    ctx.defer(() => rmSync(tmp, { recursive: true, force: true }));
    const sim = new SmsCentreSimulator();
    const { port } = await sim.start({ host: '127.0.0.1', port: 0, systemId: 'campusgw', password: 'demo1234', receiptDelayMs: o.receiptDelayMs });
    ctx.defer(() => sim.stop());
    const configFile = join(tmp, 'gateway.yaml');
    writeFileSync(configFile, stringify(gatewayConfig(join(tmp, 'data'), port, o)));
    const env = { BENCH_GATEWAY_CONFIG: configFile, DATA_DIR: join(tmp, 'data'), LOG_LEVEL: 'error', HTTP_HOST: '127.0.0.1', HTTP_PORT: '0', MQTT_HOST: '127.0.0.1', MQTT_PORT: '0', INFLUX_URL: '' };
    const gw = await startBroker(ctx, 'gateway', { env, timeoutMs: 180_000, runtime: o.runtime as Runtime });
    ctx.defer(() => gw.stop());
    // The demo district's duty officer (config/default.yaml) sends it, logged in like the dashboard.
    const duty = operatorApi(`http://127.0.0.1:${gw.httpPort ?? 0}`);
    await duty.login('duty');
    // The SMPP bind happens after listen(): give it a moment so the first batch is not a reconnect.
    const bindDeadline = performance.now() + 30_000;
    while (sim.boundSessions() === 0 && performance.now() < bindDeadline) await sleep(100, ctx.signal);

    const recipients = Array.from({ length: o.recipients }, (_v, i) => ({ name: `P${i}`, phone: `139${String(i).padStart(8, '0')}` }));
    const before = sim.messages().length;
    const t0 = performance.now();
    const res = await duty.api('/api/broadcasts', {
      method: 'POST',
      as: 'duty',
      body: JSON.stringify({ text: TEXT, recipients, channels: ['sms'] }),
      signal: AbortSignal.timeout(60_000),
    });
    const createMs = performance.now() - t0;
    if (res.status !== 201) throw new BenchError('BENCH_ERR_BROADCAST', `POST /api/broadcasts: ${res.status} ${(await res.text()).slice(0, 300)}`);
    const { id } = (await res.json()) as { id: string };

    const marks: { smscAll?: number; sentAll?: number; deliveredAll?: number } = {};
    const deadline = t0 + o.timeoutSeconds * 1000;
    let tally: Tally | undefined;
    let polls = 0;
    let pollMaxMs = 0;
    while (performance.now() < deadline && marks.deliveredAll === undefined) {
      if (marks.smscAll === undefined && sim.messages().length - before >= o.recipients) marks.smscAll = performance.now() - t0;
      const p0 = performance.now();
      const r = await duty.api(`/api/broadcasts/${id}`, { as: 'duty', signal: AbortSignal.timeout(30_000) });
      tally = ((await r.json()) as { tally: Tally }).tally;
      pollMaxMs = Math.max(pollMaxMs, performance.now() - p0);
      polls++;
      const now = performance.now() - t0;
      // Tally counts are cumulative (a delivered recipient still counts as sent).
      if (marks.sentAll === undefined && tally.sent >= o.recipients) marks.sentAll = now;
      if (tally.delivered >= o.recipients) marks.deliveredAll = now;
      if (tally.failed > 0 && tally.sent + tally.failed >= o.recipients) break;
      await sleep(100, ctx.signal);
    }
    const atSmsc = sim.messages().slice(before);
    const unique = new Set(atSmsc.map((m) => m.to)).size;
    const floorSeconds = Math.max(0, o.recipients - o.burst) / o.perSecond;
    const s = (v: number | undefined) => (v === undefined ? null : round(v / 1000, 2));
    const metrics = {
      recipients: o.recipients,
      createMs: round(createMs, 0),
      smscAllAcceptedSeconds: s(marks.smscAll),
      allSentSeconds: s(marks.sentAll),
      allDeliveredSeconds: s(marks.deliveredAll),
      rateFloorSeconds: round(floorSeconds, 1),
      messagesAtSmsc: atSmsc.length,
      uniqueAtSmsc: unique,
      failed: tally?.failed ?? null,
      apiPolls: polls,
      apiPollMaxMs: round(pollMaxMs, 0),
    };
    const overhead = marks.deliveredAll !== undefined ? marks.deliveredAll / 1000 - floorSeconds : Infinity;
    const targets: TargetCheck[] = [
      { name: 'every recipient delivered exactly once', met: marks.deliveredAll !== undefined && unique === o.recipients && atSmsc.length === o.recipients, detail: `${unique} unique of ${atSmsc.length} messages at the SMSC, tally ${JSON.stringify(tally)}` },
      { name: 'all delivered within the rate-limit floor + 5 s', met: overhead <= 5, detail: `${metrics.allDeliveredSeconds} s vs floor ${metrics.rateFloorSeconds} s` },
    ];
    return { metrics, targets, notes: [`rate limit ${o.perSecond}/s, burst ${o.burst}: nothing can finish before ${floorSeconds.toFixed(1)} s`, 'SMSC simulator in this process, gateway in its own; the tally is polled over HTTP every 100 ms'] };
  },
});
