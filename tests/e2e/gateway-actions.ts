/**
 * What the dashboard's end-to-end tests do to the gateway and read from the page, shared by
 * the test files: HTTP calls (as a demo operator, admin by default), a real button press over
 * MQTT, a roll-call tally as shown.
 */
import type { MqttClient } from 'mqtt';
import type { Page, WebSocketRoute } from 'playwright-core';
import type { Tally } from '../../gateway/core/broadcast/types.js';
import type { Alarm } from '../../gateway/contract/types.js';
import { connectAs, type TestGateway } from '../helpers/gateway.js';

type ApiInit = RequestInit & { as?: string | null };

/** GET (or `init`) through the test gateway's t.api(), which logs in as `init.as` (default admin). */
export async function apiJson<T>(t: TestGateway, path: string, init?: ApiInit): Promise<T> {
  const res = await t.api(path, init);
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** POST a JSON body as demo operator `as` (default admin): the gateway records that operator. */
export function apiPost<T>(t: TestGateway, path: string, body: unknown, as = 'admin'): Promise<T> {
  return apiJson<T>(t, path, { method: 'POST', body: JSON.stringify(body), as });
}

/**
 * Presses a button as a real MQTT client (its own client id, beside the simulated device) and
 * returns the open panic alarm. The client is pushed to `clients` for the test to end.
 */
export async function pressButton(t: TestGateway, deviceId: string, clients: MqttClient[]): Promise<Alarm> {
  const siteId = deviceId.replace(/-btn-\d+$/, '');
  const client = await connectAs(t.mqttUrl, deviceId, { clientId: `e2e-${deviceId}-${clients.length}` });
  clients.push(client);
  await client.publishAsync(`campus/v1/${siteId}/${deviceId}/event`, JSON.stringify({ type: 'press' }), { qos: 1 });
  // PUBACK: the alarm is committed (gateway guarantee), so the API has it now.
  const open = await apiJson<Alarm[]>(t, `/api/alarms?state=open&site=${siteId}`);
  const alarm = open.find((a) => a.type === 'panic' && a.deviceId === deviceId);
  if (!alarm) throw new Error(`no open panic for ${deviceId}`);
  return alarm;
}

/** The roll-call tally the page shows inside `scope` (numbers under [data-tally]). */
export async function pageTally(page: Page, scope: string): Promise<Tally> {
  const read = (key: keyof Tally) => page.textContent(`${scope} [data-tally="${key}"]`).then((s) => Number(s));
  const [total, sent, delivered, confirmed, failed] = await Promise.all([read('total'), read('sent'), read('delivered'), read('confirmed'), read('failed')]);
  return { total, sent, delivered, confirmed, failed };
}

/** The page's /api/live socket, routed through the test so it can cut and block the feed. */
export interface LiveRoute {
  blocked: boolean;
  page?: WebSocketRoute;
  server?: WebSocketRoute;
  connects: number;
}

export async function routeLive(page: Page): Promise<LiveRoute> {
  const live: LiveRoute = { blocked: false, connects: 0 };
  await page.routeWebSocket(/\/api\/live$/, (ws) => {
    live.connects++;
    if (live.blocked) {
      // The gateway is "unreachable": the page's socket opens and drops at once.
      void ws.close({ code: 4001, reason: 'e2e: gateway unreachable' });
      return;
    }
    live.page = ws;
    live.server = ws.connectToServer();
  });
  return live;
}
