import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alarm } from '../../../gateway/contract/types.js';
import { connectAs, eventually, startGateway, type TestGateway } from '../../helpers/gateway.js';

const BTN = 'sch-01-btn-1';
const pressTopic = (site: string, dev: string) => `campus/v1/${site}/${dev}/event`;

async function api<T>(t: TestGateway, path: string, init?: RequestInit & { as?: string }): Promise<{ status: number; body: T }> {
  const res = await t.api(path, init);
  return { status: res.status, body: (await res.json()) as T };
}

const post = (body: unknown): RequestInit => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('button press to alarm board', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startGateway();
  });
  afterAll(async () => {
    await t.close();
  });

  it('commits the alarm before PUBACK, shows it on /api/alarms and pushes it on /api/live', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${t.httpPort}/api/live`, { headers: { authorization: `Bearer ${await t.login('duty')}` } });
    const messages: { type: string; alarm?: Alarm; change?: string }[] = [];
    const gotLivePanic = new Promise<Alarm>((resolve) => {
      ws.on('message', (raw) => {
        const msg = JSON.parse(String(raw)) as { type: string; alarm?: Alarm; change?: string };
        messages.push(msg);
        if (msg.type === 'alarm' && msg.alarm?.type === 'panic' && msg.alarm.deviceId === BTN) resolve(msg.alarm);
      });
    });
    await new Promise((r) => ws.once('open', r));
    await eventually(() => messages.find((m) => m.type === 'snapshot'));

    // Registered after every part of the gateway: still sees each change once, in the order it happened.
    const changes: { change: string; alarm: Alarm }[] = [];
    t.gw.bus.on('alarm.changed', 'test', (e) => {
      if (e.alarm.deviceId === BTN) changes.push(e);
    });
    const client = await connectAs(t.mqttUrl, BTN);
    await client.publishAsync(pressTopic('sch-01', BTN), JSON.stringify({ type: 'press', seq: 1 }), { qos: 1 });
    // PUBACK received: the alarm must already be durable.
    const stored = (await t.gw.store.queryAlarms({ state: 'active' })).filter((a) => a.deviceId === BTN && a.type === 'panic');
    expect(stored).toHaveLength(1);

    const live = await gotLivePanic;
    // It reaches the 110 centre: SIA PA from the school's account, zone 1 = the gate button.
    const atCentre = await t.centre.primary.waitForMessage((m) => m.account === '1001' && m.token === 'SIA-DCS' && m.data.includes('PA'), 10_000);
    expect([atCentre.token, atCentre.line, atCentre.receiver, atCentre.data]).toStrictEqual(['SIA-DCS', '1', '1', '#1001|NPA1']);
    const acked = await eventually(async () => {
      const { body } = await api<Alarm>(t, `/api/alarms/${live.id}`);
      // The centre's ACK, then the button told that 110 received its press.
      return body.timeline.some((e) => e.action === 'ack-sent') ? body : undefined;
    });
    // The broadcast to patrol officers and the school is linked from the timeline.
    const broadcastEntry = acked.timeline.find((e) => e.action === 'broadcast');
    expect(broadcastEntry?.data?.broadcastId).toEqual(expect.any(String));
    expect({ ...acked, timeline: acked.timeline.filter((e) => e.action !== 'broadcast') }).toStrictEqual({
      id: live.id,
      type: 'panic',
      severity: 'critical',
      siteId: 'sch-01',
      deviceId: BTN,
      state: 'active',
      raisedAt: live.raisedAt,
      updatedAt: acked.updatedAt,
      repeats: 0,
      drill: false,
      summary: '城东区第一中学 · 一键报警 门卫室 · 一键报警',
      timeline: [
        { at: live.raisedAt, action: 'raised', by: BTN, data: {} },
        { at: expect.any(Number), action: 'forward-queued', by: 'system', data: { channel: 'alarm-centre-dc09', sequence: expect.any(Number) } },
        { at: expect.any(Number), action: 'forward-sent', by: 'system', data: { channel: 'alarm-centre-dc09', attempt: 1 } },
        { at: expect.any(Number), action: 'forward-acked', by: 'system', data: { channel: 'alarm-centre-dc09', attempt: 1, latencyMs: expect.any(Number), receiver: 'primary', writtenAt: expect.any(Number), answeredAt: expect.any(Number) } },
        { at: expect.any(Number), action: 'ack-sent', by: 'system', data: { stage: '110-received', topic: `campus/v1/sch-01/${BTN}/cmd`, to: BTN } },
      ],
    });
    // One event per change: the raise carries its outbox entry (committed with it), then the
    // first attempt, the broadcast, the centre's ACK; the live feed pushes them in that order.
    const seen = (list: { change?: string; alarm?: Alarm }[]) =>
      list.filter((m) => m.alarm?.id === live.id).map((m) => [m.change, m.alarm?.timeline.map((e) => e.action).join(' ')]);
    const expected = [
      ['raised', 'raised forward-queued'],
      ['forward-sent', 'raised forward-queued forward-sent'],
      ['broadcast', 'raised forward-queued forward-sent broadcast'],
      ['forward-acked', 'raised forward-queued forward-sent broadcast forward-acked'],
      ['ack-sent', 'raised forward-queued forward-sent broadcast forward-acked ack-sent'],
    ];
    expect(seen(changes)).toStrictEqual(expected);
    await eventually(() => messages.filter((m) => m.alarm?.id === live.id).length >= expected.length);
    expect(seen(messages)).toStrictEqual(expected);
    const { status, body } = await api<Alarm[]>(t, '/api/alarms?state=active');
    expect(status).toBe(200);
    expect(body.find((a) => a.id === live.id)?.state).toBe('active');
    await client.endAsync();
    ws.close();
  });

  it('folds 20 presses into one alarm with repeats, drops resent sequence numbers', async () => {
    const dev = 'sch-02-btn-1';
    const client = await connectAs(t.mqttUrl, dev);
    for (let i = 1; i <= 20; i++) await client.publishAsync(pressTopic('sch-02', dev), JSON.stringify({ type: 'press', seq: i }), { qos: 1 });
    // A device that missed a PUBACK resends the same seq: not a new press.
    await client.publishAsync(pressTopic('sch-02', dev), JSON.stringify({ type: 'press', seq: 20 }), { qos: 1 });
    const { body } = await api<Alarm[]>(t, '/api/alarms?site=sch-02');
    const panics = body.filter((a) => a.type === 'panic');
    expect(panics).toHaveLength(1);
    expect(panics[0]?.repeats).toBe(19);
    expect(t.gw.counters.get('events.duplicate')).toBe(1);
    await client.endAsync();
  });

  it('acknowledges and resolves with notes, records both in the audit log, refuses a second resolve', async () => {
    const dev = 'sch-04-btn-1';
    const client = await connectAs(t.mqttUrl, dev);
    await client.publishAsync(pressTopic('sch-04', dev), JSON.stringify({ type: 'press' }), { qos: 1 });
    await client.endAsync();
    const alarm = t.gw.alarms.openAlarms().find((a) => a.deviceId === dev);
    expect(alarm).toBeDefined();
    const id = alarm?.id ?? '';

    const ack = await api<Alarm>(t, `/api/alarms/${id}/ack`, { ...post({ note: '已电话联系门卫' }), as: 'duty' });
    expect(ack.status).toBe(200);
    expect(ack.body.state).toBe('acknowledged');
    const res = await api<Alarm>(t, `/api/alarms/${id}/resolve`, { ...post({ note: '误报，学生误触' }), as: 'duty' });
    expect(res.body.state).toBe('resolved');
    // Forwarding, broadcasts and the button's acknowledgements run on their own.
    expect(res.body.timeline.filter((e) => !e.action.startsWith('forward-') && e.action !== 'broadcast' && e.action !== 'ack-sent').map((e) => [e.action, e.by, e.note ?? null])).toStrictEqual([
      ['raised', dev, null],
      ['acknowledged', '值班民警 王建国', '已电话联系门卫'],
      ['resolved', '值班民警 王建国', '误报，学生误触'],
    ]);
    const again = await api<{ code: string }>(t, `/api/alarms/${id}/resolve`, post({}));
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('GW_ERR_ALARM_STATE');
    const audit = (await t.gw.store.auditEntries()).filter((e) => e.target === id).map((e) => [e.action, e.actor]);
    expect(audit).toStrictEqual([
      ['alarm.acknowledge', 'duty'],
      ['alarm.resolve', 'duty'],
    ]);
    expect(await t.gw.store.verifyAudit()).toBeUndefined();
  });

  it('answers unknown alarms and bad requests with coded errors', async () => {
    const missing = await api<{ code: string; statusCode: number }>(t, '/api/alarms/nope');
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('GW_ERR_ALARM_NOT_FOUND');
    const bad = await api<{ code: string }>(t, '/api/alarms?state=burning');
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('GW_ERR_BAD_REQUEST');
    const extra = await api<{ code: string }>(t, `/api/alarms/x/ack`, post({ note: 'x', admin: true }));
    expect(extra.status).toBe(400);
    const route = await api<{ code: string }>(t, '/api/nothing-here');
    expect(route.status).toBe(404);
    expect(route.body.code).toBe('GW_ERR_NOT_FOUND');
  });

  it('rejects and counts malformed payloads without dropping the device or the gateway', async () => {
    const dev = 'sch-05-btn-1';
    const client = await connectAs(t.mqttUrl, dev);
    const topic = pressTopic('sch-05', dev);
    await client.publishAsync(topic, '{"type": "press", oops', { qos: 1 });
    await client.publishAsync(topic, JSON.stringify({ type: 'explode' }), { qos: 1 });
    await client.publishAsync(`campus/v1/sch-05/${dev}/telemetry`, JSON.stringify({ battery: 'full' }), { qos: 1 });
    await client.publishAsync(topic, JSON.stringify({ type: 'press', nested: { deep: { deeper: 1 } } }), { qos: 1 });
    await client.publishAsync(topic, Buffer.alloc(20_000, 0x41), { qos: 1 });
    expect(t.gw.counters.snapshot('rejects.')).toMatchObject({
      'rejects.payload-not-json': 1,
      'rejects.payload-schema': 3,
      'rejects.payload-too-large': 1,
    });
    expect(t.gw.alarms.openAlarms().filter((a) => a.deviceId === dev)).toStrictEqual([]);
    // Same connection still works: a real press goes through.
    await client.publishAsync(topic, JSON.stringify({ type: 'press' }), { qos: 1 });
    expect(t.gw.alarms.openAlarms().filter((a) => a.deviceId === dev).map((a) => a.type)).toStrictEqual(['panic']);
    const health = await api<{ status: string }>(t, '/api/health');
    expect(health.body.status).toBe('ok');
    await client.endAsync();
  });

  it("refuses a device publishing under another device's topic", async () => {
    const intruder = await connectAs(t.mqttUrl, 'sch-06-btn-1');
    const closed = new Promise<void>((r) => intruder.once('close', () => r()));
    intruder.publish(pressTopic('sch-08', 'sch-08-btn-1'), JSON.stringify({ type: 'press' }), { qos: 1 });
    await closed;
    expect(t.gw.alarms.openAlarms().filter((a) => a.siteId === 'sch-08')).toStrictEqual([]);
    expect(t.gw.counters.get('mqtt.publish.denied')).toBe(1);
    intruder.end(true);
  });

  it('publishes each alarm retained on campus/v1/alarms/{id} for integrators', async () => {
    const alarm = t.gw.alarms.openAlarms().find((a) => a.deviceId === BTN);
    const integrator = await connectAs(t.mqttUrl, 'integrator', { clientId: 'it-1', username: 'integrator', password: 'demo-pass-integrator' });
    const got = new Promise<Alarm>((resolve) =>
      integrator.on('message', (topic, payload) => {
        if (topic === `campus/v1/alarms/${alarm?.id}`) resolve(JSON.parse(String(payload)) as Alarm);
      }),
    );
    const granted = await integrator.subscribeAsync('campus/v1/alarms/#', { qos: 1 });
    expect(granted.map((g) => g.qos)).toStrictEqual([1]);
    expect((await got).id).toBe(alarm?.id);
    await integrator.endAsync();
  });
});

describe('state across restarts', () => {
  it('keeps open alarms and their timelines across a restart on the same data dir', async () => {
    let t = await startGateway();
    try {
      const client = await connectAs(t.mqttUrl, 'sch-09-btn-1');
      await client.publishAsync(pressTopic('sch-09', 'sch-09-btn-1'), JSON.stringify({ type: 'press' }), { qos: 1 });
      await client.endAsync();
      const before = t.gw.alarms.openAlarms().find((a) => a.deviceId === 'sch-09-btn-1');
      t = await t.restart();
      const { body } = await api<Alarm[]>(t, '/api/alarms?state=active');
      expect(body.find((a) => a.id === before?.id)).toStrictEqual(before);
      // And a new press after restart folds into it, not a second alarm.
      const again = await connectAs(t.mqttUrl, 'sch-09-btn-1');
      await again.publishAsync(pressTopic('sch-09', 'sch-09-btn-1'), JSON.stringify({ type: 'press' }), { qos: 1 });
      await again.endAsync();
      expect(t.gw.alarms.openAlarms().filter((a) => a.deviceId === 'sch-09-btn-1').map((a) => [a.id, a.repeats])).toStrictEqual([[before?.id, 1]]);
    } finally {
      await t.close();
    }
  });
});
