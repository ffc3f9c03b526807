/**
 * What the dashboard knows of broadcasts: summaries (from the snapshot, the list API and live
 * changes) and, for the ones someone looked at or saw created live, every recipient. Pure
 * bookkeeping with merge rules, because the same broadcast arrives by three roads (live
 * push, GET /api/broadcasts, GET /api/broadcasts/:id) in no guaranteed order.
 */
import { tally } from '../../gateway/core/broadcast/tally.js';
import type { Broadcast, BroadcastChange, BroadcastRecipient, BroadcastSummary } from './model.js';

export interface BroadcastEntry {
  summary: BroadcastSummary;
  /** Keyed by recipient id, in the gateway's order (r1, r2, …); absent until fetched or seen created. */
  recipients?: Map<string, BroadcastRecipient>;
  /** The recipients are from before a gap in the live feed: shown until fetched again, not counted. */
  stale?: boolean;
}

/** Summaries kept; older closed ones drop out (the list API has them). */
const MAX_KEPT = 200;

/**
 * How far a recipient's row has come: every fallback to the next channel adds an attempt,
 * every state reached on the current channel adds a time, a reply is recorded once. Progress
 * never goes back (gateway/core/broadcast/recipient.ts canMove), so a bigger number is newer.
 */
export function recipientVersion(r: BroadcastRecipient): number {
  return r.attempts.length * 100 + Object.keys(r.at).length * 2 + (r.reply ? 1 : 0);
}

function summaryOf(b: Broadcast | BroadcastSummary): BroadcastSummary {
  const { recipients: _drop, ...summary } = b as Broadcast;
  return summary;
}

export class BroadcastBook {
  private readonly entries = new Map<string, BroadcastEntry>();

  get(id: string): BroadcastEntry | undefined {
    return this.entries.get(id);
  }

  /** Newest first. */
  list(limit = MAX_KEPT): BroadcastSummary[] {
    return [...this.entries.values()]
      .map((e) => e.summary)
      .sort((a, b) => b.createdAt - a.createdAt || a.id.localeCompare(b.id))
      .slice(0, limit);
  }

  openCount(): number {
    let n = 0;
    for (const e of this.entries.values()) if (e.summary.state === 'open') n++;
    return n;
  }

  /**
   * A snapshot after a (re)connect: its open summaries are current. Recipients held from
   * before may have missed changes during the gap: they stay on screen marked stale (the
   * summary's tally counts) until whoever shows them fetches them again.
   */
  applySnapshot(open: readonly BroadcastSummary[]): void {
    for (const e of this.entries.values()) if (e.recipients) e.stale = true;
    this.putSummaries(open);
  }

  /** Summaries from the snapshot or the list API. A closed broadcast never reopens. */
  putSummaries(list: readonly BroadcastSummary[]): void {
    for (const s of list) this.mergeSummary(summaryOf(s));
    this.trim();
  }

  /** A whole broadcast (the POST reply, GET /:id, a live 'created'): recipients merged row by row. */
  putFull(b: Broadcast, preferIncoming: boolean): void {
    const entry = this.mergeSummary(summaryOf(b));
    const rows = entry.recipients ?? new Map<string, BroadcastRecipient>();
    for (const r of b.recipients) {
      const have = rows.get(r.id);
      const v = have ? recipientVersion(have) : -1;
      if (!have || recipientVersion(r) > v || (preferIncoming && recipientVersion(r) === v)) rows.set(r.id, r);
    }
    entry.recipients = rows;
    delete entry.stale;
    if (entry.summary.state === 'open') entry.summary = { ...entry.summary, tally: tally(rows.values()) };
    this.trim();
  }

  /**
   * A live change. Returns the id of a broadcast the book does not know (a 'created' missed
   * in a gap): the caller fetches it.
   */
  applyChange(c: BroadcastChange): string | undefined {
    switch (c.change) {
      case 'created':
        this.putFull(c.broadcast, true);
        return undefined;
      case 'recipient': {
        const entry = this.entries.get(c.broadcastId);
        if (!entry) return c.broadcastId;
        if (entry.recipients) {
          const have = entry.recipients.get(c.recipient.id);
          // Live changes come in order on one socket: equal versions (a second reply) are newer.
          if (!have || recipientVersion(c.recipient) >= recipientVersion(have)) entry.recipients.set(c.recipient.id, c.recipient);
          entry.summary = { ...entry.summary, tally: entry.stale ? c.tally : tally(entry.recipients.values()) };
        } else {
          entry.summary = { ...entry.summary, tally: c.tally };
        }
        return undefined;
      }
      case 'closed': {
        const entry = this.entries.get(c.broadcastId);
        if (!entry) return c.broadcastId;
        entry.summary = { ...entry.summary, state: 'closed', closedAt: c.at, tally: c.tally };
        return undefined;
      }
    }
  }

  private mergeSummary(s: BroadcastSummary): BroadcastEntry {
    const entry = this.entries.get(s.id);
    if (!entry) {
      const fresh: BroadcastEntry = { summary: s };
      this.entries.set(s.id, fresh);
      return fresh;
    }
    // The final count of a closed broadcast stands; an open copy arriving late is older.
    if (entry.summary.state === 'closed' && s.state === 'open') return entry;
    entry.summary = entry.recipients && !entry.stale && s.state === 'open' ? { ...s, tally: tally(entry.recipients.values()) } : s;
    return entry;
  }

  private trim(): void {
    if (this.entries.size <= MAX_KEPT) return;
    const closed = [...this.entries.values()].filter((e) => e.summary.state === 'closed').sort((a, b) => a.summary.createdAt - b.summary.createdAt);
    for (const e of closed.slice(0, this.entries.size - MAX_KEPT)) this.entries.delete(e.summary.id);
  }
}
