/**
 * The panel's calls to the gateway's simulator control API (/api/simulators, permission
 * simulators:control), with the session's bearer token. Refusals become ApiError like the rest
 * of the app's calls; a 401 asks the app's own client (GET /api/auth/me), whose 401 handling
 * ends the session, so the login screen comes back the usual way.
 */
import { ApiError, type ApiClient } from '../api.js';
import type { SimActionRequest, SimDeviceList, SimDeviceView } from '../../../gateway/contract/simulator-port.js';

export type { SimActionRequest, SimDeviceList, SimDeviceView };

export class SimulatorsClient {
  constructor(
    private readonly api: ApiClient,
    private readonly token: () => string | undefined,
  ) {}

  list(): Promise<SimDeviceList> {
    return this.send<SimDeviceList>('GET', 'api/simulators');
  }

  act(id: string, request: SimActionRequest): Promise<SimDeviceView> {
    return this.send<SimDeviceView>('POST', `api/simulators/${encodeURIComponent(id)}/actions`, request);
  }

  private async send<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const headers = new Headers({ accept: 'application/json' });
    const token = this.token();
    if (token) headers.set('authorization', `Bearer ${token}`);
    if (body !== undefined) headers.set('content-type', 'application/json');
    let res: Response;
    try {
      res = await fetch(this.api.url(path), { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    } catch (err) {
      throw new ApiError(0, 'NETWORK', (err as Error).message);
    }
    if (res.ok) return (await res.json()) as T;
    const reply = (await res.json().catch(() => ({}))) as { code?: string; message?: string };
    const err = new ApiError(res.status, reply.code ?? `HTTP_${res.status}`, reply.message ?? res.statusText);
    if (res.status === 401) this.api.me().catch(() => undefined);
    throw err;
  }
}
