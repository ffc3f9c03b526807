/**
 * The durable outbox as the forwarder sees it: an entry is written in the same transaction that
 * commits the alarm it carries, survives a crash, and leaves once the far end acknowledged it.
 * Each channel numbers its entries at enqueue time (DC-09 sequence), so a retry carries the
 * same number. Implemented by gateway/store/outbox-store.ts.
 */

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

export interface Outbox {
  /** Adds an entry with the channel's next sequence number; an alarm is queued once per channel. */
  enqueue(e: { id: string; channel: string; kind: OutboxKind; alarmId?: string; deviceId?: string; siteId: string; createdAt: number }): OutboxEntry;
  hasAlarm(channel: string, alarmId: string): boolean;
  /** Queued entries of a channel: alarms before test reports, then oldest first. */
  pending(channel: string): OutboxEntry[];
  markAcked(id: string): void;
  markFailed(id: string, nextAt: number, error: string): void;
  abandon(id: string, why: string): void;
}
