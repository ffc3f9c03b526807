/**
 * The append-only, hash-chained audit log: every acknowledge, resolve, broadcast, login and
 * account change with who and when. Each entry's hash covers the previous entry's hash, so an
 * edited or deleted entry breaks the chain at that point (verifyAuditChain finds it). The
 * stores append under one lock (one writer at a time, on every node), so the chain never forks.
 */
import { createHash } from 'node:crypto';

export interface AuditEntry {
  seq: number;
  at: number;
  actor: string;
  action: string;
  target: string;
  detail: Record<string, unknown>;
  ip?: string;
  prevHash: string;
  hash: string;
}

export type AuditInput = Omit<AuditEntry, 'seq' | 'prevHash' | 'hash'>;

export interface AuditQuery {
  afterSeq?: number;
  limit?: number;
  action?: string;
  actor?: string;
}

export interface AuditLog {
  /** Appends to the chain; returns the stored entry. */
  audit(e: AuditInput): Promise<AuditEntry>;
  /** Oldest first, after `afterSeq`. */
  auditEntries(q?: AuditQuery): Promise<AuditEntry[]>;
  auditCount(): Promise<number>;
  /** The newest entry with this action, if any. */
  lastAuditOf(action: string): Promise<AuditEntry | undefined>;
  /** Re-computes the chain; the first broken sequence number, or undefined. */
  verifyAudit(): Promise<number | undefined>;
}

/** The previous hash of the first entry. */
export const AUDIT_GENESIS = '0'.repeat(64);

export function auditHash(prevHash: string, e: AuditInput): string {
  return createHash('sha256')
    .update(JSON.stringify([prevHash, e.at, e.actor, e.action, e.target, e.detail, e.ip ?? null]))
    .digest('hex');
}

/** Walks the log page by page from the start; the first entry whose link does not hold. */
export async function verifyAuditChain(page: (afterSeq: number) => Promise<AuditEntry[]>): Promise<number | undefined> {
  let prev = AUDIT_GENESIS;
  let after = 0;
  for (;;) {
    const batch = await page(after);
    if (batch.length === 0) return undefined;
    for (const e of batch) {
      if (e.prevHash !== prev || auditHash(prev, e) !== e.hash) return e.seq;
      prev = e.hash;
      after = e.seq;
    }
  }
}
