/**
 * Escalation with a fake clock: steps at 60 s and 180 s, repeats, then unanswered; an
 * acknowledgement stops it; drills follow the drill policy; a new service on the same store
 * (a restart) continues from the timeline.
 */
import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { systemClock } from '../../../../gateway/contract/clock.js';
import type { Alarm } from '../../../../gateway/contract/types.js';
import { AlarmService } from '../../../../gateway/core/alarms/service.js';
import { EventBus } from '../../../../gateway/core/bus.js';
import { EscalationConfigSchema, type EscalationConfig } from '../../../../gateway/core/escalation/config.js';
import { EscalationService, type EscalationNotice, type EscalationTarget } from '../../../../gateway/core/escalation/service.js';
import { SqliteStateStore } from '../../../../gateway/store/sqlite/state-store.js';
import { Value } from '@sinclair/typebox/value';

const T0 = Date.UTC(2026, 10, 3, 6, 5, 0);
const PEOPLE: Record<string, EscalationTarget> = {
  supervisor: { name: '带班所领导 周立新', via: 'supervisor', phone: '13805719211', radio: { talkgroup: 'tg-command', unit: 'S-01' } },
  'station-chief': { name: '派出所所长 陈志刚', via: 'station-chief', phone: '13805719221' },
};
const press = { type: 'panic' as const, severity: 'critical' as const, siteId: 'sch-01', deviceId: 'sch-01-btn-1', summary: '一键报警', by: 'sch-01-btn-1' };

function config(over: Record<string, unknown> = {}): EscalationConfig {
  return Value.Default(EscalationConfigSchema, structuredClone(over)) as EscalationConfig;
}

function setup(cfg = config(), store = new SqliteStateStore('', { file: ':memory:' })) {
  const log = pino({ level: 'silent' });
  const bus = new EventBus(log);
  const alarms = new AlarmService(store, bus, systemClock);
  const sent: EscalationNotice[] = [];
  const audits: { action: string; target: string; detail: Record<string, unknown> }[] = [];
  const svc = new EscalationService({
    config: cfg,
    alarms,
    bus,
    clock: systemClock,
    log,
    audit: { audit: async (e) => audits.push(e) },
    targets: async (n) => (PEOPLE[n] ? [PEOPLE[n]] : []),
    sender: {
      send: async (n) => {
        sent.push(n);
        return { broadcastId: `b${sent.length}`, receipts: n.targets.flatMap((t) => n.channels.map((c) => ({ who: t.name, channel: c, receipt: (c === 'sms' ? t.phone : t.radio) ? 'queued' : 'no-address' }))) };
      },
    },
  });
  return { svc, alarms, sent, audits, store, bus };
}

/** [round, step, who, channel, receipt] of every escalated entry, and the unanswered mark. */
function steps(a: Alarm | undefined) {
  return (a?.timeline ?? []).filter((e) => e.action === 'escalated' || e.action === 'unanswered').map((e) => (e.action === 'unanswered' ? ['unanswered'] : [e.data?.round, e.data?.step, e.data?.who, e.data?.channel, e.data?.receipt]));
}

async function advance(svc: EscalationService, seconds: number) {
  await vi.advanceTimersByTimeAsync(seconds * 1000);
  await svc.idle();
}

const SUPERVISOR = (r: number) => [
  [r, 1, 'board', 'board', 'shown'],
  [r, 1, '带班所领导 周立新', 'radio', 'queued'],
  [r, 1, '带班所领导 周立新', 'sms', 'queued'],
];
const CHIEF = (r: number) => [
  [r, 2, 'board', 'board', 'shown'],
  [r, 2, '派出所所长 陈志刚', 'radio', 'no-address'],
  [r, 2, '派出所所长 陈志刚', 'sms', 'queued'],
];

afterEach(() => {
  vi.useRealTimers();
});

describe('EscalationService', () => {
  it('calls the supervisor at 60 s and the station chief at 180 s (board, radio, SMS), audited', async () => {
    vi.useFakeTimers({ now: T0 });
    const s = setup();
    s.svc.start();
    const { alarm } = await s.alarms.raise(press);
    await advance(s.svc, 59.9);
    expect(steps(await s.alarms.get(alarm.id))).toStrictEqual([]);
    await advance(s.svc, 0.1);
    expect(steps(await s.alarms.get(alarm.id))).toStrictEqual(SUPERVISOR(1));
    expect(s.sent.map((n) => [n.round, n.step, n.policy, n.channels, n.targets.map((t) => t.name)])).toStrictEqual([[1, 1, 'life-safety', ['radio', 'sms'], ['带班所领导 周立新']]]);
    await advance(s.svc, 119.9);
    expect(s.sent).toHaveLength(1);
    await advance(s.svc, 0.1);
    // The chief has no radio: the step says so (no-address) instead of leaving it out.
    s.sent.at(-1)?.targets.forEach((t) => expect(t.via).toBe('station-chief'));
    expect(steps(await s.alarms.get(alarm.id))).toStrictEqual([...SUPERVISOR(1), ...CHIEF(1)]);
    expect(s.audits.map((a) => [a.action, a.target, a.detail.round, a.detail.step])).toStrictEqual([
      ['alarm.escalate', alarm.id, 1, 1],
      ['alarm.escalate', alarm.id, 1, 2],
    ]);
    await s.svc.stop();
  });

  it('repeats the policy twice, then marks the alarm unanswered and stops', async () => {
    vi.useFakeTimers({ now: T0 });
    const s = setup();
    s.svc.start();
    const { alarm } = await s.alarms.raise(press);
    await advance(s.svc, 539);
    expect(steps(await s.alarms.get(alarm.id))).toStrictEqual([...SUPERVISOR(1), ...CHIEF(1), ...SUPERVISOR(2), ...CHIEF(2), ...SUPERVISOR(3)]);
    await advance(s.svc, 1);
    expect(steps(await s.alarms.get(alarm.id))).toStrictEqual([...SUPERVISOR(1), ...CHIEF(1), ...SUPERVISOR(2), ...CHIEF(2), ...SUPERVISOR(3), ...CHIEF(3), ['unanswered']]);
    await advance(s.svc, 3600);
    expect(s.sent).toHaveLength(6);
    const a = await s.alarms.get(alarm.id);
    expect([a?.state, a?.timeline.at(-1)?.action, s.audits.at(-1)?.action]).toStrictEqual(['active', 'unanswered', 'alarm.unanswered']);
    await s.svc.stop();
  });

  it('stops when the alarm is acknowledged', async () => {
    vi.useFakeTimers({ now: T0 });
    const s = setup();
    s.svc.start();
    const { alarm } = await s.alarms.raise(press);
    await advance(s.svc, 100);
    await s.alarms.acknowledge(alarm.id, '值班民警 王建国');
    await advance(s.svc, 1000);
    expect(steps(await s.alarms.get(alarm.id))).toStrictEqual(SUPERVISOR(1));
    expect(s.sent).toHaveLength(1);
    await s.svc.stop();
  });

  it("keeps every open alarm's next step when another alarm changes (only the changed one is decided again)", async () => {
    vi.useFakeTimers({ now: T0 });
    const s = setup();
    s.svc.start();
    const first = (await s.alarms.raise(press)).alarm;
    await advance(s.svc, 30);
    const second = (await s.alarms.raise({ ...press, siteId: 'sch-02', deviceId: 'sch-02-btn-1', by: 'sch-02-btn-1' })).alarm;
    expect(s.svc.nextDueAt()).toBe(T0 + 60_000);
    // The second alarm changes (acknowledged): the first one's step at 60 s is still due.
    await s.alarms.acknowledge(second.id, '值班民警 王建国');
    expect(s.svc.nextDueAt()).toBe(T0 + 60_000);
    await advance(s.svc, 30);
    expect(steps(await s.alarms.get(first.id))).toStrictEqual(SUPERVISOR(1));
    expect(steps(await s.alarms.get(second.id))).toStrictEqual([]);
    // The first acknowledged too: nothing is due any more.
    await s.alarms.acknowledge(first.id, '值班民警 王建国');
    expect(s.svc.nextDueAt()).toBeUndefined();
    await s.svc.stop();
  });

  it('does nothing when disabled', async () => {
    vi.useFakeTimers({ now: T0 });
    const s = setup(config({ enabled: false }));
    s.svc.start();
    const { alarm } = await s.alarms.raise(press);
    await advance(s.svc, 600);
    expect([steps(await s.alarms.get(alarm.id)), s.sent]).toStrictEqual([[], []]);
    await s.svc.stop();
  });

  it('follows the drill policy for a drill, and nothing for an alarm no policy names', async () => {
    vi.useFakeTimers({ now: T0 });
    const s = setup(
      config({
        policies: [
          { id: 'real', alarmTypes: ['panic'], steps: [{ afterSeconds: 60, notify: ['station-chief'], channels: ['sms'] }], repeat: 0 },
          { id: 'drill', alarmTypes: ['panic'], drill: true, steps: [{ afterSeconds: 30, notify: ['supervisor'], channels: ['board', 'sms'] }], repeat: 0 },
        ],
      }),
    );
    s.svc.start();
    const { alarm: drill } = await s.alarms.raise({ ...press, drill: true });
    const { alarm: fault } = await s.alarms.raise({ ...press, type: 'device-fault', severity: 'major' });
    await advance(s.svc, 120);
    expect(steps(await s.alarms.get(drill.id))).toStrictEqual([[1, 1, 'board', 'board', 'shown'], [1, 1, '带班所领导 周立新', 'sms', 'queued'], ['unanswered']]);
    expect((await s.alarms.get(drill.id))?.timeline.find((e) => e.action === 'escalated')?.data?.policy).toBe('drill');
    expect(steps(await s.alarms.get(fault.id))).toStrictEqual([]);
    expect(s.sent.map((n) => [n.policy, n.alarm.drill])).toStrictEqual([['drill', true]]);
    await s.svc.stop();
  });

  it('continues after a restart from the timeline: no step twice, missed steps folded into the latest', async () => {
    vi.useFakeTimers({ now: T0 });
    const store = new SqliteStateStore('', { file: ':memory:' });
    const first = setup(config(), store);
    first.svc.start();
    const { alarm } = await first.alarms.raise(press);
    await advance(first.svc, 61);
    await first.svc.stop();
    expect(steps(await first.alarms.get(alarm.id))).toStrictEqual(SUPERVISOR(1));

    // Down for a while: at 200 s the chief's step (180 s) is due; the supervisor's is not repeated.
    await vi.advanceTimersByTimeAsync(139_000);
    const second = setup(config(), store);
    await second.alarms.load();
    second.svc.start();
    await second.svc.idle();
    await advance(second.svc, 0);
    expect(steps(await second.alarms.get(alarm.id))).toStrictEqual([...SUPERVISOR(1), ...CHIEF(1)]);
    expect(second.sent.map((n) => [n.round, n.step])).toStrictEqual([[1, 2]]);
    await second.svc.stop();

    // Down again from 200 s to 400 s: round 2's supervisor (240 s) and chief (360 s) fell due;
    // only the chief is called, with a note of what was skipped, and round 3 follows on time.
    await vi.advanceTimersByTimeAsync(200_000);
    const third = setup(config(), store);
    await third.alarms.load();
    third.svc.start();
    await advance(third.svc, 0);
    const a = await third.alarms.get(alarm.id);
    expect(steps(a)).toStrictEqual([...SUPERVISOR(1), ...CHIEF(1), ...CHIEF(2)]);
    expect(a?.timeline.filter((e) => e.action === 'escalated' && e.data?.round === 2)[0]?.note).toBe('1 earlier step(s) fell due while no gateway escalated');
    await advance(third.svc, 19);
    expect(third.sent.map((n) => [n.round, n.step])).toStrictEqual([[2, 2]]);
    await advance(third.svc, 1);
    expect(third.sent.map((n) => [n.round, n.step])).toStrictEqual([[2, 2], [3, 1]]);
    await third.svc.stop();
  });
});
