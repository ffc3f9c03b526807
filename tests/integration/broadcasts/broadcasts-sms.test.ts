/**
 * Broadcasts end to end over loopback: the real sms-smpp adapter against the simulated SMSC,
 * a fake radio adapter, the real alarm service and state store.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SCH01_PEOPLE, startHarness, type Harness } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

const press = { type: 'panic' as const, severity: 'critical' as const, siteId: 'sch-01', deviceId: 'sch-01-btn-1', summary: '城东区第一中学 · 一键报警 门卫室 · 一键报警', by: 'sch-01-btn-1' };
const EVERYONE = ['station-patrol', 'guard-posts', 'school-contacts'];
const sorted = (xs: string[]) => [...xs].sort();

function smsOnly(extra: Record<string, unknown> = {}) {
  return { policies: [{ id: 'panic', alarmTypes: ['panic'], groups: EVERYONE, channels: ['sms'], template: 'panic', ...extra }] };
}

describe('broadcasts over SMS (simulated SMSC) and radio (fake)', () => {
  it('a panic alarm reaches every configured recipient by SMS, each with a delivery receipt', async () => {
    h = await startHarness({ broadcast: smsOnly() });
    const { alarm } = await h.alarms.raise(press);
    const id = async () => (await h?.svc.list({ alarmId: alarm.id }))?.[0]?.id;
    const b = await h.until(id, (x) => x.tally.delivered === 8);
    expect(b.tally).toStrictEqual({ total: 8, sent: 8, delivered: 8, confirmed: 0, failed: 0 });
    expect(b.recipients.map((r) => [r.group, r.channel, r.address, r.state, typeof r.at.queued, typeof r.at.sent, typeof r.at.delivered])).toStrictEqual(
      SCH01_PEOPLE.map((p, i) => [i < 6 ? 'station-patrol' : i === 6 ? 'guard-posts' : 'school-contacts', 'sms', p, 'delivered', 'number', 'number', 'number']),
    );
    expect(b.text).toMatch(/^【城东区校园安全】城东区第一中学于\d+月\d+日 \d\d:\d\d一键报警（一键报警 门卫室）。/);
    const msgs = h.sim.messages();
    expect(sorted(msgs.map((m) => m.to))).toStrictEqual(sorted(SCH01_PEOPLE));
    expect(new Set(msgs.map((m) => `${m.text}|${m.dataCoding}|${m.from}`))).toStrictEqual(new Set([`${b.text}|8|10690110`]));
    expect((await h.alarms.get(alarm.id))?.timeline.map((e) => [e.action, e.by, e.data])).toStrictEqual([
      ['raised', 'sch-01-btn-1', undefined],
      ['broadcast', 'system', { broadcastId: b.id, recipients: 8 }],
    ]);
    const audit = await h.store.auditEntries();
    expect(audit.map((e) => [e.actor, e.action, e.target, e.detail.recipients])).toStrictEqual([['system', 'broadcast.send', b.id, 8]]);
    expect(await h.store.verifyAudit()).toBeUndefined();
  });

  it('radio first with roll-call, SMS for those without a radio; everyone confirmed closes the roll-call', async () => {
    h = await startHarness();
    const { alarm } = await h.alarms.raise(press);
    const id = async () => (await h?.svc.list({ alarmId: alarm.id }))?.[0]?.id;
    let b = await h.until(id, (x) => x.tally.sent === 8 && x.tally.delivered === 1);
    expect(h.radio.calls).toStrictEqual([{ talkgroups: ['tg-patrol', 'tg-sch-01'], text: b.text, ref: b.id, priority: 'emergency' }]);
    expect(b.recipients.map((r) => [r.channel, r.address, r.state])).toStrictEqual([
      ...[1, 2, 3, 4, 5, 6].map((i) => ['radio', `P-0${i}`, 'sent']),
      ['radio', 'tg-sch-01', 'sent'],
      ['sms', '13805710102', 'delivered'],
    ]);
    for (let i = 1; i <= 6; i++) h.radio.ack(`P-0${i}`, b.id, 'tg-patrol');
    // The guard post's handset has no unit id in the config: its talkgroup identifies it.
    h.radio.ack('GP-0101', b.id, 'tg-sch-01');
    h.sim.reply('8613805710102', '收到，已通知门卫');
    b = await h.until(id, (x) => x.state === 'closed');
    expect(b.tally).toStrictEqual({ total: 8, sent: 8, delivered: 8, confirmed: 8, failed: 0 });
    expect(b.recipients.map((r) => [r.state, r.reply?.channel, r.reply?.confirms, r.attempts.length])).toStrictEqual([
      ...Array(7).fill(['confirmed', 'radio', true, 0]),
      ['confirmed', 'sms', true, 0],
    ]);
    expect(h.sim.messages().map((m) => m.to)).toStrictEqual(['13805710102']);
  });

  it('radio silent: each radio listener falls back to SMS after N s, and SMS delivers', async () => {
    h = await startHarness({ broadcast: { policies: [{ id: 'panic', alarmTypes: ['panic'], groups: EVERYONE, channels: ['radio', 'sms'], fallbackAfterSeconds: 0.3, template: 'panic' }] } });
    h.radio.mode = 'silent';
    const { alarm } = await h.alarms.raise(press);
    const id = async () => (await h?.svc.list({ alarmId: alarm.id }))?.[0]?.id;
    const b = await h.until(id, (x) => x.tally.delivered === 8);
    expect(b.recipients.map((r) => [r.channel, r.state, r.attempts.map((a) => [a.channel, a.address, a.state])])).toStrictEqual([
      ...[1, 2, 3, 4, 5, 6].map((i) => ['sms', 'delivered', [['radio', `P-0${i}`, 'queued']]]),
      ['sms', 'delivered', [['radio', 'tg-sch-01', 'queued']]],
      ['sms', 'delivered', []],
    ]);
    // Fallback waited N s from the radio attempt (no timing assertion beyond the order of events).
    for (const r of b.recipients.slice(0, 7)) expect(r.at.queued).toBeGreaterThanOrEqual((r.attempts[0]?.at.queued ?? 0) + 300);
    expect(sorted(h.sim.messages().map((m) => m.to))).toStrictEqual(sorted(SCH01_PEOPLE));
    expect(h.radio.calls).toHaveLength(1);
  });

  it('SMS centre down: recipients stay queued, and are delivered once after recovery', async () => {
    h = await startHarness();
    const unbound = new Promise<void>((resolve) => {
      const off = h?.sms.onLink((e) => {
        if (!e.bound) {
          off?.();
          resolve();
        }
      });
    });
    await h.sim.goDown();
    await unbound;
    const people = ['13905710001', '13905710002', '13905710003'];
    const created = await h.svc.create({ text: '北门临时封闭，请绕行', recipients: people.map((phone, i) => ({ name: `联系人${i + 1}`, phone })), channels: ['sms'], by: '值班员王' });
    expect(created.tally).toStrictEqual({ total: 3, sent: 0, delivered: 0, confirmed: 0, failed: 0 });
    expect((await h.svc.get(created.id))?.recipients.map((r) => r.state)).toStrictEqual(['queued', 'queued', 'queued']);
    expect(h.sim.submits()).toStrictEqual([]);
    await h.sim.comeUp();
    const b = await h.until(() => created.id, (x) => x.tally.delivered === 3);
    expect(b.recipients.map((r) => r.state)).toStrictEqual(['delivered', 'delivered', 'delivered']);
    expect(sorted(h.sim.submits().map((s) => s.to))).toStrictEqual(people);
    expect(sorted(h.sim.messages().map((m) => m.to))).toStrictEqual(people);
  });

  it('throttling slows the broadcast down and loses nobody', async () => {
    h = await startHarness({ broadcast: { rateLimits: { sms: { perSecond: 40, burst: 5 }, radio: { perSecond: 1, burst: 1 } } } });
    h.sim.setMode({ throttleNext: 3, throttleRate: 20 });
    const people = Array.from({ length: 60 }, (_, i) => `1390571${String(i).padStart(4, '0')}`);
    const created = await h.svc.create({ text: '全区演练通知：今天15:00开始', recipients: people.map((phone, i) => ({ name: `门卫${i + 1}`, phone })), channels: ['sms'] });
    const b = await h.until(() => created.id, (x) => x.tally.delivered === 60, 30_000);
    expect(b.tally).toStrictEqual({ total: 60, sent: 60, delivered: 60, confirmed: 0, failed: 0 });
    // Our own token bucket: the burst first, then small batches as tokens come back.
    expect(h.smsSends[0]).toHaveLength(5);
    expect(h.smsSends.length).toBeGreaterThan(2);
    expect(sorted(h.smsSends.flat())).toStrictEqual(people);
    // The SMSC's throttling on top (ESME_RTHROTTLED): retried by the adapter, nothing doubled.
    expect(h.sim.submits().filter((s) => s.status === 0x58).length).toBeGreaterThanOrEqual(3);
    expect(sorted(h.sim.messages().map((m) => m.to))).toStrictEqual(people);
  });

  it('a reply confirms the right person in the right broadcast', async () => {
    h = await startHarness();
    const A = '13905710011';
    const B = '13905710012';
    const C = '13905710013';
    const first = await h.svc.create({ text: '第一条：请确认', recipients: [{ name: 'A', phone: A }, { name: 'B', phone: B }], channels: ['sms'] });
    await h.until(() => first.id, (x) => x.tally.delivered === 2);
    const second = await h.svc.create({ text: '第二条：请确认', recipients: [{ name: 'A', phone: A }, { name: 'C', phone: C }], channels: ['sms'] });
    await h.until(() => second.id, (x) => x.tally.delivered === 2);

    h.sim.reply(`86${A}`, '1');
    const s2 = await h.until(() => second.id, (x) => x.tally.confirmed === 1);
    expect(s2.recipients.map((r) => [r.name, r.state, r.reply?.text])).toStrictEqual([
      ['A', 'confirmed', '1'],
      ['C', 'delivered', undefined],
    ]);
    h.sim.reply(B, '什么情况？');
    const f1 = await h.until(() => first.id, (x) => x.recipients[1]?.reply !== undefined);
    expect(f1.recipients.map((r) => [r.name, r.state, r.reply?.text, r.reply?.confirms])).toStrictEqual([
      ['A', 'delivered', undefined, undefined],
      ['B', 'delivered', '什么情况？', false],
    ]);
    // A answers again: the broadcast A has not confirmed yet is the first one.
    h.sim.reply(A, '收到');
    const f2 = await h.until(() => first.id, (x) => x.tally.confirmed === 1);
    expect(f2.recipients.map((r) => [r.name, r.state])).toStrictEqual([
      ['A', 'confirmed'],
      ['B', 'delivered'],
    ]);
    expect((await h.svc.get(second.id))?.tally.confirmed).toBe(1);
  });
});
