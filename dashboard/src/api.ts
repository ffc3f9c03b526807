/**
 * The gateway's HTTP API as the dashboard uses it. URLs are relative to the page, so the
 * dashboard also works behind a reverse proxy that mounts the gateway under a prefix.
 */
import type { Alarm, Broadcast, BroadcastInput, BroadcastSummary, ChainVerdict, DeviceView, Drill, GatewayHealth, SiteView, SweepInput, SweepView, UiConfig } from './model.js';
import type { ClockDriftView, ClusterView, OnCallOverrideView, OnCallStatusView, SiteAvailability, TelemetrySeries } from './model.js';
import { parseSession, parseUser, type Session, type SessionUser } from './session.js';

/** An API call that failed; `code` is the gateway's stable GW_ERR_* code when it sent one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** 429: the Retry-After header in seconds, when the gateway sent one. */
    readonly retryAfterS?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface ActionInput {
  note?: string;
}

export type Query = Record<string, string | number | undefined>;

/**
 * How the client authenticates (auth contract, issue #4): the bearer token of the current
 * session, and what happens when the gateway refuses it (401: the session expired or was
 * revoked) or refuses the role (403).
 */
export interface ApiAuth {
  token(): string | undefined;
  /** A request made with `token` came back 401. */
  unauthorized(token: string, err: ApiError): void;
  forbidden(err: ApiError): void;
}

interface SendOptions {
  /** A 403 is expected and handled by the caller (an optional call): no notice. */
  quietForbidden?: boolean;
}

/** Retry-After (RFC 9110 §10.2.3): delay-seconds or an HTTP-date. */
export function retryAfterSeconds(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const s = Number(value.trim());
  if (Number.isFinite(s) && s >= 0) return s;
  const at = Date.parse(value);
  return Number.isFinite(at) ? Math.max(0, Math.round((at - now) / 1000)) : undefined;
}

export class ApiClient {
  constructor(
    private readonly base: string,
    private readonly auth?: ApiAuth,
    private readonly fetchFn: typeof fetch = (input, init) => fetch(input, init),
  ) {}

  /**
   * POST /api/auth/login. Not through send(): its 401 means a wrong password, not an
   * expired session.
   */
  async login(username: string, password: string): Promise<Session> {
    let res: Response;
    try {
      res = await this.fetchFn(this.url('api/auth/login'), {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ username, password }),
      });
    } catch (err) {
      throw new ApiError(0, 'NETWORK', (err as Error).message);
    }
    if (!res.ok) throw await errorOf(res);
    const session = parseSession(await res.json().catch(() => undefined));
    if (!session) throw new ApiError(res.status, 'BAD_LOGIN_REPLY', 'login reply without token or user');
    return session;
  }

  /** POST /api/auth/logout: the gateway revokes the token (204). */
  async logout(): Promise<void> {
    await this.send<unknown>(this.url('api/auth/logout'), { method: 'POST', headers: { accept: 'application/json' } });
  }

  /** GET /api/auth/me: the user behind the current token, with its permissions now. */
  async me(): Promise<SessionUser> {
    const user = parseUser(await this.get<unknown>('api/auth/me'));
    if (!user) throw new ApiError(200, 'BAD_ME_REPLY', 'user without username, role or permissions');
    return user;
  }

  url(path: string, query: Query = {}): string {
    const u = new URL(path, this.base);
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') u.searchParams.set(k, String(v));
    return u.toString();
  }

  /** ws:// or wss:// URL of the live feed, next to the API. */
  liveUrl(): string {
    const u = new URL('api/live', this.base);
    u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
    return u.toString();
  }

  health(): Promise<GatewayHealth> {
    return this.get('api/health');
  }

  /** GET /api/cluster (cluster:read): the gateway nodes and which one holds the 110 link. */
  cluster(): Promise<ClusterView> {
    return this.get<ClusterView>('api/cluster', {}, { quietForbidden: true });
  }

  /** Names and instructions the district configured (404 from gateways older than the endpoint). */
  uiConfig(): Promise<UiConfig> {
    return this.get('api/config/ui', {}, { quietForbidden: true });
  }

  sites(): Promise<SiteView[]> {
    return this.get('api/sites');
  }

  devices(query: { site?: string; kind?: string; status?: string; reason?: string; state?: string } = {}): Promise<DeviceView[]> {
    return this.get('api/devices', query);
  }

  /** GET /api/clock-drift: every device and link that reports time, the furthest off first. */
  clockDrift(): Promise<ClockDriftView> {
    return this.get('api/clock-drift');
  }

  /** GET /api/oncall: who is on duty per role now, the roster's people and the recent stand-ins. */
  oncall(): Promise<OnCallStatusView> {
    return this.get('api/oncall');
  }

  /** POST /api/oncall/overrides (oncall:manage): a roster person stands in for a role from now. */
  addOncallOverride(body: { role: string; person: string; until: number; note?: string }): Promise<OnCallOverrideView> {
    return this.post('api/oncall/overrides', body);
  }

  /** DELETE /api/oncall/overrides/:id (oncall:manage): ends a stand-in now. */
  endOncallOverride(id: string): Promise<OnCallOverrideView> {
    return this.send(this.url(`api/oncall/overrides/${encodeURIComponent(id)}`), { method: 'DELETE', headers: { accept: 'application/json' } });
  }

  alarms(query: { state?: string; site?: string; limit?: number } = {}): Promise<Alarm[]> {
    return this.get('api/alarms', query);
  }

  acknowledge(id: string, input: ActionInput): Promise<Alarm> {
    return this.post(`api/alarms/${encodeURIComponent(id)}/ack`, cleanAction(input));
  }

  resolve(id: string, input: ActionInput): Promise<Alarm> {
    return this.post(`api/alarms/${encodeURIComponent(id)}/resolve`, cleanAction(input));
  }

  broadcasts(query: { limit?: number; alarmId?: string; state?: 'open' | 'closed' } = {}): Promise<BroadcastSummary[]> {
    return this.get('api/broadcasts', query);
  }

  /** One broadcast with every recipient's state and the roll-call tally. */
  broadcast(id: string): Promise<Broadcast> {
    return this.get(`api/broadcasts/${encodeURIComponent(id)}`);
  }

  createBroadcast(input: BroadcastInput): Promise<Broadcast> {
    const body: BroadcastInput = { text: input.text.trim(), groups: input.groups, channels: input.channels };
    if (input.siteId) body.siteId = input.siteId;
    if (input.alarmId) body.alarmId = input.alarmId;
    return this.post('api/broadcasts', body);
  }

  sweeps(limit = 20): Promise<SweepView[]> {
    return this.get('api/sweeps', { limit });
  }

  sweep(id: string, results: 'all' | 'failing' | 'none' = 'all'): Promise<SweepView> {
    return this.get(`api/sweeps/${encodeURIComponent(id)}`, { results });
  }

  startSweep(input: SweepInput): Promise<{ id: string; state: 'running'; total: number }> {
    const body: SweepInput = {};
    if (input.sites?.length) body.sites = input.sites;
    if (input.kinds?.length) body.kinds = input.kinds;
    if (input.extras?.length) body.extras = input.extras;
    return this.post('api/sweeps', body);
  }

  cancelSweep(id: string): Promise<SweepView> {
    return this.post(`api/sweeps/${encodeURIComponent(id)}/cancel`, {});
  }

  /** Where a sealed report is (json, csv, html): a plain link carries no token, see report(). */
  sweepReportUrl(id: string, format: 'json' | 'csv' | 'html'): string {
    return this.url(`api/sweeps/${encodeURIComponent(id)}/report.${format}`);
  }

  /** A sealed report fetched with the session's token, for a download or a new tab. */
  async report(id: string, format: 'json' | 'csv' | 'html'): Promise<Blob> {
    const res = await this.request(this.sweepReportUrl(id, format), {}, {});
    return res.blob();
  }

  verifySweepChain(): Promise<ChainVerdict> {
    return this.get('api/sweeps/chain/verify');
  }

  drills(site?: string): Promise<Drill[]> {
    return this.get('api/drills', { site });
  }

  drill(id: string): Promise<Drill> {
    return this.get(`api/drills/${encodeURIComponent(id)}`);
  }

  startDrill(siteId: string, durationSeconds: number): Promise<Drill> {
    return this.post('api/drills', { siteId, durationSeconds });
  }

  endDrill(id: string): Promise<Drill> {
    return this.post(`api/drills/${encodeURIComponent(id)}/end`, {});
  }

  /** A barrier up or down (devices:command); the gateway checks the position really changed. */
  deviceCommand(deviceId: string, command: 'raise' | 'lower'): Promise<{ deviceId: string; command: string; position: string; latencyMs: number }> {
    return this.post(`api/devices/${encodeURIComponent(deviceId)}/command`, { command });
  }

  /** A button's end-to-end self-test (devices:self-test): its test report travels to the 110 centre. */
  selfTest(deviceId: string): Promise<{ deviceId: string; topic: string }> {
    return this.post(`api/devices/${encodeURIComponent(deviceId)}/self-test`, {});
  }

  /** GET /api/devices/:id/telemetry (telemetry:read): the mean of one field per bucket, null where empty. */
  telemetry(deviceId: string, query: { field: string; from: number; to: number; every: string }): Promise<TelemetrySeries> {
    return this.get(`api/devices/${encodeURIComponent(deviceId)}/telemetry`, query);
  }

  /** GET /api/sites/:id/availability (telemetry:read): the school's mean uptime and each device's. */
  siteAvailability(siteId: string, query: { from: number; to: number }): Promise<SiteAvailability> {
    return this.get(`api/sites/${encodeURIComponent(siteId)}/availability`, query);
  }

  private async get<T>(path: string, query: Query = {}, opts: SendOptions = {}): Promise<T> {
    return this.send<T>(this.url(path, query), { headers: { accept: 'application/json' } }, opts);
  }

  private async post<T>(path: string, body: object): Promise<T> {
    return this.send<T>(this.url(path), {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
    });
  }

  private async send<T>(url: string, init: RequestInit, opts: SendOptions = {}): Promise<T> {
    const res = await this.request(url, init, opts);
    // 204 (logout) and other empty replies.
    if (res.status === 204) return undefined as T;
    return (await res.json()) as T;
  }

  /** fetch with the session's bearer token; a refusal becomes an ApiError (and a 401 ends the session). */
  private async request(url: string, init: RequestInit, opts: SendOptions): Promise<Response> {
    const token = this.auth?.token();
    const headers = new Headers(init.headers);
    if (token) headers.set('authorization', `Bearer ${token}`);
    let res: Response;
    try {
      res = await this.fetchFn(url, { ...init, headers });
    } catch (err) {
      throw new ApiError(0, 'NETWORK', (err as Error).message);
    }
    if (res.ok) return res;
    const err = await errorOf(res);
    if (res.status === 401 && token) this.auth?.unauthorized(token, err);
    if (res.status === 403 && !opts.quietForbidden) this.auth?.forbidden(err);
    throw err;
  }
}

/** Gateway errors are { statusCode, code, error, message } (gateway/http/server.ts). */
async function errorOf(res: Response): Promise<ApiError> {
  const body = (await res.json().catch(() => ({}))) as { code?: string; message?: string };
  return new ApiError(res.status, body.code ?? `HTTP_${res.status}`, body.message ?? res.statusText, retryAfterSeconds(res.headers.get('retry-after')));
}

/** The gateway rejects empty strings: leave out what the officer left blank. */
function cleanAction(input: ActionInput): ActionInput {
  const clean: ActionInput = {};
  if (input.note?.trim()) clean.note = input.note.trim();
  return clean;
}
