/**
 * Per-recipient delivery state, kept durable through a RecipientStore so that status reports
 * for messages submitted before a restart still find their recipient. Pure apart from the
 * store calls: the caller passes the time and gets back the changes; no timers, no sockets.
 *
 *   queued ──every part has a Msg_Id (SUBMIT_RESP Result 0)──▶ sent ──DELIVRD for every part──▶ delivered
 *     │                                                           │
 *     ├─ a part refused for good, or given up ─────────────────▶ failed ◀── a part's report says
 *     └──────────────────────────────────────────────────────────┘         EXPIRED, UNDELIV, MA:0054…
 *
 * delivered and failed are final: a report repeated for the same part (the ISMG resends when our
 * DELIVER_RESP is lost) is a duplicate and changes nothing. failed(NOT_SENT) with no part
 * accepted is the one way back to queued: the ISMG never took anything, so sending the same
 * (ref, recipient) again cannot make a second message. A reply from the recipient's phone turns
 * `sent` into `delivered` with evidence 'reply': a person answering proves more than a report.
 */
import { classifyStat, type FailureReason } from './report-stat.js';

export type RecipientState = 'queued' | 'sent' | 'delivered' | 'failed';

export interface RecipientStatus {
  ref: string;
  recipient: string;
  state: RecipientState;
  parts: number;
  /** Parts the ISMG accepted with a Msg_Id. */
  accepted: number;
  /** Parts with a DELIVRD report. */
  delivered: number;
  /** Msg_Id per part as 16 hex digits, in part order; '' until accepted. */
  msgIds: string[];
  reason?: FailureReason;
  detail?: string;
  /** Last Stat seen for any part (DELIVRD, ACCEPTD, MA:0054…). */
  lastStat?: string;
  evidence?: 'report' | 'reply';
  queuedAt: number;
  sentAt?: number;
  doneAt?: number;
  repliedAt?: number;
}

export type PartState = 'pending' | 'accepted' | 'delivered' | 'failed';

export interface PartRecord {
  state: PartState;
  msgId?: string;
  acceptedAt?: number;
  reportAt?: number;
}

/** What the store keeps per (ref, recipient): enough to rebuild the tracker after a restart. */
export interface StoredRecipient {
  status: RecipientStatus;
  parts: PartRecord[];
  /** The UDH reference of this recipient's long message, so a resumed send reuses it. */
  concatRef: number;
  touchedAt: number;
}

export interface RecipientStore {
  load(): StoredRecipient[];
  save(r: StoredRecipient): void;
  remove(keys: { ref: string; recipient: string }[]): void;
  close(): void;
}

/** A store that keeps nothing across restarts (unit tests, and a data dir that cannot be opened). */
export class MemoryRecipientStore implements RecipientStore {
  readonly rows = new Map<string, StoredRecipient>();
  load(): StoredRecipient[] {
    return [...this.rows.values()].map((r) => structuredClone(r));
  }
  save(r: StoredRecipient): void {
    this.rows.set(keyOf(r.status.ref, r.status.recipient), structuredClone(r));
  }
  remove(keys: { ref: string; recipient: string }[]): void {
    for (const k of keys) this.rows.delete(keyOf(k.ref, k.recipient));
  }
  close(): void {}
}

export type ChangeCause = 'queued' | 'accepted' | 'report' | 'rejected' | 'reply';

export interface StatusChange {
  status: RecipientStatus;
  previous: RecipientState | undefined;
  cause: ChangeCause;
}

export interface ReportInput {
  msgId: string;
  stat: string;
}

export interface ReportMatch {
  matched: boolean;
  /** Found, but that part already had its final report. */
  duplicate: boolean;
  /** Not found (yet): kept until its SUBMIT_RESP is seen or it ages out. */
  orphan: boolean;
  status?: RecipientStatus;
  change?: StatusChange;
}

const FINAL: ReadonlySet<RecipientState> = new Set(['delivered', 'failed']);

export const keyOf = (ref: string, recipient: string): string => `${ref}\u0000${recipient}`;

const snapshot = (s: RecipientStatus): RecipientStatus => ({ ...s, msgIds: [...s.msgIds] });

/** Same subscriber: equal digits, or one is the other behind a 1–3 digit prefix (86, 0, +86). */
export function sameNumber(a: string, b: string): boolean {
  const x = a.replace(/\D/g, '');
  const y = b.replace(/\D/g, '');
  if (x.length === 0 || y.length === 0) return false;
  if (x === y) return true;
  const [long, short] = x.length > y.length ? [x, y] : [y, x];
  return short.length >= 7 && long.length - short.length <= 3 && long.endsWith(short);
}

export class DeliveryTracker {
  private readonly entries = new Map<string, StoredRecipient>();
  private readonly byMsgId = new Map<string, { key: string; part: number }>();
  private orphans: { report: ReportInput; at: number }[] = [];

  constructor(
    private readonly store: RecipientStore,
    private readonly opts: { orphanTtlMs: number; maxOrphans?: number },
  ) {
    for (const r of store.load()) {
      const key = keyOf(r.status.ref, r.status.recipient);
      this.entries.set(key, r);
      r.parts.forEach((p, i) => {
        if (p.msgId) this.byMsgId.set(p.msgId, { key, part: i });
      });
    }
  }

  get size(): number {
    return this.entries.size;
  }

  get(ref: string, recipient: string): RecipientStatus | undefined {
    const e = this.entries.get(keyOf(ref, recipient));
    return e ? snapshot(e.status) : undefined;
  }

  list(ref?: string): RecipientStatus[] {
    return [...this.entries.values()].filter((e) => ref === undefined || e.status.ref === ref).map((e) => snapshot(e.status));
  }

  /** 1-based numbers of the parts the ISMG has not accepted, and the UDH reference to reuse. */
  pendingParts(ref: string, recipient: string): { indexes: number[]; concatRef: number } | undefined {
    const e = this.entries.get(keyOf(ref, recipient));
    if (!e) return undefined;
    return { indexes: e.parts.flatMap((p, i) => (p.state === 'pending' ? [i + 1] : [])), concatRef: e.concatRef };
  }

  /** Starts tracking; `isNew` false: the recipient is already known (queued or past it). */
  enqueue(ref: string, recipient: string, parts: number, concatRef: number, now: number): { isNew: boolean; status: RecipientStatus; change?: StatusChange } {
    const key = keyOf(ref, recipient);
    const existing = this.entries.get(key);
    const retry = existing?.status.state === 'failed' && existing.status.reason === 'NOT_SENT' && existing.status.accepted === 0;
    if (existing && !retry) return { isNew: false, status: snapshot(existing.status) };
    const status: RecipientStatus = { ref, recipient, state: 'queued', parts, accepted: 0, delivered: 0, msgIds: Array<string>(parts).fill(''), queuedAt: now };
    const entry: StoredRecipient = { status, parts: Array.from({ length: parts }, () => ({ state: 'pending' as const })), concatRef, touchedAt: now };
    this.entries.set(key, entry);
    this.store.save(entry);
    return { isNew: true, status: snapshot(status), change: { status: snapshot(status), previous: existing?.status.state, cause: 'queued' } };
  }

  /** SUBMIT_RESP Result 0 for one part (1-based). Reports that arrived first apply now. */
  accepted(ref: string, recipient: string, index: number, msgId: string, now: number): StatusChange[] {
    const key = keyOf(ref, recipient);
    const entry = this.entries.get(key);
    const part = entry?.parts[index - 1];
    if (!entry || !part || part.state !== 'pending') return [];
    entry.touchedAt = now;
    part.state = 'accepted';
    part.msgId = msgId;
    part.acceptedAt = now;
    entry.status.accepted += 1;
    entry.status.msgIds[index - 1] = msgId;
    this.byMsgId.set(msgId, { key, part: index - 1 });
    const changes: StatusChange[] = [];
    if (entry.status.state === 'queued' && entry.parts.every((p) => p.state !== 'pending')) {
      entry.status.state = 'sent';
      entry.status.sentAt = now;
      changes.push({ status: snapshot(entry.status), previous: 'queued', cause: 'accepted' });
    }
    this.store.save(entry);
    const early = this.orphans.filter((o) => o.report.msgId === msgId);
    if (early.length > 0) {
      this.orphans = this.orphans.filter((o) => o.report.msgId !== msgId);
      for (const o of early) {
        const m = this.report(o.report, o.at);
        if (m.change) changes.push(m.change);
      }
    }
    return changes;
  }

  /** The ISMG refused a part for good, or the adapter gave up on it: the recipient failed. */
  rejected(ref: string, recipient: string, reason: FailureReason, detail: string, now: number): StatusChange | undefined {
    const entry = this.entries.get(keyOf(ref, recipient));
    if (!entry || FINAL.has(entry.status.state)) return undefined;
    const change = this.fail(entry, reason, detail, now, 'rejected');
    this.store.save(entry);
    return change;
  }

  report(r: ReportInput, now: number): ReportMatch {
    const hit = this.byMsgId.get(r.msgId);
    const entry = hit ? this.entries.get(hit.key) : undefined;
    const part = hit ? entry?.parts[hit.part] : undefined;
    if (!hit || !entry || !part) {
      this.orphans.push({ report: r, at: now });
      const max = this.opts.maxOrphans ?? 10_000;
      if (this.orphans.length > max) this.orphans.splice(0, this.orphans.length - max);
      return { matched: false, duplicate: false, orphan: true };
    }
    if (part.state === 'delivered' || part.state === 'failed') return { matched: true, duplicate: true, orphan: false, status: snapshot(entry.status) };
    entry.touchedAt = now;
    entry.status.lastStat = r.stat;
    const verdict = classifyStat(r.stat);
    let change: StatusChange | undefined;
    if (verdict.outcome === 'delivered') {
      part.state = 'delivered';
      part.reportAt = now;
      entry.status.delivered += 1;
      if (entry.status.state === 'sent' && entry.parts.every((p) => p.state === 'delivered')) {
        entry.status.state = 'delivered';
        entry.status.evidence = 'report';
        entry.status.doneAt = now;
        change = { status: snapshot(entry.status), previous: 'sent', cause: 'report' };
      }
    } else if (verdict.outcome === 'failed') {
      part.state = 'failed';
      part.reportAt = now;
      if (!FINAL.has(entry.status.state)) change = this.fail(entry, verdict.reason, `stat:${r.stat}`, now, 'report');
    }
    this.store.save(entry);
    return { matched: true, duplicate: false, orphan: false, status: snapshot(entry.status), ...(change ? { change } : {}) };
  }

  /** A message from `from` arrived: it answers the latest broadcast that reached that number. */
  reply(from: string, now: number): StatusChange | undefined {
    let best: StoredRecipient | undefined;
    for (const e of this.entries.values()) {
      if (e.status.accepted === 0 || !sameNumber(e.status.recipient, from)) continue;
      if (!best || e.status.queuedAt >= best.status.queuedAt) best = e;
    }
    if (!best) return undefined;
    best.touchedAt = now;
    const previous = best.status.state;
    best.status.repliedAt ??= now;
    if (previous === 'sent') {
      best.status.state = 'delivered';
      best.status.evidence = 'reply';
      best.status.doneAt = now;
    }
    this.store.save(best);
    return { status: snapshot(best.status), previous, cause: 'reply' };
  }

  /** Reports nobody claimed within the TTL (their Msg_Id was never ours, or was lost). */
  expireOrphans(now: number): ReportInput[] {
    const cutoff = now - this.opts.orphanTtlMs;
    const expired = this.orphans.filter((o) => o.at < cutoff).map((o) => o.report);
    if (expired.length > 0) this.orphans = this.orphans.filter((o) => o.at >= cutoff);
    return expired;
  }

  /** Forgets recipients untouched for `retainMs` (CMPP 3.0 §8.4.5.1: an SP waits 48 h for a report). */
  prune(now: number, retainMs: number): number {
    const gone: StoredRecipient[] = [];
    for (const [key, e] of this.entries) {
      if (e.touchedAt >= now - retainMs) continue;
      for (const p of e.parts) if (p.msgId) this.byMsgId.delete(p.msgId);
      this.entries.delete(key);
      gone.push(e);
    }
    if (gone.length > 0) this.store.remove(gone.map((e) => ({ ref: e.status.ref, recipient: e.status.recipient })));
    return gone.length;
  }

  private fail(entry: StoredRecipient, reason: FailureReason, detail: string, now: number, cause: ChangeCause): StatusChange {
    const previous = entry.status.state;
    entry.touchedAt = now;
    entry.status.state = 'failed';
    entry.status.reason = reason;
    entry.status.detail = detail;
    entry.status.doneAt = now;
    return { status: snapshot(entry.status), previous, cause };
  }
}
