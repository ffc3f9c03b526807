import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { AlarmService } from '../../../../gateway/core/alarms/service.js';
import { forwardQueuedEntry } from '../../../../gateway/core/alarms/outbox.js';
import type { Clock } from '../../../../gateway/contract/clock.js';
import { systemClock } from '../../../../gateway/contract/clock.js';
import { EventBus } from '../../../../gateway/core/bus.js';
import { SqliteStateStore } from '../../../../gateway/store/sqlite/state-store.js';

function setup() {
  const repo = new SqliteStateStore('', { file: ':memory:' });
  /** Whether the alarm is on disk, read straight from the database (synchronously). */
  const saved = (id: string) => repo.db.prepare('SELECT 1 FROM alarms WHERE id = ?').get(id) !== undefined;
  let now = 1_000;
  const clock: Clock = { ...systemClock, now: () => now };
  const bus = new EventBus(pino({ level: 'silent' }));
  const changes: string[] = [];
  bus.on('alarm.changed', 'test', ({ change, alarm }) => changes.push(`${change}:${alarm.state}:${saved(alarm.id)}`));
  const svc = new AlarmService(repo, bus, clock);
  return { svc, saved, changes, tick: (ms: number) => (now += ms), repo, bus, clock };
}

const press = { type: 'panic' as const, severity: 'critical' as const, siteId: 'sch-01', deviceId: 'b1', summary: 'press', by: 'b1' };

describe('AlarmService', () => {
  it("announces its own change once when the commit's notification arrives before the commit's reply", async () => {
    const { svc, changes, repo } = setup();
    const { alarm } = await svc.raise(press);
    // The database commits, its NOTIFY reaches the listener, and only then does the reply come back.
    const update = repo.updateAlarm.bind(repo);
    let notified: Promise<unknown> | undefined;
    repo.updateAlarm = async (...args: Parameters<typeof repo.updateAlarm>) => {
      const out = await update(...args);
      notified = svc.refresh(alarm.id, out?.version);
      await new Promise((r) => setTimeout(r, 20));
      return out;
    };
    await svc.resolve(alarm.id, '张伟');
    await notified;
    expect(changes).toStrictEqual(['raised:active:true', 'resolved:resolved:true']);
  });

  it('raises, folds repeats, acknowledges and resolves with a timeline; persists before announcing', async () => {
    const { svc, changes, tick } = setup();
    const { alarm, created } = await svc.raise(press);
    expect(created).toBe(true);
    tick(500);
    expect(await svc.raise(press)).toMatchObject({ created: false, alarm: { id: alarm.id, repeats: 1, updatedAt: 1_500 } });
    tick(500);
    await svc.acknowledge(alarm.id, '张伟', '已出警');
    tick(500);
    const resolved = await svc.resolve(alarm.id, '张伟');
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
    expect((await svc.raise(press)).created).toBe(true);
  });

  it('keeps drills apart from real alarms and refuses illegal transitions with coded errors', async () => {
    const { svc } = setup();
    const real = (await svc.raise(press)).alarm;
    const drill = (await svc.raise({ ...press, drill: true })).alarm;
    expect(drill.id).not.toBe(real.id);
    await svc.acknowledge(real.id, 'a');
    await expect(svc.acknowledge(real.id, 'a')).rejects.toThrow(expect.objectContaining({ code: 'GW_ERR_ALARM_STATE', statusCode: 409 }));
    await expect(svc.resolve('missing', 'a')).rejects.toThrow(expect.objectContaining({ code: 'GW_ERR_ALARM_NOT_FOUND', statusCode: 404 }));
  });

  it('clears condition alarms by system and reloads open alarms after a restart', async () => {
    const { svc, repo, bus, clock } = setup();
    await svc.raise({ ...press, type: 'device-offline', severity: 'major' });
    const panic = (await svc.raise(press)).alarm;
    const cleared = await svc.clear('device-offline', 'sch-01', 'b1', 'back');
    expect(cleared?.timeline.at(-1)).toStrictEqual({ at: 1_000, action: 'cleared', by: 'system', note: 'back' });
    const again = new AlarmService(repo, bus, clock);
    await again.load();
    expect(again.openAlarms().map((a) => a.id)).toStrictEqual([panic.id]);
    expect((await again.raise(press)).alarm.id).toBe(panic.id);
  });

  it('commits a new alarm with its participants in one transaction and announces it once, their first moves after it', async () => {
    const { svc, repo, bus, saved } = setup();
    const queuedWith: boolean[] = [];
    const seen: string[] = [];
    bus.on('alarm.changed', 'test', ({ change, alarm }) => seen.push(`${change}:${alarm.timeline.map((e) => e.action).join('+')}`));
    svc.participate({
      onRaise: (alarm) => (alarm.type === 'panic' ? [{ id: `out-${alarm.id}`, channel: 'c', kind: 'alarm-report', alarmId: alarm.id, siteId: alarm.siteId, createdAt: 1_000 }] : []),
      queuedEntry: forwardQueuedEntry,
      // Its first move (a note) while the raise is announced: delivered after the raise.
      onRaised: (alarm, queued) => {
        queuedWith.push(saved(alarm.id) && queued.length === 1);
        void svc.note(alarm.id, { action: 'forward-sent', by: 'system' });
      },
    });
    const { alarm } = await svc.raise(press);
    expect(alarm.timeline).toStrictEqual([
      { at: 1_000, action: 'raised', by: 'b1' },
      { at: 1_000, action: 'forward-queued', by: 'system', data: { channel: 'c', sequence: 1 } },
    ]);
    await Promise.resolve();
    expect((await repo.getAlarm(alarm.id))?.alarm.timeline.map((e) => e.action)).toStrictEqual(['raised', 'forward-queued', 'forward-sent']);
    expect(await repo.outbox.pending('c')).toMatchObject([{ alarmId: alarm.id, sequence: 1 }]);
    expect(queuedWith).toStrictEqual([true]);
    expect(seen).toStrictEqual(['raised:raised+forward-queued', 'forward-sent:raised+forward-queued+forward-sent']);
    // A repeat is not a new alarm: nothing queued.
    await svc.raise(press);
    expect(await repo.outbox.pending('c')).toHaveLength(1);
  });
});
