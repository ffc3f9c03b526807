/**
 * Raises, de-duplicates, acknowledges and resolves alarms. Pure domain: persistence comes
 * in through AlarmRepository and time through Clock; changes go out on the event bus.
 *
 * The repository decides what is one alarm (a raise inserts or folds in one step, in the
 * database, so two nodes agree) and applies every change with compare-and-set; the service keeps
 * the open alarms in memory as the board's working set and announces each committed change.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../../contract/clock.js';
import type { EventBus } from '../bus.js';
import type { Alarm, AlarmEntry, Scalar } from '../../contract/types.js';
import type { AlarmType, Severity } from '../../contract/alarm-types.js';
import { GatewayError } from '../../contract/errors.js';
import { preciseNow, type ArrivalMarks } from '../../contract/press-timing.js';
import type { PressPathRecorder } from './press-path.js';
import type { OutboxEntry, OutboxRequest } from './outbox.js';
import { alarmKey, type AlarmChange, type AlarmRepository, type StoredAlarm } from './repository.js';

export type { AlarmRepository } from './repository.js';

/**
 * Takes part in committing a new alarm (the 110 forwarder): it names the outbox entries to queue
 * in the raise's transaction and the timeline entry that says each was queued, so the alarm is
 * announced once, complete. Then it hears the raise announced (onRaised, with its entries)
 * before the bus's listeners do.
 */
export interface RaiseParticipant {
  /** Pure: what to queue with this new alarm. */
  onRaise(alarm: Alarm): OutboxRequest[];
  /** The timeline entry for one of its queued entries. */
  queuedEntry(entry: OutboxEntry): Omit<AlarmEntry, 'at'>;
  onRaised?(alarm: Alarm, queued: readonly OutboxEntry[]): void;
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
  /** When the raising event reached the gateway and was decoded (a press): the alarm path's timing is recorded. */
  arrival?: ArrivalMarks & { seq?: number };
}

export interface RaiseResult {
  alarm: Alarm;
  /** False when the raise folded into an open alarm as a repeat. */
  created: boolean;
}

export class AlarmService {
  /** Open (not resolved) alarms by key: the board's working set, kept in memory. */
  private readonly open = new Map<string, StoredAlarm>();
  /** Key of each open alarm by id. */
  private readonly keys = new Map<string, string>();
  private readonly participants = new Set<RaiseParticipant>();
  /** Raised while the store took no writes (raiseHeld), by id: in the working set, not yet on disk. */
  private readonly held = new Map<string, Alarm>();
  /**
   * The newest version announced here of recently changed alarms, resolved ones too (bounded):
   * a NOTIFY for a change this node made itself, or already re-read, is not announced twice.
   */
  private readonly announced = new Map<string, number>();
  /** Alarms with a change of this node in flight (settles once it is announced). */
  private readonly changing = new Map<string, Promise<void>>();

  constructor(
    private readonly repo: AlarmRepository,
    private readonly bus: EventBus,
    private readonly clock: Clock,
    /** Keeps the alarm path's marks of alarms raised with `arrival` (press-path.ts). */
    private readonly pressPath?: PressPathRecorder,
  ) {}

  /** Adds a participant in every new alarm's commit; the returned function removes it. */
  participate(p: RaiseParticipant): () => void {
    this.participants.add(p);
    return () => void this.participants.delete(p);
  }

  /** Loads open alarms from the repository (after a restart, or a reconnection to it). */
  async load(): Promise<void> {
    const open = await this.repo.openAlarms();
    this.open.clear();
    this.keys.clear();
    for (const s of open) this.remember(s);
  }

  /**
   * Commits a raise: a new alarm (with what the participants queue for it), or one more repeat
   * of the open one. Resolves once committed and announced; rejects when the repository cannot
   * commit it (GW_ERR_STORE_UNAVAILABLE), and then nothing was announced.
   */
  async raise(input: RaiseInput): Promise<RaiseResult> {
    const now = input.at ?? this.clock.now();
    const entry: AlarmEntry = { at: now, action: 'raised', by: input.by, ...(input.data ? { data: input.data } : {}) };
    const candidate: Alarm = {
      id: randomUUID(),
      type: input.type,
      severity: input.severity,
      siteId: input.siteId,
      ...(input.deviceId ? { deviceId: input.deviceId } : {}),
      state: 'active',
      raisedAt: now,
      updatedAt: now,
      repeats: 0,
      drill: input.drill ?? false,
      summary: input.summary,
      timeline: [entry],
    };
    const participants = [...this.participants];
    const requests = participants.map((p) => p.onRaise(candidate));
    const owner = new Map<string, RaiseParticipant>();
    participants.forEach((p, i) => {
      for (const r of requests[i] ?? []) owner.set(r.id, p);
    });
    const outcome = await this.repo.raiseAlarm(candidate, {
      outbox: requests.flat(),
      complete: (alarm, queued) =>
        queued.length === 0 ? alarm : { ...alarm, timeline: [...alarm.timeline, ...queued.flatMap((q) => {
          const p = owner.get(q.id);
          return p ? [{ at: alarm.updatedAt, ...p.queuedEntry(q) }] : [];
        })] },
    });
    // Marked before the raise is announced: the participants' first moves (the 110 frame) come after.
    if (outcome.created && input.arrival && this.pressPath) {
      this.pressPath.committed(outcome.alarm.id, { ...input.arrival, ...(input.deviceId ? { deviceId: input.deviceId } : {}) }, preciseNow());
    }
    // Repeated presses fold into one alarm with a count: one 110 report, one board row.
    if (!outcome.created) {
      this.announce(outcome, 'repeat');
      return { alarm: outcome.alarm, created: false };
    }
    this.remember(outcome);
    this.noteAnnounced(outcome);
    // Announced first, delivered after the participants' first moves (the 110 frame leaves now),
    // which the bus delivers after it: every listener sees the changes in the order they happened.
    this.bus.hold(() => {
      this.bus.emit('alarm.changed', { alarm: outcome.alarm, change: 'raised' });
      for (const p of participants) {
        const mine = outcome.queued.filter((q) => owner.get(q.id) === p);
        p.onRaised?.(outcome.alarm, mine);
      }
    });
    return { alarm: outcome.alarm, created: true };
  }

  /**
   * An alarm about the store itself (the data directory is full): it cannot wait for a commit.
   * Held in memory as part of the board's working set and announced now; commitHeld() writes it
   * once the store takes writes again. No participant (no 110 report): it is the gateway's own.
   * An open alarm of the same key is returned as it is.
   */
  raiseHeld(input: RaiseInput): Alarm {
    const open = this.open.get(alarmKey({ type: input.type, siteId: input.siteId, deviceId: input.deviceId, drill: false }));
    if (open) return open.alarm;
    const now = input.at ?? this.clock.now();
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
      drill: false,
      summary: input.summary,
      timeline: [{ at: now, action: 'raised', by: input.by, ...(input.data ? { data: input.data } : {}) }],
    };
    this.held.set(alarm.id, alarm);
    // Version -1: any committed copy is newer.
    this.remember({ alarm, version: -1 });
    this.bus.emit('alarm.changed', { alarm, change: 'raised' });
    return alarm;
  }

  /** Alarms raised by raiseHeld and not yet committed. */
  heldAlarms(): Alarm[] {
    return [...this.held.values()];
  }

  /** Commits the held alarms (oldest first); rejects, keeping the rest held, while the store refuses. */
  async commitHeld(): Promise<void> {
    for (const [id, alarm] of [...this.held]) {
      const outcome = await this.repo.raiseAlarm(alarm);
      this.held.delete(id);
      if (outcome.alarm.id !== id) this.keys.delete(id);
      this.announce(outcome, outcome.created ? 'committed' : 'repeat');
    }
  }

  acknowledge(id: string, by: string, note?: string): Promise<Alarm> {
    return this.transition(id, 'acknowledged', 'acknowledged', by, note, (a) => {
      if (a.state !== 'active') throw new GatewayError('GW_ERR_ALARM_STATE', `alarm ${id} is ${a.state}`);
    });
  }

  resolve(id: string, by: string, note?: string): Promise<Alarm> {
    return this.transition(id, 'resolved', 'resolved', by, note, (a) => {
      if (a.state === 'resolved') throw new GatewayError('GW_ERR_ALARM_STATE', `alarm ${id} is already resolved`);
    });
  }

  /** Condition-based alarms (offline, barrier down) resolve themselves when the condition clears. */
  async clear(type: AlarmType, siteId: string, deviceId: string | undefined, note: string): Promise<Alarm | undefined> {
    const seen = this.open.get(alarmKey({ type, siteId, deviceId, drill: false }));
    if (!seen) return undefined;
    const at = this.clock.now();
    // Someone may have resolved it meanwhile (a duty officer, another node): then nothing to clear.
    const out = await this.change(seen.alarm.id, (a) => (a.state === 'resolved' ? undefined : withEntry(a, 'resolved', { at, action: 'cleared', by: 'system', note })), seen, 'cleared');
    return out?.changed ? out.alarm : undefined;
  }

  /**
   * Adds a timeline entry (forwarding progress, broadcasts) without changing state. With
   * `unless`, nothing is added when the alarm's timeline, as committed, already has an entry it
   * matches (a note a recovery may add again).
   */
  async note(id: string, entry: Omit<AlarmEntry, 'at'> & { at?: number }, opts: { unless?: (e: AlarmEntry) => boolean } = {}): Promise<Alarm | undefined> {
    const at = entry.at ?? this.clock.now();
    const cached = this.cached(id);
    const seen = cached ?? (await this.repo.getAlarm(id));
    if (!seen) return undefined;
    const { unless } = opts;
    const out = await this.change(id, (a) => (unless && a.timeline.some(unless) ? undefined : withEntry(a, a.state, { ...entry, at })), seen, entry.action);
    return out?.alarm;
  }

  async get(id: string): Promise<Alarm | undefined> {
    return (this.cached(id) ?? (await this.repo.getAlarm(id)))?.alarm;
  }

  openAlarms(): Alarm[] {
    return [...this.open.values()].map((s) => s.alarm);
  }

  /**
   * Another node committed a change (section 4 of the cluster design: NOTIFY alarm_changed
   * '<id>:<version>'): re-read the alarm and announce it here, unless this copy is as new.
   */
  async refresh(id: string, version?: number): Promise<Alarm | undefined> {
    await this.changing.get(id);
    const cached = this.cached(id);
    if (version !== undefined && (this.announced.get(id) ?? -1) >= version) return cached?.alarm;
    if (cached && version !== undefined && cached.version >= version) return cached.alarm;
    const s = await this.repo.getAlarm(id);
    if (!s) return undefined;
    const current = this.cached(id);
    if (current && current.version >= s.version) return current.alarm;
    if ((this.announced.get(id) ?? -1) >= s.version) return s.alarm;
    this.announce(s, 'refreshed');
    return s.alarm;
  }

  private cached(id: string): StoredAlarm | undefined {
    const key = this.keys.get(id);
    return key === undefined ? undefined : this.open.get(key);
  }

  private async transition(id: string, state: Alarm['state'], action: string, by: string, note: string | undefined, allowed: (a: Alarm) => void): Promise<Alarm> {
    const at = this.clock.now();
    const cached = this.cached(id);
    const seen = cached ?? (await this.repo.getAlarm(id));
    if (!seen) throw new GatewayError('GW_ERR_ALARM_NOT_FOUND', id);
    const out = await this.change(
      id,
      (a) => {
        allowed(a);
        return withEntry(a, state, { at, action, by, ...(note ? { note } : {}) });
      },
      seen,
      action,
    );
    if (!out) throw new GatewayError('GW_ERR_ALARM_NOT_FOUND', id);
    return out.alarm;
  }

  /**
   * Persists, then announces: the bus's listeners (dashboard, MQTT, broadcasts) never see a
   * change a crash could lose.
   */
  private async change(id: string, fn: AlarmChange, seen: StoredAlarm, change: string) {
    const done = this.repo.updateAlarm(id, fn, seen).then((out) => {
      if (out?.changed) this.announce(out, change);
      return out;
    });
    // Another node's notification of this very commit can arrive before its reply: refresh()
    // waits for the change to be announced here first, so it is not pushed twice.
    const settled = done.then(
      () => undefined,
      () => undefined,
    );
    this.changing.set(id, settled);
    void settled.then(() => {
      if (this.changing.get(id) === settled) this.changing.delete(id);
    });
    return done;
  }

  private announce(s: StoredAlarm, change: string): void {
    this.remember(s);
    this.noteAnnounced(s);
    this.bus.emit('alarm.changed', { alarm: s.alarm, change });
  }

  private noteAnnounced(s: StoredAlarm): void {
    if ((this.announced.get(s.alarm.id) ?? -1) >= s.version) return;
    this.announced.delete(s.alarm.id);
    this.announced.set(s.alarm.id, s.version);
    // Oldest first in a Map: keep the last few thousand changed alarms.
    if (this.announced.size > 5000) this.announced.delete(this.announced.keys().next().value as string);
  }

  /** Keeps the working set current; an older copy (a slower reply) never replaces a newer one. */
  private remember(s: StoredAlarm): void {
    const key = alarmKey(s.alarm);
    const held = this.open.get(key);
    if (held && held.alarm.id === s.alarm.id && held.version > s.version) return;
    if (s.alarm.state === 'resolved') {
      if (held?.alarm.id === s.alarm.id) this.open.delete(key);
      this.keys.delete(s.alarm.id);
      return;
    }
    // A newer alarm under the same key (the old one resolved elsewhere): the old one leaves.
    if (held && held.alarm.id !== s.alarm.id) this.keys.delete(held.alarm.id);
    this.open.set(key, s);
    this.keys.set(s.alarm.id, key);
  }
}

function withEntry(a: Alarm, state: Alarm['state'], entry: AlarmEntry): Alarm {
  return { ...a, state, updatedAt: entry.at, timeline: [...a.timeline, entry] };
}
