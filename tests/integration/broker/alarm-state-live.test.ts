/**
 * An integrator subscribed to campus/# receives every change of an alarm's retained state live,
 * in order. aedes drops a message whose broker counter is older than one it already delivered
 * to that client (its de-duplication across a cluster); the gateway's retained alarm state was
 * numbered when published but delivered only after its retained copy was stored, so the
 * device's own event, numbered later and delivered at once, made the client drop the raise.
 */
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alarm } from '../../../gateway/contract/types.js';
import { connectAs, eventually, startGateway, type TestGateway } from '../../helpers/gateway.js';

describe('live alarm state for MQTT integrators', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startGateway({ mqtt: { users: [{ username: 'ops', password: 'ops-pass-01', role: 'integrator' }], acl: [{ user: 'ops', topic: 'campus/#', access: 'read' }] } });
  });
  afterAll(async () => {
    await t.close();
  });

  it('every alarm change published on campus/v1/alarms/{id} reaches a campus/# subscriber, raise included', async () => {
    const published: string[] = [];
    t.gw.bus.on('alarm.changed', 'test', ({ alarm }) => void published.push(`${alarm.id}:${alarm.timeline.length}`));
    const ops = await mqtt.connectAsync(t.mqttUrl, { protocolVersion: 4, reconnectPeriod: 0, clientId: 'ops-live', username: 'ops', password: 'ops-pass-01' });
    const got: string[] = [];
    ops.on('message', (topic, payload) => {
      if (!topic.startsWith('campus/v1/alarms/')) return;
      const a = JSON.parse(payload.toString()) as Alarm;
      got.push(`${a.id}:${a.timeline.length}`);
    });
    await ops.subscribeAsync('campus/#', { qos: 1 });
    const schools = ['sch-05', 'sch-06', 'sch-07'];
    const buttons = await Promise.all(schools.map((s) => connectAs(t.mqttUrl, `${s}-btn-1`)));
    for (const [i, b] of buttons.entries()) {
      const s = schools[i] as string;
      await b.publishAsync(`campus/v1/${s}/${s}-btn-1/event`, JSON.stringify({ type: 'press', id: `live-${i}` }), { qos: 1 });
      // Telemetry right behind the press, as a real button sends it.
      await b.publishAsync(`campus/v1/${s}/${s}-btn-1/telemetry`, JSON.stringify({ battery: 80 }), { qos: 1 });
    }
    // Every press forwarded to 110 and acknowledged (the last change of each).
    await eventually(() => (t.gw.alarms.openAlarms().filter((a) => schools.includes(a.siteId) && a.timeline.some((e) => e.action === 'forward-acked')).length === 3 ? true : undefined), { timeoutMs: 20_000 });
    await t.gw.broker.bus.publish('campus/v1/marker', 'end', { qos: 1 });
    await eventually(() => (got.length >= published.length ? true : undefined), { timeoutMs: 10_000 }).catch(() => undefined);
    expect(got).toStrictEqual(published);
    await Promise.all([...buttons, ops].map((c) => c.endAsync()));
  });
});
