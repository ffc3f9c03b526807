/**
 * GET /metrics: Prometheus text with the gateway's counters and vital signs, open without a
 * login to `http.metricsAllow` (loopback by default), 401 to anyone else without a login.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../gateway/config/load.js';
import { connectAs, startGateway, type TestGateway } from '../../helpers/gateway.js';

/** `name{labels} value` lines of an exposition, by series. */
function series(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

describe('GET /metrics', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startGateway();
  });
  afterAll(async () => t?.close());

  it('answers loopback without a login, in the Prometheus text format, with the campus_gateway_ metrics', async () => {
    const res = await fetch(`${t.baseUrl}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const s = series(await res.text());
    const devices = t.gw.registry.list().length;
    const byStatus = ['ok', 'degraded', 'offline', 'unknown'].reduce((n, st) => n + (s.get(`campus_gateway_devices{status="${st}"}`) ?? 0), 0);
    expect({
      devices: byStatus,
      openAlarms: s.get('campus_gateway_open_alarms'),
      outbox: s.get('campus_gateway_outbox_pending{channel="alarm-centre-dc09"}'),
      lag: s.has('campus_gateway_nodejs_eventloop_lag_seconds'),
      telemetry: [...s.keys()].some((k) => k.startsWith('campus_gateway_telemetry_points{store="embedded",state="written"}')),
      link: [...s.keys()].some((k) => k.startsWith('campus_gateway_link_up{device="arc-110",kind="alarm-centre"')),
    }).toStrictEqual({ devices, openAlarms: 0, outbox: 0, lag: true, telemetry: true, link: true });
  });

  it('counts a press and its alarm', async () => {
    const client = await connectAs(t.mqttUrl, 'sch-01-btn-1');
    await client.publishAsync('campus/v1/sch-01/sch-01-btn-1/event', JSON.stringify({ type: 'press', seq: 1 }), { qos: 1 });
    await client.endAsync();
    const s = series(await (await fetch(`${t.baseUrl}/metrics`)).text());
    expect([s.get('campus_gateway_device_events_total{type="press"}'), s.get('campus_gateway_open_alarms'), (s.get('campus_gateway_mqtt_auth_accepted_total') ?? 0) >= 1]).toStrictEqual([1, 1, true]);
  });

  it('asks anyone outside metricsAllow to log in, and lets technicians and admins in', async () => {
    const from = (remoteAddress: string, token?: string) =>
      t.gw.http.inject({ method: 'GET', url: '/metrics', remoteAddress, ...(token ? { headers: { authorization: `Bearer ${token}` } } : {}) });
    const anonymous = await from('10.1.2.3');
    expect([anonymous.statusCode, anonymous.json<{ code: string }>().code]).toStrictEqual([401, 'GW_ERR_UNAUTHENTICATED']);
    expect((await from('::ffff:127.0.0.1')).statusCode).toBe(200);
    expect((await from('10.1.2.3', await t.login('duty'))).statusCode).toBe(403);
    expect((await from('10.1.2.3', await t.login('tech'))).statusCode).toBe(200);
  });
});

describe('http.metricsAllow', () => {
  it('refuses an entry that is not an address or CIDR block, by path', () => {
    expect(() => loadConfig({ env: {}, overrides: { http: { metricsAllow: ['10.0.0.0/8', 'prometheus.local', '10.0.0.0/33'] } } })).toThrow(
      "/http/metricsAllow/1: 'prometheus.local' is not an IP address or CIDR block; /http/metricsAllow/2: '10.0.0.0/33' is not an IP address or CIDR block",
    );
  });

  it('closes loopback when the list names only the Prometheus server', async () => {
    const t = await startGateway({ http: { metricsAllow: ['10.9.8.7'] } });
    try {
      const [loop, prom] = await Promise.all([fetch(`${t.baseUrl}/metrics`), t.gw.http.inject({ method: 'GET', url: '/metrics', remoteAddress: '10.9.8.7' })]);
      expect([loop.status, prom.statusCode]).toStrictEqual([401, 200]);
    } finally {
      await t.close();
    }
  });
});
