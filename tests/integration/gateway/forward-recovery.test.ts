/**
 * What a kill can leave half done on the 110 path, recovered at the next start (or, in cluster
 * mode, when another node takes the link): the centre's ACK recorded in the outbox but the
 * alarm's `forward-acked` note never written. The next start adds the note once, marked
 * `recovered`, without sending the press again, and the button is sent `110-received`.
 */
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectAs, eventually, startGateway, type TestGateway } from '../../helpers/gateway.js';

const BTN = 'sch-04-btn-1';

describe('recovery of a forward-acked note', () => {
  let t: TestGateway;
  const clients: MqttClient[] = [];
  beforeAll(async () => {
    t = await startGateway({ adapters: { 'camera-onvif': { checkIntervalSeconds: 0 } } });
  }, 60_000);
  afterAll(async () => {
    for (const c of clients) await c.endAsync(true).catch(() => undefined);
    await t?.close();
  });

  it('adds the missing note once after a restart, without sending the press to the centre again', async () => {
    const forwarder = t.gw.forwarders[0];
    if (!forwarder) throw new Error('no forwarder');
    // The pump stopped: the press is committed and queued, not sent.
    await forwarder.stop();
    const button = await connectAs(t.mqttUrl, BTN);
    clients.push(button);
    await button.publishAsync(`campus/v1/sch-04/${BTN}/event`, JSON.stringify({ type: 'press' }), { qos: 1 });
    const alarm = await eventually(() => t.gw.alarms.openAlarms().find((a) => a.type === 'panic' && a.deviceId === BTN));
    const entry = await t.gw.store.outbox.forAlarm(forwarder.channel, alarm.id);
    expect(entry?.state).toBe('queued');
    // What a kill right after recording the centre's ACK leaves: the entry acked, no note.
    await t.gw.store.outbox.markAcked(entry?.id ?? '');
    const presses = () => [...t.centre.primary.messages(), ...t.centre.secondary.messages()].filter((m) => m.data.includes('PA')).length;
    const sentBefore = presses();
    await button.endAsync(true);

    t = await t.restart();
    const acked = (id: string) => t.gw.alarms.get(id).then((a) => a?.timeline.filter((e) => e.action === 'forward-acked') ?? []);
    const notes = await eventually(async () => ((await acked(alarm.id)).length > 0 ? acked(alarm.id) : undefined), { timeoutMs: 30_000 });
    expect(notes.map((e) => e.data)).toStrictEqual([{ channel: forwarder.channel, sequence: entry?.sequence, recovered: true }]);
    // The button is told the centre has it (the stage follows the note).
    await eventually(async () => (await t.gw.alarms.get(alarm.id))?.timeline.some((e) => e.action === 'ack-sent' && (e.data as { stage?: string }).stage === '110-received'));

    // Once: a second start finds the note and adds nothing; the centre never got the press again.
    t = await t.restart();
    await t.gw.forwarders[0]?.recover();
    expect((await acked(alarm.id)).length).toBe(1);
    expect(presses()).toBe(sentBefore);
  }, 120_000);
});
