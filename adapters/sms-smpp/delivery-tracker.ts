/**
 * Per-recipient delivery state machine. Pure: the caller passes the time and gets back the
 * changes; no timers, no I/O.
 *
 *   queued ──all parts accepted (submit_sm_resp ESME_ROK)──▶ sent ──DELIVRD for every part──▶ delivered
 *     │                                                       │
 *     ├─ a part rejected / given up ───────────────────────▶ failed ◀── a part's receipt EXPIRED,
 *     └─ a part's failure receipt (may precede the last resp) ─┘        UNDELIV, REJECTD, DELETED…
 *
 *   delivered and failed are final: a later receipt for the same part is reported as a
 *   duplicate and changes nothing (SMSCs resend receipts after a lost deliver_sm_resp).
 *   failed(NOT_SENT) with no part accepted is the one exit from a final state: the SMSC never
 *   accepted anything, so enqueuing the same (ref, recipient) again cannot double-send.
 *   A reply from the recipient's phone turns `sent` into `delivered` (evidence 'reply'):
 *   a person answering is stronger proof than any receipt.
 *
 * With a RecipientStore (recipient-store.ts) every entry is written on each change, before the
 * change is returned, and read back at construction: receipts for messages submitted before a
 * restart (a kill -9 too) still match their recipient.
 */
import { MessageIdIndex, type IdMatchMode } from './message-id-index.js';
import type { FailureReason, Receipt } from './receipt-codec.js';

export type RecipientState = 'queued' | 'sent' | 'delivered' | 'failed';

export interface RecipientStatus {
  ref: string;
  recipient: string;
  state: RecipientState;
  parts: number;
  /** Parts the SMSC accepted with a message_id. */
  accepted: number;
  /** Parts with a DELIVRD receipt. */
  delivered: number;
  /** message_id per part, in part order; '' until accepted. */
  messageIds: string[];
  reason?: FailureReason;
  detail?: string;
  /** Last receipt stat word seen for any part (ENROUTE, DELIVRD, …). */
  lastStat?: string;
  /** What proved delivery. */
  evidence?: 'receipt' | 'reply';
  /** A DELIVRD receipt came sooner after submission than a real handset round trip allows. */
  suspect?: boolean;
  queuedAt: number;
  sentAt?: number;
  doneAt?: number;
  repliedAt?: number;
}

export type ChangeCause = 'queued' | 'accepted' | 'receipt' | 'rejected' | 'reply';

export interface StatusChange {
  status: RecipientStatus;
  previous: RecipientState | undefined;
  cause: ChangeCause;
  receipt?: Receipt;
}

export interface ReceiptMatch {
  /** The receipt's part was found. */
  matched: boolean;
  /** Found, but the part already had a final receipt. */
  duplicate: boolean;
  /** Not found (yet): kept until a submit_sm_resp with that id arrives or it ages out. */
  orphan: boolean;
  status?: RecipientStatus;
  change?: StatusChange;
}

export interface TrackerOptions {
  idMatch: IdMatchMode;
  /** DELIVRD sooner than this after acceptance is flagged `suspect`; 0 disables. */
  suspectWithinMs: number;
  /** Receipts for unknown ids are kept this long (they may overtake submit_sm_resp). */
  orphanTtlMs: number;
  /** At most this many orphans are kept; the oldest are dropped first. */
  maxOrphans?: number;
}

type PartState = 'pending' | 'accepted' | 'delivered' | 'failed';

export interface Part {
  state: PartState;
  acceptedAt?: number;
  receiptAt?: number;
}

/** One (ref, recipient) as a RecipientStore keeps it. */
export interface StoredRecipient {
  status: RecipientStatus;
  parts: Part[];
  touchedAt: number;
}

export interface RecipientStore {
  load(): StoredRecipient[];
  save(r: StoredRecipient): void;
  remove(keys: { ref: string; recipient: string }[]): void;
  close(): void;
}

interface Entry {
  key: string;
  status: RecipientStatus;
  parts: Part[];
  touchedAt: number;
}

const FINAL: ReadonlySet<RecipientState> = new Set(['delivered', 'failed']);

function snapshot(s: RecipientStatus): RecipientStatus {
  return { ...s, messageIds: [...s.messageIds] };
}

/** Same subscriber: equal digits, or one is the other with a 1–3 digit prefix (country code, trunk 0). */
export function sameNumber(a: string, b: string): boolean {
  const x = a.replace(/\D/g, '');
  const y = b.replace(/\D/g, '');
  if (x.length === 0 || y.length === 0) return false;
  if (x === y) return true;
  const [long, short] = x.length > y.length ? [x, y] : [y, x];
  return short.length >= 7 && long.length - short.length <= 3 && long.endsWith(short);
}

export class DeliveryTracker {
  private readonly entries = new Map<string, Entry>();
  private readonly ids: MessageIdIndex<{ key: string; part: number }>;
  private orphans: { receipt: Receipt; at: number }[] = [];
  /** Restored entries whose parts no scheduler holds: enqueue() may queue them again. */
  private readonly unsent = new Set<string>();

  constructor(
    private readonly opts: TrackerOptions,
    private readonly store?: RecipientStore,
  ) {
    this.ids = new MessageIdIndex(opts.idMatch);
    for (const r of store?.load() ?? []) {
      const key = DeliveryTracker.key(r.status.ref, r.status.recipient);
      this.entries.set(key, { key, status: r.status, parts: r.parts, touchedAt: r.touchedAt });
      // Queued and never accepted when the process ended: no submit is pending for it any more.
      if (r.status.state === 'queued' && r.status.accepted === 0) this.unsent.add(key);
      r.status.messageIds.forEach((id, i) => {
        if (id) this.ids.add(id, { key, part: i });
      });
    }
  }

  private save(e: Entry): void {
    this.store?.save({ status: snapshot(e.status), parts: e.parts.map((p) => ({ ...p })), touchedAt: e.touchedAt });
  }

  private static key(ref: string, recipient: string): string {
    return `${ref}\u0000${recipient}`;
  }

  get(ref: string, recipient: string): RecipientStatus | undefined {
    const e = this.entries.get(DeliveryTracker.key(ref, recipient));
    return e ? snapshot(e.status) : undefined;
  }

  list(ref?: string): RecipientStatus[] {
    return [...this.entries.values()].filter((e) => ref === undefined || e.status.ref === ref).map((e) => snapshot(e.status));
  }

  /** Starts tracking; `isNew` false means the recipient is already queued or past it. */
  enqueue(ref: string, recipient: string, parts: number, now: number): { isNew: boolean; change?: StatusChange; status: RecipientStatus } {
    const key = DeliveryTracker.key(ref, recipient);
    const existing = this.entries.get(key);
    const retry = (existing?.status.state === 'failed' && existing.status.reason === 'NOT_SENT' && existing.status.accepted === 0) || this.unsent.delete(key);
    if (existing && !retry) {
      return { isNew: false, status: snapshot(existing.status) };
    }
    const previous = existing?.status.state;
    const status: RecipientStatus = { ref, recipient, state: 'queued', parts, accepted: 0, delivered: 0, messageIds: Array<string>(parts).fill(''), queuedAt: now };
    const entry: Entry = { key, status, parts: Array.from({ length: parts }, () => ({ state: 'pending' as const })), touchedAt: now };
    this.entries.set(key, entry);
    this.save(entry);
    return { isNew: true, status: snapshot(status), change: { status: snapshot(status), previous, cause: 'queued' } };
  }

  /** submit_sm_resp ESME_ROK for one part (1-based index). */
  accepted(ref: string, recipient: string, index: number, messageId: string, now: number): StatusChange[] {
    const entry = this.entries.get(DeliveryTracker.key(ref, recipient));
    const part = entry?.parts[index - 1];
    if (!entry || !part || part.state !== 'pending') return [];
    entry.touchedAt = now;
    part.state = 'accepted';
    part.acceptedAt = now;
    entry.status.accepted += 1;
    entry.status.messageIds[index - 1] = messageId;
    if (messageId) this.ids.add(messageId, { key: entry.key, part: index - 1 });
    const changes: StatusChange[] = [];
    if (entry.status.state === 'queued' && entry.parts.every((p) => p.state !== 'pending')) {
      const previous = entry.status.state;
      entry.status.state = 'sent';
      entry.status.sentAt = now;
      changes.push({ status: snapshot(entry.status), previous, cause: 'accepted' });
    }
    this.save(entry);
    // Receipts that overtook this submit_sm_resp (instant or fake receipts) apply now.
    const mine = this.orphans.filter((o) => this.ids.find(o.receipt.messageId)?.key === entry.key);
    if (mine.length > 0) {
      this.orphans = this.orphans.filter((o) => !mine.includes(o));
      for (const o of mine) {
        const m = this.receipt(o.receipt, o.at);
        if (m.change) changes.push(m.change);
      }
    }
    return changes;
  }

  /** The SMSC refused a part for good, or the adapter gave up on it: the recipient failed. */
  rejected(ref: string, recipient: string, reason: FailureReason, detail: string, now: number): StatusChange | undefined {
    const entry = this.entries.get(DeliveryTracker.key(ref, recipient));
    if (!entry || FINAL.has(entry.status.state)) return undefined;
    entry.touchedAt = now;
    const change = this.fail(entry, reason, detail, now, 'rejected');
    this.save(entry);
    return change;
  }

  receipt(r: Receipt, now: number): ReceiptMatch {
    const hit = this.ids.find(r.messageId);
    const entry = hit ? this.entries.get(hit.key) : undefined;
    const part = hit ? entry?.parts[hit.part] : undefined;
    if (!hit || !entry || !part) {
      this.orphans.push({ receipt: r, at: now });
      const max = this.opts.maxOrphans ?? 10_000;
      if (this.orphans.length > max) this.orphans.splice(0, this.orphans.length - max);
      return { matched: false, duplicate: false, orphan: true };
    }
    entry.touchedAt = now;
    if (part.state === 'delivered' || part.state === 'failed') {
      return { matched: true, duplicate: true, orphan: false, status: snapshot(entry.status) };
    }
    entry.status.lastStat = r.stat;
    if (r.outcome === 'pending') {
      this.save(entry);
      return { matched: true, duplicate: false, orphan: false, status: snapshot(entry.status) };
    }
    part.receiptAt = now;
    let change: StatusChange | undefined;
    if (r.outcome === 'delivered') {
      part.state = 'delivered';
      entry.status.delivered += 1;
      if (entry.status.state === 'sent' && entry.parts.every((p) => p.state === 'delivered')) {
        entry.status.state = 'delivered';
        entry.status.evidence = 'receipt';
        entry.status.doneAt = now;
        const within = this.opts.suspectWithinMs;
        if (within > 0 && entry.parts.some((p) => (p.receiptAt ?? now) - (p.acceptedAt ?? now) < within)) entry.status.suspect = true;
        change = { status: snapshot(entry.status), previous: 'sent', cause: 'receipt', receipt: r };
      }
    } else {
      part.state = 'failed';
      if (!FINAL.has(entry.status.state)) {
        const detail = `stat:${r.stat}${r.err !== undefined ? ` err:${r.err}` : ''}`;
        change = this.fail(entry, r.reason ?? 'UNDELIV', detail, now, 'receipt');
        change.receipt = r;
      }
    }
    this.save(entry);
    return { matched: true, duplicate: false, orphan: false, status: snapshot(entry.status), ...(change ? { change } : {}) };
  }

  /** A message from `from` arrived: mark the latest broadcast that reached that number. */
  reply(from: string, now: number): StatusChange | undefined {
    let best: Entry | undefined;
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
    this.save(best);
    return { status: snapshot(best.status), previous, cause: 'reply' };
  }

  /** Drops orphans older than the TTL and returns them (nobody claimed them). */
  expireOrphans(now: number): Receipt[] {
    const cutoff = now - this.opts.orphanTtlMs;
    const expired = this.orphans.filter((o) => o.at < cutoff).map((o) => o.receipt);
    if (expired.length > 0) this.orphans = this.orphans.filter((o) => o.at >= cutoff);
    return expired;
  }

  /** Forgets entries untouched for `retainMs` (a receipt that late is not coming). */
  prune(now: number, retainMs: number): number {
    const gone: { ref: string; recipient: string }[] = [];
    for (const [key, e] of this.entries) {
      if (e.touchedAt >= now - retainMs) continue;
      for (const id of e.status.messageIds) if (id) this.ids.delete(id);
      this.entries.delete(key);
      gone.push({ ref: e.status.ref, recipient: e.status.recipient });
    }
    if (gone.length > 0) this.store?.remove(gone);
    return gone.length;
  }

  private fail(entry: Entry, reason: FailureReason, detail: string, now: number, cause: ChangeCause): StatusChange {
    const previous = entry.status.state;
    entry.status.state = 'failed';
    entry.status.reason = reason;
    entry.status.detail = detail;
    entry.status.doneAt = now;
    return { status: snapshot(entry.status), previous, cause };
  }
}
