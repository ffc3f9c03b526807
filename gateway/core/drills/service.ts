/**
 * Drills (演练): a duty officer or a school starts a drill for a school; alarms raised there
 * while it runs are marked drill everywhere, reach the 110 centre only as test reports, run
 * the broadcast roll-call with the drill prefix, and end in a drill report kept with the
 * school's history: time to 110 ACK, time to acknowledge on the board, who confirmed and when.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { AlarmService } from '../alarms/service.js';
import type { Broadcast } from '../broadcast/types.js';
import type { Clock, Timer } from '../../contract/clock.js';
import type { Alarm } from '../../contract/types.js';
import { errorMessage, GatewayError } from '../../contract/errors.js';
import type { Drill, DrillAlarmReport, DrillRepository } from './types.js';

export type { Drill, DrillAlarmReport, DrillRepository } from './types.js';

export interface DrillDeps {
  repo: DrillRepository;
  alarms: Pick<AlarmService, 'get'>;
  clock: Clock;
  broadcastsOf(alarmId: string): Promise<Broadcast[]>;
  log?: Logger;
  /** Cluster mode: a drill was started, ended or given an alarm here; the other nodes refresh() it. */
  announce?: (drillId: string) => void;
}

export class DrillService {
  private readonly running = new Map<string, Drill>();
  private readonly timers = new Map<string, Timer>();

  constructor(private readonly d: DrillDeps) {}

  /** Reloads drills a restart interrupted; those past their end are ended now. */
  async start(): Promise<void> {
    for (const drill of await this.d.repo.runningDrills()) {
      this.running.set(drill.siteId, drill);
      this.arm(drill);
    }
  }

  stop(): void {
    for (const t of this.timers.values()) this.d.clock.clearTimeout(t);
    this.timers.clear();
  }

  /** The drill running at a school, if any: alarms raised there now are drills. */
  activeAt(siteId: string): Drill | undefined {
    return this.running.get(siteId);
  }

  async begin(siteId: string, by: string, durationSeconds: number): Promise<Drill> {
    if (this.running.has(siteId)) throw new GatewayError('GW_ERR_ALARM_STATE', `a drill is already running at ${siteId}`);
    const now = this.d.clock.now();
    const drill: Drill = { id: randomUUID(), siteId, startedAt: now, endsAt: now + durationSeconds * 1000, startedBy: by, state: 'running', alarmIds: [] };
    // Running from now (a press a moment later is a drill), forgotten again if it cannot be kept.
    this.running.set(siteId, drill);
    try {
      await this.d.repo.saveDrill(drill);
    } catch (err) {
      if (this.running.get(siteId) === drill) this.running.delete(siteId);
      throw err;
    }
    this.arm(drill);
    this.d.announce?.(drill.id);
    return drill;
  }

  /**
   * Cluster mode: another node started, ended or recorded an alarm of this drill: take the
   * store's word for it, so a press at that school is a drill here too.
   */
  async refresh(id: string): Promise<void> {
    const stored = await this.d.repo.getDrill(id);
    if (!stored) return;
    const current = this.running.get(stored.siteId);
    if (stored.state === 'running') {
      if (current?.id === id) {
        for (const a of stored.alarmIds) if (!current.alarmIds.includes(a)) current.alarmIds.push(a);
      } else if (!current) {
        this.running.set(stored.siteId, stored);
        this.arm(stored);
      }
    } else if (current?.id === id) {
      const t = this.timers.get(id);
      if (t) this.d.clock.clearTimeout(t);
      this.timers.delete(id);
      this.running.delete(stored.siteId);
    }
  }

  /** Cluster mode: notifications may have been missed; the running drills as the store has them. */
  async reload(): Promise<void> {
    const stored = await this.d.repo.runningDrills();
    for (const drill of [...this.running.values()]) if (!stored.some((s) => s.id === drill.id)) await this.refresh(drill.id);
    for (const drill of stored) await this.refresh(drill.id);
  }

  /** Records a drill alarm raised at a school under drill. */
  async onAlarm(alarm: Alarm): Promise<void> {
    if (!alarm.drill) return;
    const drill = this.running.get(alarm.siteId);
    if (!drill || drill.alarmIds.includes(alarm.id)) return;
    drill.alarmIds.push(alarm.id);
    await this.d.repo.saveDrill(drill);
    this.d.announce?.(drill.id);
  }

  async end(id: string, by: string): Promise<Drill> {
    const drill = [...this.running.values()].find((x) => x.id === id);
    if (!drill) {
      const stored = await this.get(id);
      if (!stored) throw new GatewayError('GW_ERR_NOT_FOUND', `drill ${id}`);
      return stored;
    }
    const t = this.timers.get(drill.id);
    if (t) this.d.clock.clearTimeout(t);
    this.timers.delete(drill.id);
    this.running.delete(drill.siteId);
    // Cluster mode: alarms of this drill raised on other nodes are in the store.
    const stored = await this.d.repo.getDrill(drill.id).catch(() => undefined);
    for (const a of stored?.alarmIds ?? []) if (!drill.alarmIds.includes(a)) drill.alarmIds.push(a);
    const ended: Drill = { ...drill, state: 'ended', endedAt: this.d.clock.now(), endedBy: by, report: { alarms: await this.alarmReports(drill.alarmIds) } };
    await this.d.repo.saveDrill(ended);
    this.d.announce?.(ended.id);
    return ended;
  }

  async get(id: string): Promise<Drill | undefined> {
    const drill = await this.d.repo.getDrill(id);
    if (!drill) return undefined;
    // A running drill's report is computed on the fly.
    return drill.state === 'running' ? { ...drill, report: { alarms: await this.alarmReports(drill.alarmIds) } } : drill;
  }

  list(siteId?: string): Promise<Drill[]> {
    return this.d.repo.listDrills(siteId);
  }

  private async alarmReports(ids: readonly string[]): Promise<DrillAlarmReport[]> {
    const reports = await Promise.all(ids.map((a) => this.alarmReport(a)));
    return reports.filter((r): r is DrillAlarmReport => r !== undefined);
  }

  private async alarmReport(alarmId: string): Promise<DrillAlarmReport | undefined> {
    const alarm = await this.d.alarms.get(alarmId);
    if (!alarm) return undefined;
    const acked = alarm.timeline.find((e) => e.action === 'forward-acked');
    const ack = alarm.timeline.find((e) => e.action === 'acknowledged');
    return {
      alarmId,
      type: alarm.type,
      ...(alarm.deviceId ? { deviceId: alarm.deviceId } : {}),
      raisedAt: alarm.raisedAt,
      ...(acked ? { to110AckMs: acked.at - alarm.raisedAt } : {}),
      ...(ack ? { toAcknowledgeMs: ack.at - alarm.raisedAt, acknowledgedBy: ack.by } : {}),
      broadcasts: (await this.d.broadcastsOf(alarmId)).map((b) => ({
        id: b.id,
        total: b.recipients.length,
        confirmed: b.recipients
          .filter((r) => r.at.confirmed !== undefined)
          .map((r) => ({ name: r.name, group: r.group, at: r.at.confirmed as number, afterMs: (r.at.confirmed as number) - alarm.raisedAt })),
      })),
    };
  }

  private arm(drill: Drill): void {
    const wait = Math.max(0, Math.min(drill.endsAt - this.d.clock.now(), 2 ** 31 - 1));
    this.timers.set(
      drill.id,
      this.d.clock.setTimeout(() => {
        this.end(drill.id, 'system').catch((err: unknown) => {
          // Still running in the store: the next start ends it (it is past its end by then).
          this.d.log?.error({ err: errorMessage(err), drillId: drill.id }, 'drill could not be ended');
        });
      }, wait),
    );
  }
}
