/**
 * Drills (演练): a duty officer or a school starts a drill for a school; alarms raised there
 * while it runs are marked drill everywhere, reach the 110 centre only as test reports, run
 * the broadcast roll-call with the drill prefix, and end in a drill report kept with the
 * school's history: time to 110 ACK, time to acknowledge on the board, who confirmed and when.
 */
import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { AlarmService } from '../alarms/service.js';
import type { Broadcast } from '../broadcast/types.js';
import type { Clock, Timer } from '../../contract/clock.js';
import type { Alarm } from '../../contract/types.js';
import { GatewayError } from '../../contract/errors.js';

export interface DrillAlarmReport {
  alarmId: string;
  type: string;
  deviceId?: string;
  raisedAt: number;
  /** Raised → the 110 centre ACKed the drill's test report. */
  to110AckMs?: number;
  /** Raised → acknowledged on the board. */
  toAcknowledgeMs?: number;
  acknowledgedBy?: string;
  broadcasts: { id: string; total: number; confirmed: { name: string; group: string; at: number; afterMs: number }[] }[];
}

export interface Drill {
  id: string;
  siteId: string;
  startedAt: number;
  endsAt: number;
  startedBy: string;
  state: 'running' | 'ended';
  endedAt?: number;
  endedBy?: string;
  alarmIds: string[];
  report?: { alarms: DrillAlarmReport[] };
}

const SCHEMA = `CREATE TABLE IF NOT EXISTS drills (id TEXT PRIMARY KEY, site_id TEXT NOT NULL, started_at INTEGER NOT NULL, state TEXT NOT NULL, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS drills_site ON drills(site_id, started_at);`;

export interface DrillDeps {
  db: Database.Database;
  alarms: AlarmService;
  clock: Clock;
  broadcastsOf(alarmId: string): Broadcast[];
}

export class DrillService {
  private readonly running = new Map<string, Drill>();
  private readonly timers = new Map<string, Timer>();

  constructor(private readonly d: DrillDeps) {
    d.db.exec(SCHEMA);
  }

  /** Reloads drills a restart interrupted; those past their end are ended now. */
  start(): void {
    const rows = this.d.db.prepare(`SELECT body FROM drills WHERE state = 'running'`).all() as { body: string }[];
    for (const r of rows) {
      const drill = JSON.parse(r.body) as Drill;
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

  begin(siteId: string, by: string, durationSeconds: number): Drill {
    if (this.running.has(siteId)) throw new GatewayError('GW_ERR_ALARM_STATE', `a drill is already running at ${siteId}`);
    const now = this.d.clock.now();
    const drill: Drill = { id: randomUUID(), siteId, startedAt: now, endsAt: now + durationSeconds * 1000, startedBy: by, state: 'running', alarmIds: [] };
    this.running.set(siteId, drill);
    this.save(drill);
    this.arm(drill);
    return drill;
  }

  /** Records a drill alarm raised at a school under drill. */
  onAlarm(alarm: Alarm): void {
    if (!alarm.drill) return;
    const drill = this.running.get(alarm.siteId);
    if (!drill || drill.alarmIds.includes(alarm.id)) return;
    drill.alarmIds.push(alarm.id);
    this.save(drill);
  }

  end(id: string, by: string): Drill {
    const drill = [...this.running.values()].find((x) => x.id === id);
    if (!drill) {
      const stored = this.get(id);
      if (!stored) throw new GatewayError('GW_ERR_NOT_FOUND', `drill ${id}`);
      return stored;
    }
    const t = this.timers.get(drill.id);
    if (t) this.d.clock.clearTimeout(t);
    this.timers.delete(drill.id);
    this.running.delete(drill.siteId);
    const ended: Drill = { ...drill, state: 'ended', endedAt: this.d.clock.now(), endedBy: by, report: { alarms: drill.alarmIds.map((a) => this.alarmReport(a)).filter((r): r is DrillAlarmReport => r !== undefined) } };
    this.save(ended);
    return ended;
  }

  get(id: string): Drill | undefined {
    const row = this.d.db.prepare('SELECT body FROM drills WHERE id = ?').get(id) as { body: string } | undefined;
    if (!row) return undefined;
    const drill = JSON.parse(row.body) as Drill;
    // A running drill's report is computed on the fly.
    return drill.state === 'running' ? { ...drill, report: { alarms: drill.alarmIds.map((a) => this.alarmReport(a)).filter((r): r is DrillAlarmReport => r !== undefined) } } : drill;
  }

  list(siteId?: string): Drill[] {
    const rows = (siteId
      ? this.d.db.prepare('SELECT body FROM drills WHERE site_id = ? ORDER BY started_at DESC LIMIT 200').all(siteId)
      : this.d.db.prepare('SELECT body FROM drills ORDER BY started_at DESC LIMIT 200').all()) as { body: string }[];
    return rows.map((r) => JSON.parse(r.body) as Drill);
  }

  private alarmReport(alarmId: string): DrillAlarmReport | undefined {
    const alarm = this.d.alarms.get(alarmId);
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
      broadcasts: this.d.broadcastsOf(alarmId).map((b) => ({
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
    this.timers.set(drill.id, this.d.clock.setTimeout(() => this.end(drill.id, 'system'), wait));
  }

  private save(drill: Drill): void {
    this.d.db
      .prepare(`INSERT INTO drills (id, site_id, started_at, state, body) VALUES (?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET state = excluded.state, body = excluded.body`)
      .run(drill.id, drill.siteId, drill.startedAt, drill.state, JSON.stringify(drill));
  }
}
