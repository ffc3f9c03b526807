/**
 * The durable outbox as the forwarder sees it: an entry is written in the same transaction that
 * commits the alarm it carries, survives a crash, and leaves once the far end acknowledged it.
 * Each channel numbers its entries at enqueue time (DC-09 sequence), inside the enqueue's
 * transaction, so a retry (or another node taking the link over) carries the same number.
 * Implemented by gateway/store/sqlite/outbox-store.ts and gateway/store/pg/outbox-store.ts.
 */
import type { AlarmEntry } from '../../contract/types.js';

export type OutboxKind = 'alarm-report' | 'test-report';
export type OutboxState = 'queued' | 'acked' | 'abandoned';

export interface OutboxEntry {
  id: string;
  channel: string;
  kind: OutboxKind;
  alarmId?: string;
  deviceId?: string;
  siteId: string;
  sequence: number;
  state: OutboxState;
  attempts: number;
  createdAt: number;
  nextAt: number;
  lastError?: string;
}

/** What a caller asks to queue; the store adds the sequence number and the state. */
export interface OutboxRequest {
  id: string;
  channel: string;
  kind: OutboxKind;
  alarmId?: string;
  deviceId?: string;
  siteId: string;
  createdAt: number;
}

/** Sequence numbers run 1..9999 and wrap (SIA DC-09 5.5.1.5). */
export const SEQUENCE_WRAP = 9999;

/** A lease token the store checks on every write of a fenced outbox (cluster mode). */
export interface OutboxFence {
  lease: string;
  token: number;
}

export interface Outbox {
  /**
   * Adds an entry with the channel's next sequence number; an alarm is queued once per channel
   * (a second request for it returns the entry already queued).
   */
  enqueue(e: OutboxRequest): Promise<OutboxEntry>;
  /** The channel's entry for an alarm (queued, acked or abandoned), if it was ever queued. */
  forAlarm(channel: string, alarmId: string): Promise<OutboxEntry | undefined>;
  /** Queued entries of a channel: alarms before test reports, then oldest first. */
  pending(channel: string): Promise<OutboxEntry[]>;
  get(id: string): Promise<OutboxEntry | undefined>;
  markAcked(id: string): Promise<void>;
  markFailed(id: string, nextAt: number, error: string): Promise<void>;
  abandon(id: string, why: string): Promise<void>;
  /**
   * The same outbox whose delivery writes (markAcked, markFailed, abandon) commit only while
   * `fence.token` is the current, unexpired token of lease `fence.lease`, else reject with
   * GW_ERR_LEASE_LOST: a holder deposed mid-send cannot record anything (cluster mode; stores
   * without leases leave it out).
   */
  fenced?(fence: OutboxFence): Outbox;
}

/** The timeline entry that says an alarm was queued for a far end (with the sequence it carries). */
export function forwardQueuedEntry(entry: OutboxEntry): Omit<AlarmEntry, 'at'> {
  return {
    action: 'forward-queued',
    by: 'system',
    data: { channel: entry.channel, sequence: entry.sequence, ...(entry.kind === 'test-report' && entry.alarmId ? { as: 'test-report' } : {}) },
  };
}
