/**
 * `--url` mode: plays a scenario against a gateway that is already running its simulated
 * district (`main.ts --simulate`). Steps go through the simulator control API
 * (POST /api/simulators/:id/actions, permission simulators:control); what the gateway did is
 * observed on /api/live (alarms raised and their 110 forwarding timeline, device health
 * reasons, broadcast recipients) and timed on arrival, on the runner's clock.
 *
 * What only a gateway the runner starts itself can do is refused, never ignored: a clock
 * shift (`clock`), configuration overrides (`config`) and the devices' heartbeat period
 * (`heartbeatSeconds`). `sites` cannot narrow a running district: it is noted in the report.
 */
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import type { Logger } from 'pino';
import { GatewayError } from '../../gateway/contract/errors.js';
import type { SimDeviceList } from '../../gateway/contract/simulator-port.js';
import type { BroadcastChange } from '../../gateway/core/broadcast/types.js';
import type { Alarm, Health } from '../../gateway/contract/types.js';
import { controlCall } from './actions.js';
import { broadcastFact, type Fact } from './evaluate.js';
import type { DistrictView } from './loader.js';
import { play, report, sec, type FactLog, type ScenarioReport } from './runner.js';
import type { Action, Scenario } from './schema.js';

/** The scenario cannot be played against that gateway (GW_ERR_SCENARIO_REMOTE_REFUSED, exit 2); its `details` say why, one per line. */
export function remoteRefusal(source: string, problems: string[]): GatewayError {
  return new GatewayError('GW_ERR_SCENARIO_REMOTE_REFUSED', `cannot run against a running gateway: ${source}\n${problems.map((p) => `  ${p}`).join('\n')}`, { details: problems });
}

export interface RemoteOptions {
  /** The gateway's base URL, e.g. http://127.0.0.1:8080 */
  url: string;
  user: string;
  password: string;
  log: Logger;
  /** The local view of the district (site → 110 account); it must be the gateway's district. */
  district: DistrictView;
  /** How often expectations are re-evaluated (ms, default 50). */
  pollMs?: number;
}

/** Features of a scenario that need a gateway the runner starts itself. */
export function remoteProblems(scenario: Scenario): string[] {
  const problems: string[] = [];
  if (scenario.clock) problems.push("/clock: a running gateway keeps its own clock; a clock shift needs the in-process mode (run without --url)");
  if (Object.keys(scenario.config).length > 0) problems.push('/config: configuration overrides need a gateway started by the runner (run without --url)');
  if (scenario.heartbeatSecondsSet) problems.push("/heartbeatSeconds: a running district heartbeats at its own period (simulation.heartbeatSeconds); run without --url");
  // The chaos measurements read the in-process simulators and the runner's own InfluxDB.
  if (scenario.influx) problems.push('/influx: the InfluxDB the scenario kills is one the runner starts (run without --url)');
  if (scenario.probe) problems.push('/probe: the press → 110 probe reads the receivers in process (run without --url)');
  scenario.expect.forEach((e, i) => {
    if (e.kind === 'figure') problems.push(`/expect/${i}/figure: figures are measured in process (run without --url)`);
  });
  return problems;
}

interface LiveMessage {
  type: string;
  change?: string;
  alarm?: Alarm;
  alarms?: Alarm[];
  health?: Health | Health[];
  broadcasts?: { id: string; alarmId?: string }[];
}

/** Facts from the gateway's live feed, timed on arrival. */
class LiveRecorder implements FactLog {
  readonly facts: Fact[] = [];
  /** Open alarms when the scenario started (they were not raised by it). */
  readonly openAtStart: Alarm[] = [];
  private origin: number | undefined;
  private readonly alarmTypes = new Map<string, string>();
  private readonly broadcastAlarm = new Map<string, string>();
  private readonly health = new Map<string, Health>();
  private readonly seenAcks = new Set<string>();
  private synced = false;

  constructor(private readonly accounts: ReadonlyMap<string, string>) {}

  now(): number {
    return this.origin === undefined ? 0 : sec(performance.now() - this.origin);
  }

  mark(): void {
    this.origin = performance.now();
  }

  get hasSnapshot(): boolean {
    return this.synced;
  }

  apply(msg: LiveMessage): void {
    if (msg.type === 'snapshot') return this.snapshot(msg);
    if (msg.type === 'alarm' && msg.alarm) return this.alarm(msg.alarm, msg.change ?? '');
    if (msg.type === 'health' && msg.health && !Array.isArray(msg.health)) return this.reasons(msg.health);
    if (msg.type === 'broadcast') return this.broadcast(msg as unknown as BroadcastChange);
  }

  /** The first snapshot is the starting point; a later one (a reconnect) only refreshes what is known. */
  private snapshot(msg: LiveMessage): void {
    const first = !this.synced;
    this.synced = true;
    for (const a of msg.alarms ?? []) {
      if (first) this.openAtStart.push(a);
      this.alarmTypes.set(a.id, a.type);
      // 110 ACKs already in an open alarm's timeline happened before the scenario.
      a.timeline.forEach((e, i) => e.action === 'forward-acked' && this.seenAcks.add(`${a.id}#${i}`));
    }
    for (const b of msg.broadcasts ?? []) if (b.alarmId) this.broadcastAlarm.set(b.id, b.alarmId);
    for (const h of Array.isArray(msg.health) ? msg.health : []) this.reasons(h);
  }

  private alarm(alarm: Alarm, change: string): void {
    this.alarmTypes.set(alarm.id, alarm.type);
    const who = { siteId: alarm.siteId, ...(alarm.deviceId ? { deviceId: alarm.deviceId } : {}), alarmId: alarm.id };
    if (change === 'raised') this.facts.push({ kind: 'alarm', t: this.now(), type: alarm.type, ...who });
    alarm.timeline.forEach((entry, i) => {
      const key = `${alarm.id}#${i}`;
      if (entry.action !== 'forward-acked' || this.seenAcks.has(key)) return;
      this.seenAcks.add(key);
      const account = this.accounts.get(alarm.siteId);
      const receiver = entry.data?.receiver;
      this.facts.push({ kind: 'forwarded', t: this.now(), ...who, ...(account ? { account } : {}), ...(typeof receiver === 'string' ? { receiver } : {}) });
    });
  }

  private reasons(h: Health): void {
    const before = new Set(this.health.get(h.deviceId)?.reasons.map((r) => r.code) ?? []);
    this.health.set(h.deviceId, h);
    for (const r of h.reasons) if (!before.has(r.code)) this.facts.push({ kind: 'reason', t: this.now(), deviceId: h.deviceId, reason: r.code });
  }

  private broadcast(c: BroadcastChange): void {
    if (c.change === 'created') {
      if (c.broadcast.alarmId) this.broadcastAlarm.set(c.broadcast.id, c.broadcast.alarmId);
      return;
    }
    if (c.change !== 'recipient') return;
    const alarmId = this.broadcastAlarm.get(c.broadcastId);
    const fact = broadcastFact(c, this.now(), alarmId ? this.alarmTypes.get(alarmId) : undefined);
    if (fact) this.facts.push(fact);
  }
}

/** A minimal HTTP client for the gateway's API with a bearer token. */
class GatewayHttp {
  token = '';
  constructor(private readonly base: string) {}

  async call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(new URL(path, this.base), { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}), signal: AbortSignal.timeout(30_000) });
    } catch (err) {
      throw new Error(`${method} ${path}: the gateway at ${this.base} did not answer (${(err as Error).message})`, { cause: err });
    }
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = text;
    }
    return { status: res.status, body: parsed as T };
  }
}

const messageOf = (body: unknown): string => {
  const b = body as { code?: string; message?: string } | undefined;
  return b?.message ? `${b.code ?? ''} ${b.message}`.trim() : String(body ?? '');
};

/** Permissions a scenario needs of the user it runs as. */
function neededPermissions(scenario: Scenario): string[] {
  const needs = ['alarms:read'];
  if (scenario.steps.some((s) => controlCall(s.action))) needs.push('simulators:control');
  if (scenario.expect.some((e) => e.kind === 'broadcast-delivered')) needs.push('broadcasts:read');
  return needs;
}

function openLive(base: string, token: string, rec: LiveRecorder, log: Logger): Promise<WebSocket> {
  const url = new URL('/api/live', base);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  const ws = new WebSocket(url, ['campus-live.v1', `bearer.${token}`]);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`no snapshot from ${url.toString()} within 10 s`));
    }, 10_000);
    ws.on('message', (raw) => {
      let msg: LiveMessage;
      try {
        msg = JSON.parse(String(raw)) as LiveMessage;
      } catch {
        return;
      }
      rec.apply(msg);
      if (msg.type === 'snapshot') {
        clearTimeout(timer);
        resolve(ws);
      }
    });
    ws.on('unexpected-response', (_req, res) => {
      clearTimeout(timer);
      reject(new Error(`the live feed refused the connection: HTTP ${res.statusCode ?? 0}`));
    });
    ws.on('error', (err) => {
      clearTimeout(timer);
      log.warn({ err }, 'live feed error');
      reject(err);
    });
  });
}

/** Plays one scenario against the running gateway at `opts.url`; throws remoteRefusal() when it cannot. */
export async function runScenarioRemote(scenario: Scenario, opts: RemoteOptions): Promise<ScenarioReport> {
  const source = scenario.source ?? scenario.name;
  const problems = remoteProblems(scenario);
  if (problems.length > 0) throw remoteRefusal(source, problems);
  const startedAt = new Date().toISOString();
  const setupStart = performance.now();
  const http = new GatewayHttp(opts.url);

  const login = await http.call<{ token?: string; user?: { permissions?: string[] } }>('POST', '/api/auth/login', { username: opts.user, password: opts.password });
  if (login.status !== 200 || !login.body.token) throw remoteRefusal(source, [`login as '${opts.user}' refused: HTTP ${login.status} ${messageOf(login.body)}`]);
  http.token = login.body.token;
  const held = new Set(login.body.user?.permissions ?? []);
  const missing = neededPermissions(scenario).filter((p) => !held.has(p));
  let ws: WebSocket | undefined;
  try {
    if (missing.length > 0) throw remoteRefusal(source, [`user '${opts.user}' lacks ${missing.join(', ')} (needed by this scenario); use --user with a role that has it (admin has all)`]);
    const list = await http.call<SimDeviceList>('GET', '/api/simulators');
    if (list.status === 404) throw remoteRefusal(source, [`the gateway at ${opts.url} does not run a simulated district (start it with --simulate)`]);
    if (list.status !== 200) throw remoteRefusal(source, [`GET /api/simulators: HTTP ${list.status} ${messageOf(list.body)}`]);
    const simulated = new Set([...list.body.farEnds, ...list.body.devices].map((d) => d.id));
    const absent = [...new Set(scenario.steps.flatMap((s) => controlCall(s.action)?.id ?? []))].filter((id) => !simulated.has(id));
    if (absent.length > 0) throw remoteRefusal(source, [`not simulated by the gateway at ${opts.url}: ${absent.join(', ')}`]);

    const accounts = new Map(opts.district.sites.flatMap((s) => (s.arcAccount ? [[s.id, s.arcAccount] as [string, string]] : [])));
    const rec = new LiveRecorder(accounts);
    ws = await openLive(opts.url, http.token, rec, opts.log);
    const notes = startNotes(scenario, rec.openAtStart);
    let closedAt: number | undefined;
    ws.on('close', (code) => {
      closedAt = rec.now();
      opts.log.warn({ code }, 'live feed closed during the scenario');
    });
    rec.mark();
    const setupSeconds = sec(performance.now() - setupStart);
    const perform = async (action: Action): Promise<void> => {
      const call = controlCall(action);
      if (!call) return;
      const res = await http.call('POST', `/api/simulators/${encodeURIComponent(call.id)}/actions`, call.request);
      if (res.status !== 200) throw new Error(`HTTP ${res.status} ${messageOf(res.body)}`);
    };
    const steps = await play(scenario, perform, rec, opts.pollMs ?? 50);
    if (closedAt !== undefined) notes.push(`the live feed closed at ${closedAt}s: later facts were not observed`);
    return report(scenario, { startedAt, setupSeconds, steps, log: rec, target: opts.url, notes });
  } finally {
    ws?.removeAllListeners('close');
    ws?.close();
    await http.call('POST', '/api/auth/logout').catch(() => undefined);
  }
}

/** What a reader of a remote report should know from the start. */
function startNotes(scenario: Scenario, open: readonly Alarm[]): string[] {
  const notes: string[] = [];
  if (scenario.sites) notes.push(`sites [${scenario.sites.join(', ')}] not applied: the running gateway simulates its whole district`);
  for (const e of scenario.expect) {
    if (e.kind !== 'alarm') continue;
    const already = open.find((a) => a.type === e.type && !a.drill && (!e.device || a.deviceId === e.device) && (!e.site || a.siteId === e.site));
    if (already) notes.push(`an alarm ${e.type} for ${already.deviceId ?? already.siteId} was already open (${already.id}): a new one repeats it instead of being raised; resolve it first`);
  }
  return notes;
}
