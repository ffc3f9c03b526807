/**
 * The person who pressed is not left wondering: a real MQTT client, logged in as the button and
 * subscribed to its cmd topic, hears `110-received` once the 110 centre ACKs the press and
 * `officer-acknowledged` (with the officer) once the duty officer acknowledges it; each stage
 * sent is on the alarm's timeline.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alarm } from '../../../gateway/contract/types.js';
import { SimulatedButton } from '../../../simulators/alarm-button.js';
import { connectAs, eventually, startGateway, type TestGateway } from '../../helpers/gateway.js';

const BTN = 'sch-03-btn-1';
const CMD = `campus/v1/sch-03/${BTN}/cmd`;

describe('press acknowledgements to the button', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startGateway({ adapters: { 'camera-onvif': { checkIntervalSeconds: 0 } } });
  }, 60_000);
  afterAll(async () => {
    await t?.close();
  });

  it('sends 110-received after the centre ACKs, officer-acknowledged after the duty officer acknowledges', async () => {
    const button = await connectAs(t.mqttUrl, BTN);
    const got: Record<string, unknown>[] = [];
    button.on('message', (topic, payload) => {
      if (topic === CMD) got.push(JSON.parse(payload.toString()) as Record<string, unknown>);
    });
    await button.subscribeAsync(CMD, { qos: 1 });
    await button.publishAsync(`campus/v1/sch-03/${BTN}/event`, JSON.stringify({ type: 'press' }), { qos: 1 });

    const received = await eventually(() => got.find((m) => m['stage'] === '110-received'), { timeoutMs: 20_000 });
    const alarm = t.gw.alarms.openAlarms().find((a) => a.type === 'panic' && a.deviceId === BTN);
    expect(alarm).toBeDefined();
    expect(received).toStrictEqual({ cmd: 'ack', stage: '110-received', alarmId: alarm?.id, at: expect.any(Number) });
    // Not before the centre's ACK: the timeline has the ACK first.
    const afterAck = await eventually(async () => {
      const a = await t.gw.alarms.get(alarm?.id ?? '');
      return a?.timeline.some((e) => e.action === 'ack-sent') ? a : undefined;
    });
    const actions = afterAck.timeline.map((e) => e.action);
    expect(actions.indexOf('forward-acked')).toBeGreaterThan(-1);
    expect(actions.indexOf('ack-sent')).toBeGreaterThan(actions.indexOf('forward-acked'));

    const res = await t.api(`/api/alarms/${alarm?.id}/ack`, { as: 'duty', method: 'POST', body: JSON.stringify({ note: 'on our way' }) });
    expect(res.status).toBe(200);
    const acked = (await res.json()) as Alarm;
    const officer = acked.timeline.find((e) => e.action === 'acknowledged')?.by;
    expect(officer).toEqual(expect.any(String));
    const second = await eventually(() => got.find((m) => m['stage'] === 'officer-acknowledged'));
    expect(second).toStrictEqual({ cmd: 'ack', stage: 'officer-acknowledged', alarmId: alarm?.id, at: expect.any(Number), by: officer });
    const final = await eventually(async () => {
      const a = await t.gw.alarms.get(alarm?.id ?? '');
      return (a?.timeline.filter((e) => e.action === 'ack-sent').length ?? 0) >= 2 ? a : undefined;
    });
    expect(final.timeline.filter((e) => e.action === 'ack-sent').map((e) => e.data)).toStrictEqual([
      { stage: '110-received', topic: CMD, to: BTN },
      { stage: 'officer-acknowledged', topic: CMD, to: BTN, officer },
    ]);
    // Each stage once: nothing more on the cmd topic.
    expect(got.filter((m) => m['cmd'] === 'ack').map((m) => m['stage'])).toStrictEqual(['110-received', 'officer-acknowledged']);
    await button.endAsync();
  }, 60_000);

  it('the simulated button shows both stages of its press', async () => {
    const device = t.gw.registry.get('sch-05-btn-1');
    if (!device) throw new Error('sch-05-btn-1 is not configured');
    const sim = new SimulatedButton({ url: t.mqttUrl, device, heartbeatMs: 60_000 });
    await sim.start();
    try {
      await eventually(() => t.gw.health.get(device.id)?.lastSeen);
      await sim.press();
      await eventually(() => sim.acks.find((a) => a.stage === '110-received'), { timeoutMs: 20_000 });
      const alarm = t.gw.alarms.openAlarms().find((a) => a.type === 'panic' && a.deviceId === device.id);
      const res = await t.api(`/api/alarms/${alarm?.id}/ack`, { as: 'duty', method: 'POST', body: '{}' });
      expect(res.status).toBe(200);
      await eventually(() => sim.acks.find((a) => a.stage === 'officer-acknowledged'));
      expect(sim.acks.map((a) => [a.stage, a.by])).toStrictEqual([
        ['110-received', undefined],
        ['officer-acknowledged', ((await res.json()) as Alarm).timeline.find((e) => e.action === 'acknowledged')?.by],
      ]);
    } finally {
      await sim.stop();
    }
  }, 60_000);
});
