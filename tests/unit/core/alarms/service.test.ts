import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { AlarmService, type AlarmRepository } from '../../../../gateway/core/alarms/service.js';
import type { Clock } from '../../../../gateway/contract/clock.js';
import { systemClock } from '../../../../gateway/contract/clock.js';
import { EventBus } from '../../../../gateway/core/bus.js';
import type { Alarm } from '../../../../gateway/contract/types.js';

function setup() {
  const saved = new Map<string, Alarm>();
  const repo: AlarmRepository = {
    saveAlarm: (a) => void saved.set(a.id, a),
    getAlarm: (id) => saved.get(id),
    openAlarms: () => [...saved.values()].filter((a) => a.state !== 'resolved'),
  };
  let now = 1_000;
  const clock: Clock = { ...systemClock, now: () => now };
  const bus = new EventBus(pino({ level: 'silent' }));
  const changes: string[] = [];
  bus.on('alarm.changed', 'test', ({ change, alarm }) => changes.push(`${change}:${alarm.state}:${saved.has(alarm.id)}`));
  const svc = new AlarmService(repo, bus, clock);
  return { svc, saved, changes, tick: (ms: number) => (now += ms), repo, bus, clock };
}

const press = { type: 'panic' as const, severity: 'critical' as const, siteId: 'sch-01', deviceId: 'b1', summary: 'press', by: 'b1' };

describe('AlarmService', () => {
  it('raises, folds repeats, acknowledges and resolves with a timeline; persists before announcing', () => {
    const { svc, changes, tick } = setup();
    const { alarm, created } = svc.raise(press);
    expect(created).toBe(true);
    tick(500);
    expect(svc.raise(press)).toMatchObject({ created: false, alarm: { id: alarm.id, repeats: 1, updatedAt: 1_500 } });
    tick(500);
    svc.acknowledge(alarm.id, '张伟', '已出警');
    tick(500);
    const resolved = svc.resolve(alarm.id, '张伟');
    expect(resolved).toStrictEqual({
      ...alarm,
      state: 'resolved',
      repeats: 1,
      updatedAt: 2_500,
      timeline: [
        { at: 1_000, action: 'raised', by: 'b1' },
        { at: 2_000, action: 'acknowledged', by: '张伟', note: '已出警' },
        { at: 2_500, action: 'resolved', by: '张伟' },
      ],
    });
    expect(changes).toStrictEqual(['raised:active:true', 'repeat:active:true', 'acknowledged:acknowledged:true', 'resolved:resolved:true']);
    // After resolve, a new press is a new alarm.
    expect(svc.raise(press).created).toBe(true);
  });

  it('keeps drills apart from real alarms and refuses illegal transitions with coded errors', () => {
    const { svc } = setup();
    const real = svc.raise(press).alarm;
    const drill = svc.raise({ ...press, drill: true }).alarm;
    expect(drill.id).not.toBe(real.id);
    svc.acknowledge(real.id, 'a');
    expect(() => svc.acknowledge(real.id, 'a')).toThrow(expect.objectContaining({ code: 'GW_ERR_ALARM_STATE', statusCode: 409 }));
    expect(() => svc.resolve('missing', 'a')).toThrow(expect.objectContaining({ code: 'GW_ERR_ALARM_NOT_FOUND', statusCode: 404 }));
  });

  it('clears condition alarms by system and reloads open alarms after a restart', () => {
    const { svc, repo, bus, clock } = setup();
    svc.raise({ ...press, type: 'device-offline', severity: 'major' });
    const panic = svc.raise(press).alarm;
    const cleared = svc.clear('device-offline', 'sch-01', 'b1', 'back');
    expect(cleared?.timeline.at(-1)).toStrictEqual({ at: 1_000, action: 'cleared', by: 'system', note: 'back' });
    const again = new AlarmService(repo, bus, clock);
    again.load();
    expect(again.openAlarms().map((a) => a.id)).toStrictEqual([panic.id]);
    expect(again.raise(press).alarm.id).toBe(panic.id);
  });

  it('commits a new alarm with its participants in one transaction and announces it once, their first moves after it', () => {
    const { svc, repo, bus, saved } = setup();
    const transactions: number[] = [];
    repo.transaction = (fn) => {
      transactions.push(saved.size);
      return fn();
    };
    const seen: string[] = [];
    bus.on('alarm.changed', 'test', ({ change, alarm }) => seen.push(`${change}:${alarm.timeline.map((e) => e.action).join('+')}`));
    svc.participate({
      onRaise: (alarm) => (alarm.type === 'panic' ? [{ action: 'forward-queued', by: 'system', data: { sequence: 7 } }] : []),
      // Its first move (a note) while the raise is announced: delivered after the raise.
      onRaised: (alarm) => void svc.note(alarm.id, { action: 'forward-sent', by: 'system' }),
    });
    const { alarm } = svc.raise(press);
    expect(alarm.timeline).toStrictEqual([
      { at: 1_000, action: 'raised', by: 'b1' },
      { at: 1_000, action: 'forward-queued', by: 'system', data: { sequence: 7 } },
    ]);
    expect(saved.get(alarm.id)?.timeline.map((e) => e.action)).toStrictEqual(['raised', 'forward-queued', 'forward-sent']);
    expect(transactions).toStrictEqual([0]);
    expect(seen).toStrictEqual(['raised:raised+forward-queued', 'forward-sent:raised+forward-queued+forward-sent']);
    // A repeat is not a new alarm: no participants, no transaction.
    svc.raise(press);
    expect(transactions).toStrictEqual([0]);
  });
});
