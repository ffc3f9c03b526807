/**
 * Starts sweeps on cron schedules (croner), in each schedule's time zone (default
 * Asia/Shanghai: "every school day at 07:30" means Beijing time wherever the server runs).
 * A schedule whose previous sweep is still running skips its turn rather than pile up.
 */
import { Cron } from 'croner';
import type { Logger } from 'pino';
import { DEFAULT_SWEEP_TIME_ZONE, sweepScheduleErrors, type SweepSchedule } from './config.js';
import { GatewayError } from '../../contract/errors.js';
import type { SweepRecord, SweepRequest } from './types.js';

export type SweepScheduleInput = Omit<SweepSchedule, 'timezone' | 'enabled'> & { timezone?: string; enabled?: boolean };

export interface SweepSchedulerDeps {
  engine: { startSweep(req: SweepRequest): Promise<SweepRecord>; whenDone(id: string): Promise<SweepRecord> | undefined };
  log: Logger;
}

interface Job {
  schedule: SweepScheduleInput & { timezone: string };
  cron: Cron;
  lastSweepId?: string;
  /** Its sweep is being recorded (startSweep awaits the store). */
  starting?: boolean;
}

export class SweepScheduler {
  private readonly jobs: Job[] = [];

  constructor(
    private readonly schedules: readonly SweepScheduleInput[],
    private readonly deps: SweepSchedulerDeps,
  ) {}

  /** Throws GW_ERR_SWEEP_SCHEDULE_INVALID (naming every bad schedule) before starting any. */
  start(): void {
    const normalized = this.schedules.map((s) => ({ ...s, timezone: s.timezone ?? DEFAULT_SWEEP_TIME_ZONE }));
    const errors = sweepScheduleErrors(normalized);
    if (errors.length > 0) throw new GatewayError('GW_ERR_SWEEP_SCHEDULE_INVALID', errors.join('; '), { details: errors });
    for (const schedule of normalized) {
      if (schedule.enabled === false) continue;
      const job: Job = { schedule, cron: new Cron(schedule.cron, { timezone: schedule.timezone, paused: true }) };
      job.cron.schedule(() => this.fire(job));
      job.cron.resume();
      this.jobs.push(job);
      this.deps.log.info({ schedule: schedule.name, cron: schedule.cron, timezone: schedule.timezone, next: job.cron.nextRun()?.toISOString() }, 'sweep scheduled');
    }
  }

  stop(): void {
    for (const job of this.jobs.splice(0)) job.cron.stop();
  }

  /** Next run of every active schedule (for an operator's view). */
  upcoming(): { name: string; cron: string; timezone: string; nextRun?: number }[] {
    return this.jobs.map((j) => {
      const next = j.cron.nextRun();
      return { name: j.schedule.name, cron: j.schedule.cron, timezone: j.schedule.timezone, ...(next ? { nextRun: next.getTime() } : {}) };
    });
  }

  private fire(job: Job): void {
    const { schedule } = job;
    if (job.lastSweepId && this.deps.engine.whenDone(job.lastSweepId)) {
      this.deps.log.warn({ schedule: schedule.name, sweepId: job.lastSweepId }, 'previous scheduled sweep still running: turn skipped');
      return;
    }
    if (job.starting) return;
    job.starting = true;
    this.deps.engine
      .startSweep({
        selection: schedule.selection ?? {},
        trigger: `schedule:${schedule.name}`,
        name: schedule.name,
        ...(schedule.concurrency !== undefined ? { concurrency: schedule.concurrency } : {}),
        ...(schedule.timeoutMs !== undefined ? { timeoutMs: schedule.timeoutMs } : {}),
        ...(schedule.extras !== undefined ? { extras: schedule.extras } : {}),
      })
      .then(
        (record) => {
          job.lastSweepId = record.id;
        },
        (err: unknown) => this.deps.log.error({ err, schedule: schedule.name }, 'scheduled sweep could not start'),
      )
      .finally(() => {
        job.starting = false;
      });
  }
}
