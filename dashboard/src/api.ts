/**
 * The gateway's HTTP API as the dashboard uses it. URLs are relative to the page, so the
 * dashboard also works behind a reverse proxy that mounts the gateway under a prefix.
 */
import type { Alarm, Broadcast, BroadcastInput, BroadcastSummary, ChainVerdict, DeviceView, Drill, GatewayHealth, SiteView, SweepInput, SweepView, UiConfig } from './model.js';

/** An API call that failed; `code` is the gateway's stable GW_ERR_* code when it sent one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface ActionInput {
  note?: string;
  by?: string;
}

export type Query = Record<string, string | number | undefined>;

export class ApiClient {
  constructor(
    private readonly base: string,
    private readonly fetchFn: typeof fetch = (input, init) => fetch(input, init),
  ) {}

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

  /** Names and instructions the district configured (404 from gateways older than the endpoint). */
  uiConfig(): Promise<UiConfig> {
    return this.get('api/config/ui');
  }

  sites(): Promise<SiteView[]> {
    return this.get('api/sites');
  }

  devices(query: { site?: string; kind?: string; status?: string; reason?: string } = {}): Promise<DeviceView[]> {
    return this.get('api/devices', query);
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
    const body: BroadcastInput = { text: input.text.trim(), groups: input.groups, channels: input.channels, by: input.by.trim() };
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
    if (input.by?.trim()) body.by = input.by.trim();
    return this.post('api/sweeps', body);
  }

  cancelSweep(id: string, by: string): Promise<SweepView> {
    return this.post(`api/sweeps/${encodeURIComponent(id)}/cancel`, by.trim() ? { by: by.trim() } : {});
  }

  /** Where a sealed report downloads (json, csv) or opens (html). */
  sweepReportUrl(id: string, format: 'json' | 'csv' | 'html'): string {
    return this.url(`api/sweeps/${encodeURIComponent(id)}/report.${format}`);
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

  startDrill(siteId: string, durationSeconds: number, by: string): Promise<Drill> {
    return this.post('api/drills', { siteId, durationSeconds, ...(by.trim() ? { by: by.trim() } : {}) });
  }

  endDrill(id: string, by: string): Promise<Drill> {
    return this.post(`api/drills/${encodeURIComponent(id)}/end`, by.trim() ? { by: by.trim() } : {});
  }

  private async get<T>(path: string, query: Query = {}): Promise<T> {
    return this.send<T>(this.url(path, query), { headers: { accept: 'application/json' } });
  }

  private async post<T>(path: string, body: object): Promise<T> {
    return this.send<T>(this.url(path), {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
    });
  }

  private async send<T>(url: string, init: RequestInit): Promise<T> {
    let res: Response;
    try {
      res = await this.fetchFn(url, init);
    } catch (err) {
      throw new ApiError(0, 'NETWORK', (err as Error).message);
    }
    if (!res.ok) {
      // Gateway errors are { statusCode, code, error, message } (gateway/http/server.ts).
      const body = (await res.json().catch(() => ({}))) as { code?: string; message?: string };
      throw new ApiError(res.status, body.code ?? `HTTP_${res.status}`, body.message ?? res.statusText);
    }
    return (await res.json()) as T;
  }
}

/** The gateway rejects empty strings: leave out what the officer left blank. */
function cleanAction(input: ActionInput): ActionInput {
  const clean: ActionInput = {};
  if (input.note?.trim()) clean.note = input.note.trim();
  if (input.by?.trim()) clean.by = input.by.trim();
  return clean;
}
