/**
 * A school sees its own school only: on every route and on the live socket. Another school's
 * alarm, device or drill is answered 404, exactly as an id that does not exist.
 */
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alarm, Health } from '../../../gateway/contract/types.js';
import { connectAs, eventually, startGateway, type TestGateway } from '../../helpers/gateway.js';

const json = async <T>(res: Response) => (await res.json()) as T;

describe('school scope', () => {
  let t: TestGateway;
  let foreign: Alarm;
  let own: Alarm;
  beforeAll(async () => {
    t = await startGateway();
    for (const [site, dev] of [['sch-01', 'sch-01-btn-1'], ['sch-02', 'sch-02-btn-1']] as const) {
      const c = await connectAs(t.mqttUrl, dev);
      await c.publishAsync(`campus/v1/${site}/${dev}/event`, JSON.stringify({ type: 'press' }), { qos: 1 });
      await c.endAsync();
    }
    const open = t.gw.alarms.openAlarms();
    foreign = open.find((a) => a.deviceId === 'sch-01-btn-1') as Alarm;
    own = open.find((a) => a.deviceId === 'sch-02-btn-1') as Alarm;
  });
  afterAll(async () => t?.close());

  it("answers another school's alarm by id 404, the same as an alarm that does not exist", async () => {
    const theirs = await t.api(`/api/alarms/${foreign.id}`, { as: 'sch-02' });
    const none = await t.api('/api/alarms/no-such-alarm', { as: 'sch-02' });
    expect([theirs.status, none.status]).toStrictEqual([404, 404]);
    expect((await json<{ code: string }>(theirs)).code).toBe('GW_ERR_ALARM_NOT_FOUND');
    expect((await t.api(`/api/alarms/${own.id}`, { as: 'sch-02' })).status).toBe(200);
    // The duty officer sees both.
    expect((await t.api(`/api/alarms/${foreign.id}`, { as: 'duty' })).status).toBe(200);
  });

  it('lists only its own alarms, devices and sites, even when it asks for another site', async () => {
    const alarms = await json<Alarm[]>(await t.api('/api/alarms', { as: 'sch-02' }));
    expect([...new Set(alarms.map((a) => a.siteId))]).toStrictEqual(['sch-02']);
    expect(await json<Alarm[]>(await t.api('/api/alarms?site=sch-01', { as: 'sch-02' }))).toStrictEqual([]);
    const devices = await json<{ siteId: string }[]>(await t.api('/api/devices', { as: 'sch-02' }));
    expect(devices.length).toBeGreaterThan(0);
    expect([...new Set(devices.map((d) => d.siteId))]).toStrictEqual(['sch-02']);
    expect((await json<{ id: string }[]>(await t.api('/api/sites', { as: 'sch-02' }))).map((s) => s.id)).toStrictEqual(['sch-02']);
    expect((await json<unknown[]>(await t.api('/api/sites', { as: 'duty' }))).length).toBe(34);
  });

  it("refuses another school's devices (404) and runs a test press on its own button", async () => {
    const checks = [
      ['GET', '/api/devices/sch-01-btn-1'],
      ['GET', '/api/devices/sch-01-btn-1/telemetry?field=battery'],
      ['GET', '/api/devices/sch-01-btn-1/availability'],
      ['GET', '/api/sites/sch-01/availability'],
      ['POST', '/api/devices/sch-01-btn-1/self-test'],
    ] as const;
    const statuses = [];
    for (const [method, path] of checks) statuses.push((await t.api(path, { method, as: 'sch-02', ...(method === 'POST' ? { body: '{}' } : {}) })).status);
    expect(statuses).toStrictEqual([404, 404, 404, 404, 404]);
    const press = await t.api('/api/devices/sch-02-btn-1/self-test', { method: 'POST', body: '{}', as: 'sch-02' });
    expect(press.status).toBe(202);
    expect((await t.gw.store.auditEntries({ action: 'device.self-test' })).map((e) => [e.actor, e.target])).toStrictEqual([['sch-02', 'sch-02-btn-1']]);
  });

  it('starts a drill for its own school only', async () => {
    const other = await t.api('/api/drills', { method: 'POST', body: JSON.stringify({ siteId: 'sch-03' }), as: 'sch-02' });
    expect(other.status).toBe(404);
    const mine = await t.api('/api/drills', { method: 'POST', body: JSON.stringify({ siteId: 'sch-02', durationSeconds: 60 }), as: 'sch-02' });
    expect(mine.status).toBe(201);
    const drill = await json<{ id: string }>(mine);
    const byDuty = await t.api('/api/drills', { method: 'POST', body: JSON.stringify({ siteId: 'sch-04', durationSeconds: 60 }), as: 'duty' });
    const dutyDrill = await json<{ id: string }>(byDuty);
    expect((await t.api(`/api/drills/${dutyDrill.id}`, { as: 'sch-02' })).status).toBe(404);
    expect((await t.api(`/api/drills/${dutyDrill.id}/end`, { method: 'POST', body: '{}', as: 'sch-02' })).status).toBe(404);
    expect((await json<{ id: string }[]>(await t.api('/api/drills', { as: 'sch-02' }))).map((d) => d.id)).toStrictEqual([drill.id]);
    await t.api(`/api/drills/${drill.id}/end`, { method: 'POST', body: '{}', as: 'sch-02' });
    await t.api(`/api/drills/${dutyDrill.id}/end`, { method: 'POST', body: '{}', as: 'duty' });
  });

  it('carries only its own school on the live socket', async () => {
    const token = await t.login('sch-02');
    const ws = new WebSocket(`ws://127.0.0.1:${t.httpPort}/api/live`, ['campus-live.v1', `bearer.${token}`]);
    const messages: { type: string; alarms?: Alarm[]; health?: Health[] | Health; alarm?: Alarm; broadcasts?: unknown[] }[] = [];
    ws.on('message', (raw) => messages.push(JSON.parse(String(raw)) as (typeof messages)[number]));
    const snapshot = await eventually(() => messages.find((m) => m.type === 'snapshot'));
    expect([...new Set(snapshot.alarms?.map((a) => a.siteId))]).toStrictEqual(['sch-02']);
    expect([...new Set((snapshot.health as Health[]).map((h) => h.siteId))]).toStrictEqual(['sch-02']);
    expect(snapshot.broadcasts).toStrictEqual([]);

    // A press at school 3, then one at school 2: only the second reaches this socket.
    for (const [site, dev] of [['sch-03', 'sch-03-btn-1'], ['sch-02', 'sch-02-btn-1']] as const) {
      const c = await connectAs(t.mqttUrl, dev);
      await c.publishAsync(`campus/v1/${site}/${dev}/event`, JSON.stringify({ type: 'tamper' }), { qos: 1 });
      await c.endAsync();
    }
    await eventually(() => messages.find((m) => m.type === 'alarm' && m.alarm?.deviceId === 'sch-02-btn-1'));
    const sites = messages.flatMap((m) => (m.type === 'alarm' ? [m.alarm?.siteId] : m.type === 'health' ? [(m.health as Health).siteId] : []));
    expect([...new Set(sites)]).toStrictEqual(['sch-02']);
    ws.close();
  });
});
