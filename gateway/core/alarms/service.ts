/**
 * Raises, de-duplicates, acknowledges and resolves alarms. Pure domain: persistence comes
 * in through AlarmRepository and time through Clock; changes go out on the event bus.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../../contract/clock.js';
import type { EventBus } from '../bus.js';
import type { Alarm, AlarmEntry, Scalar } from '../../contract/types.js';
import type { AlarmType, Severity } from '../../contract/alarm-types.js';
import { GatewayError } from '../../contract/errors.js';

export interface AlarmRepository {
  saveAlarm(alarm: Alarm): void;
  getAlarm(id: string): Alarm | undefined;
  openAlarms(): Alarm[];
  /** Runs `fn` as one transaction: a new alarm and what its participants write commit together. */
  transaction?<T>(fn: () => T): T;
}

/**
 * Takes part in committing a new alarm (the 110 forwarder): inside the raise's transaction it
 * writes its own durable rows (an outbox entry) and returns the timeline entries that say so,
 * so the alarm is announced once, complete. Then it hears the raise announced (onRaised) before
 * the bus's listeners do.
 */
export interface RaiseParticipant {
  onRaise(alarm: Alarm): Omit<AlarmEntry, 'at'>[];
  onRaised?(alarm: Alarm): void;
}

export interface RaiseInput {
  type: AlarmType;
  severity: Severity;
  siteId: string;
  deviceId?: string;
  summary: string;
  by: string;
  drill?: boolean;
  data?: Record<string, Scalar>;
  at?: number;
}

export interface RaiseResult {
  alarm: Alarm;
  /** False when the raise folded into an open alarm as a repeat. */
  created: boolean;
}

const dedupeKey = (type: string, siteId: string, deviceId: string | undefined, drill: boolean) =>
  `${type}|${siteId}|${deviceId ?? ''}|${drill ? 'drill' : 'real'}`;

export class AlarmService {
  /** Open (not resolved) alarms by dedupe key: the board's working set, kept in memory. */
  private readonly open = new Map<string, Alarm>();
  private readonly participants = new Set<RaiseParticipant>();

  constructor(
    private readonly repo: AlarmRepository,
    private readonly bus: EventBus,
    private readonly clock: Clock,
  ) {}

  /** Adds a participant in every new alarm's commit; the returned function removes it. */
  participate(p: RaiseParticipant): () => void {
    this.participants.add(p);
    return () => void this.participants.delete(p);
  }

  /** Loads open alarms from the repository (after a restart). */
  load(): void {
    this.open.clear();
    for (const a of this.repo.openAlarms()) this.open.set(dedupeKey(a.type, a.siteId, a.deviceId, a.drill), a);
  }

  raise(input: RaiseInput): RaiseResult {
    const now = input.at ?? this.clock.now();
    const drill = input.drill ?? false;
    const key = dedupeKey(input.type, input.siteId, input.deviceId, drill);
    const existing = this.open.get(key);
    if (existing) {
      // Repeated presses fold into one alarm with a count: one 110 report, one board row.
      const updated: Alarm = { ...existing, repeats: existing.repeats + 1, updatedAt: now };
      this.commit(updated, key, 'repeat');
      return { alarm: updated, created: false };
    }
    const entry: AlarmEntry = { at: now, action: 'raised', by: input.by, ...(input.data ? { data: input.data } : {}) };
    const alarm: Alarm = {
      id: randomUUID(),
      type: input.type,
      severity: input.severity,
      siteId: input.siteId,
      ...(input.deviceId ? { deviceId: input.deviceId } : {}),
      state: 'active',
      raisedAt: now,
      updatedAt: now,
      repeats: 0,
      drill,
      summary: input.summary,
      timeline: [entry],
    };
    return { alarm: this.commit(alarm, key, 'raised'), created: true };
  }

  acknowledge(id: string, by: string, note?: string): Alarm {
    const alarm = this.require(id);
    if (alarm.state !== 'active') throw new GatewayError('GW_ERR_ALARM_STATE', `alarm ${id} is ${alarm.state}`);
    return this.transition(alarm, 'acknowledged', 'acknowledged', by, note);
  }

  resolve(id: string, by: string, note?: string): Alarm {
    const alarm = this.require(id);
    if (alarm.state === 'resolved') throw new GatewayError('GW_ERR_ALARM_STATE', `alarm ${id} is already resolved`);
    return this.transition(alarm, 'resolved', 'resolved', by, note);
  }

  /** Condition-based alarms (offline, barrier down) resolve themselves when the condition clears. */
  clear(type: AlarmType, siteId: string, deviceId: string | undefined, note: string): Alarm | undefined {
    const alarm = this.open.get(dedupeKey(type, siteId, deviceId, false));
    if (!alarm) return undefined;
    return this.transition(alarm, 'resolved', 'cleared', 'system', note);
  }

  /** Adds a timeline entry (forwarding progress, broadcasts) without changing state. */
  note(id: string, entry: Omit<AlarmEntry, 'at'> & { at?: number }): Alarm | undefined {
    const alarm = this.find(id);
    if (!alarm) return undefined;
    const at = entry.at ?? this.clock.now();
    const updated: Alarm = { ...alarm, updatedAt: at, timeline: [...alarm.timeline, { ...entry, at }] };
    this.commit(updated, dedupeKey(alarm.type, alarm.siteId, alarm.deviceId, alarm.drill), entry.action);
    return updated;
  }

  get(id: string): Alarm | undefined {
    return this.find(id);
  }

  openAlarms(): Alarm[] {
    return [...this.open.values()];
  }

  private find(id: string): Alarm | undefined {
    for (const a of this.open.values()) if (a.id === id) return a;
    return this.repo.getAlarm(id);
  }

  private require(id: string): Alarm {
    const alarm = this.find(id);
    if (!alarm) throw new GatewayError('GW_ERR_ALARM_NOT_FOUND', id);
    return alarm;
  }

  private transition(alarm: Alarm, state: Alarm['state'], action: string, by: string, note?: string): Alarm {
    const at = this.clock.now();
    const updated: Alarm = {
      ...alarm,
      state,
      updatedAt: at,
      timeline: [...alarm.timeline, { at, action, by, ...(note ? { note } : {}) }],
    };
    this.commit(updated, dedupeKey(alarm.type, alarm.siteId, alarm.deviceId, alarm.drill), action);
    return updated;
  }

  /**
   * Persists, then announces: the bus's listeners (dashboard, MQTT, broadcasts) never see an
   * alarm a crash could lose. A new alarm commits together with its participants' rows (the
   * 110 outbox entry) and is announced once, with their timeline entries.
   */
  private commit(alarm: Alarm, key: string, change: string): Alarm {
    let saved = alarm;
    const participants = change === 'raised' ? [...this.participants] : [];
    const write = () => {
      const entries = participants.flatMap((p) => p.onRaise(alarm));
      if (entries.length > 0) saved = { ...alarm, timeline: [...alarm.timeline, ...entries.map((e) => ({ at: alarm.updatedAt, ...e }))] };
      this.repo.saveAlarm(saved);
    };
    if (participants.length > 0 && this.repo.transaction) this.repo.transaction(write);
    else write();
    if (saved.state === 'resolved') this.open.delete(key);
    else this.open.set(key, saved);
    // Announced first; what the participants do on it (the 110 forwarder's first attempt and its
    // forward-sent note) is delivered after it: every listener sees the changes in the order they happened.
    this.bus.hold(() => {
      this.bus.emit('alarm.changed', { alarm: saved, change });
      for (const p of participants) p.onRaised?.(saved);
    });
    return saved;
  }
}
