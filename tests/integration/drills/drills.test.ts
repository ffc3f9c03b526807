/**
 * A drill at one school: its press is a drill everywhere (board, 110 as a test report only,
 * broadcast with the drill prefix and roll-call) and ends in a report; another school's press
 * at the same time stays real.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alarm } from '../../../gateway/contract/types.js';
import type { Drill } from '../../../gateway/core/drills/service.js';
import { connectAs, eventually, startGateway, type TestGateway } from '../../helpers/gateway.js';

const json = { 'content-type': 'application/json' };

describe('drills', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startGateway();
  });
  afterAll(async () => {
    await t.close();
  });

  it('marks alarms at the drilling school as drill, sends them to 110 only as test reports, and reports the drill', async () => {
    const start = await t.api(`/api/drills`, { method: 'POST', headers: json, body: JSON.stringify({ siteId: 'sch-12', durationSeconds: 600 }), as: 'sch-12' });
    expect(start.status).toBe(201);
    const drill = (await start.json()) as Drill;

    const drilled = await connectAs(t.mqttUrl, 'sch-12-btn-1');
    await drilled.publishAsync('campus/v1/sch-12/sch-12-btn-1/event', JSON.stringify({ type: 'press' }), { qos: 1 });
    const real = await connectAs(t.mqttUrl, 'sch-13-btn-1');
    await real.publishAsync('campus/v1/sch-13/sch-13-btn-1/event', JSON.stringify({ type: 'press' }), { qos: 1 });

    const drillAlarm = t.gw.alarms.openAlarms().find((a) => a.deviceId === 'sch-12-btn-1') as Alarm;
    const realAlarm = t.gw.alarms.openAlarms().find((a) => a.deviceId === 'sch-13-btn-1') as Alarm;
    expect([drillAlarm.type, drillAlarm.drill, realAlarm.type, realAlarm.drill]).toStrictEqual(['panic', true, 'panic', false]);

    // At the centre: a manual test report (RX) from school 12, a real panic (PA) from school 13, and no PA from 12.
    await t.centre.primary.waitForMessage((m) => m.account === '1012' && m.data.includes('RX'), 10_000);
    await t.centre.primary.waitForMessage((m) => m.account === '1013' && m.data.includes('PA'), 10_000);
    expect(t.centre.primary.messages({ account: '1012' }).filter((m) => m.data.includes('PA'))).toStrictEqual([]);

    // The board acknowledges it; the broadcast carries the drill prefix.
    await t.api(`/api/alarms/${drillAlarm.id}/ack`, { method: 'POST', headers: json, body: '{}', as: 'duty' });
    const withForward = await eventually(async () => {
      const a = await t.gw.alarms.get(drillAlarm.id);
      return a?.timeline.some((e) => e.action === 'forward-acked') && a.timeline.some((e) => e.action === 'broadcast') ? a : undefined;
    });
    const broadcastId = String(withForward.timeline.find((e) => e.action === 'broadcast')?.data?.broadcastId);
    const broadcast = (await (await t.api(`/api/broadcasts/${broadcastId}`)).json()) as { drill: boolean; text: string };
    expect([broadcast.drill, broadcast.text.startsWith('【演练】')]).toStrictEqual([true, true]);

    const end = await t.api(`/api/drills/${drill.id}/end`, { method: 'POST', headers: json, body: '{}', as: 'sch-12' });
    const report = (await end.json()) as Drill;
    expect(report.state).toBe('ended');
    expect(report.report?.alarms.map((a) => [a.alarmId, a.type, a.acknowledgedBy, typeof a.to110AckMs, typeof a.toAcknowledgeMs, a.broadcasts.length])).toStrictEqual([
      [drillAlarm.id, 'panic', '值班民警 王建国', 'number', 'number', 1],
    ]);
    // After the drill, a press at that school is real again.
    await t.api(`/api/alarms/${drillAlarm.id}/resolve`, { method: 'POST', headers: json, body: '{}' });
    await drilled.publishAsync('campus/v1/sch-12/sch-12-btn-1/event', JSON.stringify({ type: 'press' }), { qos: 1 });
    expect(t.gw.alarms.openAlarms().find((a) => a.deviceId === 'sch-12-btn-1')?.drill).toBe(false);
    expect((await t.gw.store.auditEntries()).filter((e) => e.action.startsWith('drill.')).map((e) => [e.action, e.actor])).toStrictEqual([
      ['drill.start', 'sch-12'],
      ['drill.end', 'sch-12'],
    ]);
    await drilled.endAsync();
    await real.endAsync();
  });
});
