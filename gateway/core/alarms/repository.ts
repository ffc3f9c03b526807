/**
 * Where alarms are kept, as the alarm service needs it (gateway/store/sqlite and
 * gateway/store/pg implement it; tests/contract/state-store-contract.ts holds both to it).
 *
 * The database decides, not one process's memory: a raise inserts the alarm or folds it into
 * the open one with the same (type, site, device, drill) in one step, so two nodes pressing the
 * same button at once end with one alarm; a change is a pure function applied with
 * compare-and-set on the alarm's version, re-applied to the newer copy when another node
 * changed it first, so nobody's timeline entry is lost.
 */
import type { Alarm, AlarmState } from '../../contract/types.js';
import type { OutboxEntry, OutboxRequest } from './outbox.js';

export interface AlarmQuery {
  state?: AlarmState | 'open';
  /** Only alarms of these sites (an empty list matches none); omitted: every site. */
  siteIds?: readonly string[];
  limit?: number;
}

/** An alarm as stored, with its version: each committed change adds one. */
export interface StoredAlarm {
  alarm: Alarm;
  version: number;
}

/** What the participants of a raise commit with a new alarm (never with a repeat). */
export interface NewAlarmWrites {
  /** Outbox entries queued in the raise's transaction (the 110 report). */
  outbox: readonly OutboxRequest[];
  /**
   * The new alarm as stored once its entries are queued (their sequence numbers on its
   * timeline). Pure: it may run again if the transaction is retried.
   */
  complete(alarm: Alarm, queued: readonly OutboxEntry[]): Alarm;
}

export interface RaiseOutcome extends StoredAlarm {
  /** False when the raise folded into the open alarm as a repeat. */
  created: boolean;
  /** The entries committed with a new alarm (none for a repeat). */
  queued: OutboxEntry[];
}

/**
 * A change to a stored alarm: the new alarm, or undefined to leave it as it is. It may throw (a
 * coded error) to refuse. Pure: when another writer got there first it runs again on their copy.
 */
export type AlarmChange = (current: Alarm) => Alarm | undefined;

export interface UpdateOutcome extends StoredAlarm {
  /** False when the change left the alarm as it was. */
  changed: boolean;
}

export interface AlarmRepository {
  /**
   * Inserts `candidate`, or, when an alarm with its (type, site, device, drill) is open, folds
   * into that one (repeats + 1, updatedAt = candidate.updatedAt): one atomic step. A new alarm
   * commits together with `withNew`'s outbox entries.
   */
  raiseAlarm(candidate: Alarm, withNew?: NewAlarmWrites): Promise<RaiseOutcome>;
  /**
   * Applies `change` with compare-and-set on the version (starting from `seen` when the caller
   * holds a copy); on a conflict reloads and applies it again. Undefined when no such alarm.
   */
  updateAlarm(id: string, change: AlarmChange, seen?: StoredAlarm): Promise<UpdateOutcome | undefined>;
  getAlarm(id: string): Promise<StoredAlarm | undefined>;
  /** Every alarm not resolved, oldest first. */
  openAlarms(): Promise<StoredAlarm[]>;
  /** Newest first. */
  queryAlarms(q: AlarmQuery): Promise<Alarm[]>;
}

/** A raise folded into the open alarm: one more repeat (one 110 report, one board row). */
export function foldRepeat(open: Alarm, at: number): Alarm {
  return { ...open, repeats: open.repeats + 1, updatedAt: at };
}

/** The identity of an open alarm: at most one open per key. */
export const alarmKey = (a: Pick<Alarm, 'type' | 'siteId' | 'deviceId' | 'drill'>): string =>
  `${a.type}|${a.siteId}|${a.deviceId ?? ''}|${a.drill ? 'drill' : 'real'}`;
