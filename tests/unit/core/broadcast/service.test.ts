import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AlarmService } from '../../../../gateway/core/alarms/service.js';
import { resolveBroadcastConfig } from '../../../../gateway/core/broadcast/config.js';
import { BroadcastService } from '../../../../gateway/core/broadcast/service.js';
import type { BroadcastChange } from '../../../../gateway/core/broadcast/types.js';
import type { BroadcastChannel, ChannelReply, ChannelStatus, ChannelTarget, SendMeta } from '../../../../gateway/contract/capabilities.js';
import { systemClock } from '../../../../gateway/contract/clock.js';
import { EventBus } from '../../../../gateway/core/bus.js';
import type { Device, Site } from '../../../../gateway/contract/types.js';
import { SqliteStateStore } from '../../../../gateway/store/sqlite/state-store.js';
import { makeRegistry } from '../../../helpers/fake-context.js';

const T0 = Date.UTC(2026, 10, 3, 6, 5, 0);
const SITES: Site[] = [
  {
    id: 'sch-01', name: '城东区第一中学', district: 'chengdong', timeZone: 'Asia/Shanghai', protectionWindows: [], holidays: [],
    contacts: [
      { name: '一中门卫室', role: 'guard-post', phone: '13805710101', radio: 'tg-sch-01' },
      { name: '一中安保负责人', role: 'school-contact', phone: '13805710102' },
    ],
  },
];
const DEVICES: Device[] = [{ id: 'sch-01-btn-1', siteId: 'sch-01', kind: 'alarm-button', adapter: 'mqtt-native', name: '一键报警 门卫室', options: {} }];
const PATROL = {
  name: '巡逻',
  members: [
    { name: '张伟', phone: '13805719001', radio: { talkgroup: 'tg-patrol', unit: 'P-01' } },
    { name: '王磊', phone: '13805719002', radio: { talkgroup: 'tg-patrol', unit: 'P-02' } },
  ],
};

class FakeChannel implements BroadcastChannel {
  sends: { ref: string; targets: ChannelTarget[]; text: string; meta: SendMeta }[] = [];
  private readonly statusCbs = new Set<(s: ChannelStatus) => void>();
  private readonly replyCbs = new Set<(r: ChannelReply) => void>();
  constructor(readonly name: 'sms' | 'radio') {}
  async send(ref: string, targets: ChannelTarget[], text: string, _signal: AbortSignal, meta: SendMeta) {
    this.sends.push({ ref, targets, text, meta });
  }
  onStatus(cb: (s: ChannelStatus) => void) {
    this.statusCbs.add(cb);
    return () => void this.statusCbs.delete(cb);
  }
  onReply(cb: (r: ChannelReply) => void) {
    this.replyCbs.add(cb);
    return () => void this.replyCbs.delete(cb);
  }
  status(ref: string, address: string, state: ChannelStatus['state'], reason?: string) {
    for (const cb of this.statusCbs) cb({ ref, address, state, ...(reason ? { reason } : {}) });
  }
  reply(r: ChannelReply) {
    for (const cb of this.replyCbs) cb(r);
  }
  get listeners() {
    return this.statusCbs.size + this.replyCbs.size;
  }
}

function setup(cfg: Record<string, unknown> = {}, store = new SqliteStateStore('', { file: ':memory:' })) {
  vi.useFakeTimers({ now: T0 });
  const log = pino({ level: 'silent' });
  const bus = new EventBus(log);
  const alarms = new AlarmService(store, bus, systemClock);
  const repo = store.broadcasts;
  const audits: { actor: string; action: string; target: string; detail: Record<string, unknown>; ip?: string }[] = [];
  const config = resolveBroadcastConfig({
    groups: { 'station-patrol': PATROL },
    policies: [
      { id: 'panic', alarmTypes: ['panic'], groups: ['station-patrol', 'guard-posts', 'school-contacts'], channels: ['radio', 'sms'], fallbackAfterSeconds: 10, template: 'panic' },
      { id: 'drill', alarmTypes: ['panic'], drill: true, groups: ['guard-posts'], channels: ['sms'], template: 'generic' },
    ],
    ...cfg,
  });
  const svc = new BroadcastService({ config, repo, audit: { audit: async (e) => audits.push(e) }, alarms, registry: makeRegistry(SITES, DEVICES), bus, clock: systemClock, log });
  const sms = new FakeChannel('sms');
  const radio = new FakeChannel('radio');
  const changes: BroadcastChange[] = [];
  svc.onChange((c) => changes.push(c));
  return { svc, sms, radio, alarms, repo, audits, changes, bus, store };
}

const press = { type: 'panic' as const, severity: 'critical' as const, siteId: 'sch-01', deviceId: 'sch-01-btn-1', summary: '城东区第一中学 · 一键报警 门卫室 · 一键报警', by: 'sch-01-btn-1' };

afterEach(() => {
  vi.useRealTimers();
});

describe('BroadcastService', () => {
  it('broadcasts a raised panic per policy: radio for those with radios, SMS for the rest, audited and noted on the alarm', async () => {
    const s = setup();
    s.svc.bindChannel(s.sms);
    s.svc.bindChannel(s.radio);
    await s.svc.start();
    // A listener registered after the service still sees the raise before its broadcast note.
    const seen: string[] = [];
    s.bus.on('alarm.changed', 'test', (e) => seen.push(`${e.change}:${e.alarm.timeline.length}`));
    const { alarm } = await s.alarms.raise(press);
    await s.svc.idle();
    expect(seen).toStrictEqual(['raised:1', 'broadcast:2']);
    const [summary] = await s.svc.list();
    const b = await s.svc.get(summary?.id ?? '');
    const text = '【城东区校园安全】城东区第一中学于11月3日 14:05一键报警（一键报警 门卫室）。请就近巡逻民警立即赶赴，门卫室关闭校门。收到请回复“1”或“收到”。';
    expect(b).toStrictEqual({
      id: summary?.id,
      alarmId: alarm.id,
      siteId: 'sch-01',
      drill: false,
      text,
      createdBy: 'system',
      createdAt: T0,
      state: 'open',
      closesAt: T0 + 1800_000,
      policyId: 'panic',
      groups: ['station-patrol', 'guard-posts', 'school-contacts'],
      channels: ['radio', 'sms'],
      fallbackAfterSeconds: 10,
      fallbackUnless: 'delivered',
      tally: { total: 4, sent: 0, delivered: 0, confirmed: 0, failed: 0 },
      recipients: [
        { name: '张伟', phone: '13805719001', radio: { talkgroup: 'tg-patrol', unit: 'P-01' }, group: 'station-patrol', id: 'r1', channels: ['radio', 'sms'], attempts: [], channel: 'radio', address: 'P-01', state: 'queued', at: { queued: T0 }, fallbackAt: T0 + 10_000 },
        { name: '王磊', phone: '13805719002', radio: { talkgroup: 'tg-patrol', unit: 'P-02' }, group: 'station-patrol', id: 'r2', channels: ['radio', 'sms'], attempts: [], channel: 'radio', address: 'P-02', state: 'queued', at: { queued: T0 }, fallbackAt: T0 + 10_000 },
        { name: '一中门卫室', group: 'guard-posts', siteId: 'sch-01', phone: '13805710101', radio: { talkgroup: 'tg-sch-01' }, id: 'r3', channels: ['radio', 'sms'], attempts: [], channel: 'radio', address: 'tg-sch-01', state: 'queued', at: { queued: T0 }, fallbackAt: T0 + 10_000 },
        { name: '一中安保负责人', group: 'school-contacts', siteId: 'sch-01', phone: '13805710102', id: 'r4', channels: ['sms'], attempts: [], channel: 'sms', address: '13805710102', state: 'queued', at: { queued: T0 } },
      ],
    });
    expect(s.radio.sends).toStrictEqual([
      { ref: b?.id, text, meta: { drill: false }, targets: [{ address: 'P-01', talkgroup: 'tg-patrol' }, { address: 'P-02', talkgroup: 'tg-patrol' }, { address: 'tg-sch-01', talkgroup: 'tg-sch-01' }] },
    ]);
    expect(s.sms.sends.map((x) => x.targets)).toStrictEqual([[{ address: '13805710102' }]]);
    expect(s.audits).toStrictEqual([
      { at: T0, actor: 'system', action: 'broadcast.send', target: b?.id, detail: { alarmId: alarm.id, policy: 'panic', drill: false, groups: ['station-patrol', 'guard-posts', 'school-contacts'], channels: ['radio', 'sms'], recipients: 4, text } },
    ]);
    expect((await s.alarms.get(alarm.id))?.timeline.at(-1)).toStrictEqual({ at: T0, action: 'broadcast', by: 'system', data: { broadcastId: b?.id, recipients: 4 } });
    // A repeat press folds into the alarm: no second broadcast.
    await s.alarms.raise(press);
    await s.svc.idle();
    expect(await s.svc.list()).toHaveLength(1);
    expect(s.changes.map((c) => c.change)).toStrictEqual(['created']);
    await s.svc.stop();
  });

  it('tracks receipts and roll-call into a live tally, falls back to SMS after N s for the unanswered, and closes when all are final', async () => {
    const s = setup();
    s.svc.bindChannel(s.sms);
    s.svc.bindChannel(s.radio);
    await s.svc.start();
    await s.alarms.raise(press);
    await s.svc.idle();
    const b = await s.svc.get((await s.svc.list())[0]?.id ?? '');
    if (!b) throw new Error('no broadcast');
    s.radio.status(b.id, 'P-01', 'sent');
    s.radio.status(b.id, 'P-02', 'sent');
    s.radio.status(b.id, 'tg-sch-01', 'sent');
    s.sms.status(b.id, '13805710102', 'sent');
    vi.advanceTimersByTime(2000);
    s.sms.status(b.id, '13805710102', 'delivered');
    s.radio.reply({ address: 'P-01', talkgroup: 'tg-patrol', ref: b.id, ack: true });
    expect((await s.svc.get(b.id))?.tally).toStrictEqual({ total: 4, sent: 4, delivered: 2, confirmed: 1, failed: 0 });
    // Radio silent for P-02 and the guard post: after 10 s they go to SMS.
    await vi.advanceTimersByTimeAsync(8000);
    const mid = await s.svc.get(b.id);
    expect(mid?.recipients.map((r) => [r.id, r.channel, r.address, r.state, r.fallbackAt, r.attempts.map((a) => `${a.channel}:${a.state}`)])).toStrictEqual([
      ['r1', 'radio', 'P-01', 'confirmed', undefined, []],
      ['r2', 'sms', '13805719002', 'queued', undefined, ['radio:sent']],
      ['r3', 'sms', '13805710101', 'queued', undefined, ['radio:sent']],
      ['r4', 'sms', '13805710102', 'delivered', undefined, []],
    ]);
    expect(s.sms.sends.map((x) => x.targets.map((t) => t.address))).toStrictEqual([['13805710102'], ['13805719002', '13805710101']]);
    // A late radio roll-call ack still confirms the person, wherever they are now.
    s.radio.reply({ address: 'P-02', talkgroup: 'tg-patrol', ack: true });
    s.sms.status(b.id, '13805710101', 'failed', 'UNDELIV');
    s.sms.reply({ address: '8613805710102', text: '收到，已关闭校门', ref: b.id });
    const end = await s.svc.get(b.id);
    expect(end?.recipients.map((r) => [r.id, r.state, r.reason, r.reply?.confirms])).toStrictEqual([
      ['r1', 'confirmed', undefined, true],
      ['r2', 'confirmed', undefined, true],
      ['r3', 'failed', 'UNDELIV', undefined],
      ['r4', 'confirmed', undefined, true],
    ]);
    expect(end?.state).toBe('closed');
    expect(end?.closedAt).toBe(T0 + 10_000);
    expect(end?.tally).toStrictEqual({ total: 4, sent: 3, delivered: 3, confirmed: 3, failed: 1 });
    await s.svc.idle();
    expect(s.changes.at(-1)).toStrictEqual({ change: 'closed', broadcastId: b.id, tally: end?.tally, at: T0 + 10_000 });
    expect(await s.repo.getBroadcast(b.id)).toStrictEqual(end);
    expect(vi.getTimerCount()).toBe(0);
    await s.svc.stop();
  });

  it('fails over at once when a channel is not bound or fails, and marks people with no usable address', async () => {
    const s = setup();
    s.svc.bindChannel(s.sms);
    await s.svc.start();
    const b = await s.svc.create({ text: '测试', groups: ['station-patrol'], recipients: [{ name: '只有手台', radio: { talkgroup: 'tg-x' } }], channels: ['radio', 'sms'], by: '值班员李' });
    expect(b.recipients.map((r) => [r.name, r.channel, r.state, r.attempts])).toStrictEqual([
      ['张伟', 'sms', 'queued', [{ channel: 'radio', address: 'P-01', state: 'failed', reason: 'channel-unavailable', detail: 'no radio channel is bound', at: { queued: T0, failed: T0 } }]],
      ['王磊', 'sms', 'queued', [{ channel: 'radio', address: 'P-02', state: 'failed', reason: 'channel-unavailable', detail: 'no radio channel is bound', at: { queued: T0, failed: T0 } }]],
      ['只有手台', 'radio', 'failed', []],
    ]);
    const c = await s.svc.create({ text: '测试', recipients: [{ name: '无号码', radio: { talkgroup: 'tg-x' } }], channels: ['sms'] });
    expect(c.recipients[0]).toMatchObject({ state: 'failed', reason: 'no-address', detail: 'no address for sms', channels: [] });
    // Nobody left to wait for: closed at once.
    expect(c.state).toBe('closed');
    await s.svc.idle();
    expect((await s.repo.getBroadcast(c.id))?.state).toBe('closed');
    await s.svc.stop();
  });

  it('marks drills, confirms the right person in the right broadcast, and rejects bad manual input', async () => {
    const s = setup();
    s.svc.bindChannel(s.sms);
    await s.svc.start();
    const { alarm } = await s.alarms.raise({ ...press, drill: true });
    await s.svc.idle();
    const drill = (await s.svc.list())[0];
    expect(drill).toMatchObject({ drill: true, policyId: 'drill', alarmId: alarm.id, channels: ['sms'] });
    expect(drill?.text).toBe('【演练】【城东区校园安全】城东区第一中学 · 一键报警 门卫室 · 一键报警（11月3日 14:05）。收到请回复“1”或“收到”。');
    vi.advanceTimersByTime(1000);
    const manual = await s.svc.create({ text: '{school}请门卫室回复', groups: ['guard-posts', 'school-contacts'], siteId: 'sch-01', channels: ['sms'], by: '值班员李', ip: '10.0.0.9' });
    expect(manual.text).toBe('城东区第一中学请门卫室回复');
    // Unrelated text is kept as a reply but confirms nothing.
    s.sms.reply({ address: '13805710101', text: '请问什么事？' });
    // The ref names the newer broadcast: that one is confirmed, the drill is not.
    s.sms.reply({ address: '13805710101', text: '1', ref: manual.id });
    // The next "收到" from the same phone goes to the broadcast they have not answered yet.
    s.sms.reply({ address: '13805710101', text: '收到', ref: manual.id });
    s.sms.reply({ address: '13999999999', text: '1' });
    const m = await s.svc.get(manual.id);
    const d = await s.svc.get(drill?.id ?? '');
    expect(m?.recipients.map((r) => [r.phone, r.state, r.reply?.text])).toStrictEqual([
      ['13805710101', 'confirmed', '1'],
      ['13805710102', 'queued', undefined],
    ]);
    expect(d?.recipients.map((r) => [r.phone, r.state, r.reply?.text])).toStrictEqual([['13805710101', 'confirmed', '收到']]);
    expect(s.audits.map((a) => [a.actor, a.target, a.ip])).toStrictEqual([
      ['system', drill?.id, undefined],
      ['值班员李', manual.id, '10.0.0.9'],
    ]);
    await expect(s.svc.create({ text: 'x', groups: ['nobody'] })).rejects.toThrow(expect.objectContaining({ code: 'GW_ERR_BROADCAST_UNKNOWN_GROUP' }));
    await expect(s.svc.create({ text: 'x', alarmId: 'nope', groups: ['guard-posts'] })).rejects.toThrow(expect.objectContaining({ code: 'GW_ERR_BROADCAST_UNKNOWN_ALARM' }));
    await expect(s.svc.create({ text: 'x' })).rejects.toThrow(expect.objectContaining({ code: 'GW_ERR_BROADCAST_NO_RECIPIENTS' }));
    await s.svc.stop();
    await expect(s.svc.create({ text: 'x', groups: ['guard-posts'] })).rejects.toThrow(expect.objectContaining({ code: 'GW_ERR_BROADCAST_NOT_STARTED', statusCode: 503 }));
  });

  it('resumes after a restart: queued people are sent again, timers re-armed, and crashed-before-broadcast alarms caught up', async () => {
    const store = new SqliteStateStore('', { file: ':memory:' });
    const s = setup({}, store);
    s.svc.bindChannel(s.sms);
    s.svc.bindChannel(s.radio);
    await s.svc.start();
    const { alarm } = await s.alarms.raise(press);
    await s.svc.idle();
    const id = (await s.svc.list())[0]?.id as string;
    s.radio.status(id, 'P-01', 'sent');
    await s.svc.stop();
    expect(s.radio.listeners + s.sms.listeners).toBe(0);
    expect(vi.getTimerCount()).toBe(0);

    // Restart on the same database, with an alarm committed whose broadcast never happened.
    const t = setup({}, store);
    await t.alarms.load();
    const orphan = (await t.alarms.raise({ ...press, deviceId: undefined, summary: 'x' })).alarm;
    t.svc.bindChannel(t.sms);
    t.svc.bindChannel(t.radio);
    await t.svc.start();
    await t.svc.idle();
    expect(t.radio.sends.map((x) => [x.ref, x.targets.map((g) => g.address)])).toStrictEqual([
      [id, ['P-02', 'tg-sch-01']],
      [expect.not.stringMatching(id), ['P-01', 'P-02', 'tg-sch-01']],
    ]);
    expect((await t.svc.list()).map((b) => b.alarmId).sort()).toStrictEqual([alarm.id, orphan.id].sort());
    await vi.advanceTimersByTimeAsync(10_000);
    expect((await t.svc.get(id))?.recipients.map((r) => r.channel)).toStrictEqual(['sms', 'sms', 'sms', 'sms']);
    await vi.advanceTimersByTimeAsync(1800_000);
    await t.svc.idle();
    expect((await t.svc.list()).map((b) => b.state)).toStrictEqual(['closed', 'closed']);
    await t.svc.stop();
  });
});
