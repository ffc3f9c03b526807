/**
 * Escalation end to end: a press nobody acknowledges is escalated to the on-call supervisor
 * (an `escalated` entry on its timeline, audited), whose radio (the simulated radio dispatch
 * box) and phone (the simulated SMPP centre) receive it; a restart in the middle continues
 * with the next step, and never calls the same step twice; a receipt that comes back after a
 * restart still reaches the timeline. Short afterSeconds in the config.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Alarm, AlarmEntry } from '../../../gateway/contract/types.js';
import { BroadcastEscalationSender } from '../../../gateway/core/escalation/broadcast-sender.js';
import { RadioGatewaySimulator } from '../../../simulators/radio-gateway/radio-gateway-simulator.js';
import { connectAs, eventually, startGateway, type TestGateway } from '../../helpers/gateway.js';

const BTN = 'sch-01-btn-1';
const FAST = {
  escalation: {
    policies: [
      {
        id: 'fast',
        alarmTypes: ['panic'],
        steps: [
          { afterSeconds: 1, notify: ['supervisor'], channels: ['board', 'radio', 'sms'] },
          { afterSeconds: 6, notify: ['station-chief'], channels: ['board', 'sms'] },
        ],
        repeat: 0,
      },
    ],
  },
};

let t: TestGateway | undefined;
let radio: RadioGatewaySimulator | undefined;
afterEach(async () => {
  await radio?.stop();
  await t?.close();
  radio = undefined;
  t = undefined;
});

async function startRadio(gw: TestGateway): Promise<RadioGatewaySimulator> {
  const sim = new RadioGatewaySimulator();
  const siteId = gw.gw.registry.get('radio-gw-1')?.siteId ?? '';
  await sim.start({ url: gw.mqttUrl, deviceId: 'radio-gw-1', siteId, password: 'demo-pass-radio-gw-1', reconnectMs: 200 });
  return sim;
}

async function press(gw: TestGateway): Promise<Alarm> {
  const client = await connectAs(gw.mqttUrl, BTN);
  await client.publishAsync(`campus/v1/sch-01/${BTN}/event`, JSON.stringify({ type: 'press', seq: 1 }), { qos: 1 });
  await client.endAsync();
  return eventually(() => gw.gw.alarms.openAlarms().find((a) => a.deviceId === BTN && a.type === 'panic'));
}

async function timeline(gw: TestGateway, id: string): Promise<AlarmEntry[]> {
  const res = await gw.api(`/api/alarms/${id}`, { as: 'duty' });
  return ((await res.json()) as Alarm).timeline;
}

const escalated = (entries: AlarmEntry[]) => entries.filter((e) => e.action === 'escalated').map((e) => [e.data?.round, e.data?.step, e.data?.who, e.data?.channel]);

describe('escalation', () => {
  it("reaches the on-call supervisor's radio and phone when nobody acknowledges a press", async () => {
    t = await startGateway(FAST);
    radio = await startRadio(t);
    const supervisor = (await t.gw.oncall.onDuty('supervisor'))?.person;
    expect(supervisor?.phone).toEqual(expect.any(String));
    const alarm = await press(t);

    const entries = await eventually(async () => {
      const tl = await timeline(t as TestGateway, alarm.id);
      return tl.some((e) => e.action === 'escalated' && e.data?.channel === 'sms') ? tl : undefined;
    }, { timeoutMs: 20_000 });
    expect(escalated(entries)).toStrictEqual([
      [1, 1, 'board', 'board'],
      [1, 1, supervisor?.name, 'radio'],
      [1, 1, supervisor?.name, 'sms'],
    ]);
    const broadcastId = entries.find((e) => e.action === 'escalated' && e.data?.channel === 'sms')?.data?.broadcastId;
    expect(broadcastId).toEqual(expect.any(String));

    // The far ends: the command talkgroup's announcement, and an SMS to the supervisor's number.
    const announced = await radio.waitFor((r) => r.kind === 'announce' && r.id === broadcastId, { timeoutMs: 15_000 });
    expect(announced).toMatchObject({ kind: 'announce', talkgroup: supervisor?.radio?.talkgroup });
    const sms = await eventually(() => t?.centre.sms.messages().find((m) => m.to === supervisor?.phone), { timeoutMs: 15_000 });
    expect(sms.text).toMatch(/^【城东区校园安全】警情升级：城东区第一中学于.*无人确认，请立即处置。/);
    // The SMS receipt comes back and is on the timeline too.
    await eventually(async () => (await timeline(t as TestGateway, alarm.id)).find((e) => e.action === 'escalation-receipt' && e.data?.channel === 'sms' && e.data.receipt === 'delivered'), { timeoutMs: 15_000 });
    const audit = await t.gw.store.auditEntries({ action: 'alarm.escalate' });
    expect(audit.map((a) => [a.actor, a.target, a.detail.round, a.detail.step])).toStrictEqual([['escalation', alarm.id, 1, 1]]);
  });

  it('continues after a restart in the middle: the chief is called once, the supervisor not again', async () => {
    t = await startGateway(FAST);
    const alarm = await press(t);
    const before = await eventually(async () => {
      const e = escalated(await timeline(t as TestGateway, alarm.id));
      return e.length >= 3 ? e : undefined;
    }, { timeoutMs: 20_000 });
    // Stopped between the steps: only the supervisor's step is on the timeline.
    expect(before.map(([round, step]) => `${String(round)}.${String(step)}`)).toStrictEqual(['1.1', '1.1', '1.1']);
    t = await t.restart();
    const chief = (await t.gw.oncall.onDuty('station-chief'))?.person;
    const entries = await eventually(async () => {
      const tl = await timeline(t as TestGateway, alarm.id);
      return tl.some((e) => e.action === 'unanswered') ? tl : undefined;
    }, { timeoutMs: 20_000 });
    const supervisor = (await t.gw.oncall.onDuty('supervisor'))?.person;
    expect(escalated(entries)).toStrictEqual([
      [1, 1, 'board', 'board'],
      [1, 1, supervisor?.name, 'radio'],
      [1, 1, supervisor?.name, 'sms'],
      [1, 2, 'board', 'board'],
      [1, 2, chief?.name, 'sms'],
    ]);
    await eventually(() => t?.centre.sms.messages().find((m) => m.to === chief?.phone), { timeoutMs: 15_000 });
    expect(t.centre.sms.messages().filter((m) => m.to === supervisor?.phone)).toHaveLength(1);
    // This gateway (after the restart) took one step: the chief's.
    expect(t.gw.counters.snapshot('escalation.')).toStrictEqual({ 'escalation.steps': 1 });
  });

  it("writes a receipt that comes back after a restart to the alarm's timeline", async () => {
    t = await startGateway(FAST);
    // The SMS centre holds the supervisor's receipt until after the restart.
    t.centre.sms.setMode({ receiptDelayMs: 60_000 });
    const alarm = await press(t);
    const supervisor = (await t.gw.oncall.onDuty('supervisor'))?.person;
    const sms = await eventually(() => t?.centre.sms.messages().find((m) => m.to === supervisor?.phone), { timeoutMs: 20_000 });
    t = await t.restart();
    // Sent when the new process is bound (queued by the centre until then, as a real SMSC does).
    await eventually(() => (t?.centre.sms.boundSessions() ?? 0) > 0, { timeoutMs: 20_000 });
    for (const id of sms.messageIds) t.centre.sms.sendReceipt(id, sms.to);
    const receipt = await eventually(async () => (await timeline(t as TestGateway, alarm.id)).find((e) => e.action === 'escalation-receipt' && e.data?.channel === 'sms'), { timeoutMs: 20_000 });
    const step = (await timeline(t, alarm.id)).find((e) => e.action === 'escalated' && e.data?.channel === 'sms');
    expect(receipt.data).toStrictEqual({ broadcastId: step?.data?.broadcastId, who: supervisor?.name, channel: 'sms', receipt: 'delivered' });
  });

  it('never sends a step twice: a broadcast made for it before a kill (its timeline entries not yet written) is reported, not sent again', async () => {
    const policies = [{ ...FAST.escalation.policies[0], steps: [{ afterSeconds: 2, notify: ['supervisor'], channels: ['sms'] }] }];
    t = await startGateway({ escalation: { policies } });
    await t.gw.escalation.stop();
    const alarm = await press(t);
    const supervisor = (await t.gw.oncall.onDuty('supervisor'))?.person;
    // What the step's first half does before a kill: the broadcast made and sent, nothing noted.
    const sender = new BroadcastEscalationSender({ broadcasts: t.gw.broadcasts, alarms: t.gw.alarms, log: t.gw.log });
    const first = await sender.send({ alarm, policy: 'fast', round: 1, step: 1, text: '警情升级测试', channels: ['sms'], targets: [{ name: supervisor?.name ?? '', via: 'supervisor', phone: supervisor?.phone ?? '' }] });
    await eventually(() => t?.centre.sms.messages().find((m) => m.to === supervisor?.phone), { timeoutMs: 15_000 });
    expect(escalated(await timeline(t, alarm.id))).toStrictEqual([]);

    t = await t.restart();
    const entries = await eventually(async () => {
      const tl = await timeline(t as TestGateway, alarm.id);
      return tl.some((e) => e.action === 'escalated') ? tl : undefined;
    }, { timeoutMs: 20_000 });
    expect(entries.filter((e) => e.action === 'escalated').map((e) => [e.data?.who, e.data?.channel, e.data?.broadcastId])).toStrictEqual([[supervisor?.name, 'sms', first.broadcastId]]);
    await t.gw.escalation.idle();
    expect(t.centre.sms.messages().filter((m) => m.to === supervisor?.phone)).toHaveLength(1);
  });

  it('stops when the duty officer acknowledges: no step is due any more', async () => {
    t = await startGateway({ escalation: { policies: [{ ...FAST.escalation.policies[0], steps: [{ afterSeconds: 30, notify: ['supervisor'], channels: ['board', 'sms'] }] }] } });
    const alarm = await press(t);
    expect(await eventually(() => t?.gw.escalation.nextDueAt())).toBe(alarm.raisedAt + 30_000);
    expect((await t.api(`/api/alarms/${alarm.id}/ack`, { method: 'POST', as: 'duty', body: '{}' })).status).toBe(200);
    await eventually(() => t?.gw.escalation.nextDueAt() === undefined);
    expect(escalated(await timeline(t, alarm.id))).toStrictEqual([]);
  });
});
