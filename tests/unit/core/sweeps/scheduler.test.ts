import { Value } from '@sinclair/typebox/value';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SweepsConfigSchema, sweepScheduleErrors } from '../../../../gateway/core/sweeps/config.js';
import { SweepScheduler } from '../../../../gateway/core/sweeps/scheduler.js';
import type { SweepRecord, SweepRequest } from '../../../../gateway/core/sweeps/types.js';
import { silentLog } from '../../reports/fixtures.js';

function fakeEngine() {
  const requests: SweepRequest[] = [];
  const running = new Set<string>();
  return {
    requests,
    running,
    async startSweep(req: SweepRequest): Promise<SweepRecord> {
      requests.push(req);
      const id = `sw-${requests.length}`;
      running.add(id);
      return { id, trigger: req.trigger ?? 'api', state: 'running', createdAt: Date.now(), total: 1, selection: req.selection, options: { concurrency: 1, timeoutMs: 1, extras: [] } };
    },
    whenDone(id: string) {
      return running.has(id) ? Promise.resolve({} as SweepRecord) : undefined;
    },
  };
}

describe('SweepScheduler', () => {
  let scheduler: SweepScheduler | undefined;
  beforeEach(() => {
    // Monday 07:29:00 in Beijing.
    vi.useFakeTimers({ now: new Date('2026-11-23T07:29:00+08:00') });
  });
  afterEach(() => {
    scheduler?.stop();
    vi.useRealTimers();
  });

  it('starts sweeps on the cron in the schedule\'s time zone (Asia/Shanghai by default) ', async () => {
    const engine = fakeEngine();
    scheduler = new SweepScheduler(
      [{ name: 'morning-buttons', cron: '30 7 * * 1-5', selection: { kinds: ['alarm-button'] }, timeoutMs: 5000 }],
      { engine, log: silentLog },
    );
    scheduler.start();
    expect(scheduler.upcoming()).toStrictEqual([
      { name: 'morning-buttons', cron: '30 7 * * 1-5', timezone: 'Asia/Shanghai', nextRun: Date.parse('2026-11-23T07:30:00+08:00') },
    ]);
    await vi.advanceTimersByTimeAsync(59_000);
    expect(engine.requests).toStrictEqual([]);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(engine.requests).toStrictEqual([{ selection: { kinds: ['alarm-button'] }, trigger: 'schedule:morning-buttons', name: 'morning-buttons', timeoutMs: 5000 }]);
  });

  it('skips a turn while the schedule\'s previous sweep still runs', async () => {
    const engine = fakeEngine();
    scheduler = new SweepScheduler([{ name: 'minutely', cron: '* * * * *' }], { engine, log: silentLog });
    scheduler.start();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(engine.requests.map((r) => r.trigger)).toStrictEqual(['schedule:minutely']);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(engine.requests).toHaveLength(1);
    engine.running.clear();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(engine.requests).toHaveLength(2);
  });

  it('refuses bad schedules by path before starting any, and leaves disabled ones off', () => {
    const engine = fakeEngine();
    scheduler = new SweepScheduler(
      [
        { name: 'a', cron: '61 * * * *' },
        { name: 'a', cron: '0 7 * * *', timezone: 'Mars/Olympus' },
      ],
      { engine, log: silentLog },
    );
    expect(() => scheduler?.start()).toThrow(expect.objectContaining({ code: 'GW_ERR_SWEEP_SCHEDULE_INVALID' }) as Error);
    expect(sweepScheduleErrors([{ name: 'a', cron: '61 * * * *', timezone: 'Asia/Shanghai' }, { name: 'a', cron: '0 7 * * *', timezone: 'Mars/Olympus' }])).toStrictEqual([
      '/sweeps/schedules/0/cron: CronPattern: Invalid value for minute: 61',
      "/sweeps/schedules/1/name: duplicate schedule name 'a'",
      "/sweeps/schedules/1/timezone: unknown time zone 'Mars/Olympus'",
    ]);
    const off = new SweepScheduler([{ name: 'off', cron: '* * * * *', enabled: false }], { engine, log: silentLog });
    off.start();
    expect(off.upcoming()).toStrictEqual([]);
    off.stop();
  });

  it('config schema: defaults to no schedules, fills a schedule\'s time zone, refuses unknown keys', () => {
    const kinds = { camera: { concurrency: 4, timeoutMs: 30_000 } };
    expect(Value.Default(SweepsConfigSchema, {})).toStrictEqual({ concurrency: 16, timeoutMs: 15000, maxRunning: 2, kinds, schedules: [] });
    const withSchedule = Value.Default(SweepsConfigSchema, { schedules: [{ name: 'n', cron: '0 7 * * 1-5' }] });
    expect(Value.Check(SweepsConfigSchema, withSchedule)).toBe(true);
    expect(withSchedule).toStrictEqual({ concurrency: 16, timeoutMs: 15000, maxRunning: 2, kinds, schedules: [{ name: 'n', cron: '0 7 * * 1-5', timezone: 'Asia/Shanghai', enabled: true }] });
    expect(Value.Check(SweepsConfigSchema, { ...(withSchedule as object), colour: 'red' })).toBe(false);
    expect(Value.Check(SweepsConfigSchema, { schedules: [{ name: 'n', cron: '0 7 * * *', timezone: 'UTC', enabled: true, selection: { school: 'x' } }], concurrency: 1, timeoutMs: 100, maxRunning: 1 })).toBe(false);
  });
});
