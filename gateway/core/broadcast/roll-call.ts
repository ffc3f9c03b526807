/**
 * The roll-call of open broadcasts: each person's state from channel reports, fallback to
 * the next channel when a channel fails or stays silent for N s, confirmations from replies,
 * the live tally, and closing when everyone is final or the window ends. The state of an open
 * broadcast lives here, in memory, and moves at once; every change is persisted (in order,
 * through `persist`) before it is announced.
 */
import type { Logger } from 'pino';
import type { Clock } from '../../contract/clock.js';
import { LiveBroadcast } from './live.js';
import { addressOn, canMove, isRollCallConfirm, satisfied } from './recipient.js';
import { tally } from './tally.js';
import type { Broadcast, BroadcastChange, BroadcastRecipient, BroadcastRepository, RecipientState } from './types.js';
import type { ChannelName, ChannelReply, ChannelStatus, ChannelTarget } from '../../contract/capabilities.js';

export interface RollCallDeps {
  repo: BroadcastRepository;
  clock: Clock;
  log: Logger;
  /** Replies that confirm (config rollCall.codes). */
  codes: readonly string[];
  /** Hands people to their current channel (rate-limited), or fails them if it is not bound. */
  dispatch(lb: LiveBroadcast, recipients: BroadcastRecipient[]): void;
  emit(c: BroadcastChange): void;
  /** Runs a timer callback, logging what it throws. */
  safely(fn: () => unknown): void;
  /** Writes, then announces, after every change made before (a failed write is logged, not announced). */
  persist(write: () => Promise<void>, announce: () => void): void;
}

export class RollCall {
  private readonly live = new Map<string, LiveBroadcast>();

  constructor(private readonly d: RollCallDeps) {}

  /** Starts tracking a broadcast (new, or loaded after a restart); the caller arms its timer. */
  add(b: Broadcast): LiveBroadcast {
    const lb = new LiveBroadcast(b);
    this.live.set(b.id, lb);
    return lb;
  }

  get(id: string): LiveBroadcast | undefined {
    return this.live.get(id);
  }

  all(): LiveBroadcast[] {
    return [...this.live.values()];
  }

  isOpen(id: string): boolean {
    return this.live.has(id);
  }

  /** Is someone at this address still waiting to be sent `ref` on this channel? */
  waiting(ref: string, channel: ChannelName, address: string): boolean {
    return this.live.get(ref)?.waiting(channel, address) ?? false;
  }

  /** Forgets every open broadcast and its timer (stop); their state stays in the repository. */
  clear(): void {
    for (const lb of this.live.values()) if (lb.timer !== undefined) this.d.clock.clearTimeout(lb.timer);
    this.live.clear();
  }

  /** Moves a person on their current channel; a failure falls back to the next channel at once. */
  move(lb: LiveBroadcast, r: BroadcastRecipient, state: RecipientState, at: number, reason?: string, detail?: string): void {
    if (!canMove(r.state, state)) return;
    r.state = state;
    r.at = { ...r.at, [state]: at };
    if (state === 'failed') {
      if (reason) r.reason = reason;
      if (detail) r.detail = detail;
    }
    if (satisfied(r, lb.b.fallbackUnless)) delete r.fallbackAt;
    this.save(lb, r);
    if (state === 'failed' && LiveBroadcast.nextChannel(r)) {
      this.fallback(lb, r, at);
      this.arm(lb);
    }
  }

  /** Moves a person to their next channel; `batch` collects them for one send instead of sending now. */
  private fallback(lb: LiveBroadcast, r: BroadcastRecipient, now: number, batch?: BroadcastRecipient[]): void {
    const next = LiveBroadcast.nextChannel(r);
    delete r.fallbackAt;
    if (!next || !r.channel || !r.address) {
      this.save(lb, r);
      return;
    }
    r.attempts.push({ channel: r.channel, address: r.address, state: r.state, ...(r.reason ? { reason: r.reason } : {}), ...(r.detail ? { detail: r.detail } : {}), at: r.at });
    this.d.log.info({ broadcastId: lb.b.id, recipient: r.id, from: r.channel, to: next, state: r.state }, 'broadcast fallback');
    r.channel = next;
    r.address = addressOn(next, r) as string;
    r.state = 'queued';
    r.at = { queued: now };
    delete r.reason;
    delete r.detail;
    if (LiveBroadcast.nextChannel(r)) r.fallbackAt = now + lb.b.fallbackAfterSeconds * 1000;
    lb.indexAddress(r);
    this.save(lb, r);
    if (batch) batch.push(r);
    else this.d.dispatch(lb, [r]);
  }

  onStatus(channel: ChannelName, s: ChannelStatus): void {
    const lb = this.live.get(s.ref);
    if (!lb) return;
    const at = s.at ?? this.d.clock.now();
    for (const r of lb.at(channel, s.address)) {
      if (r.channel === channel && r.address === s.address) {
        this.move(lb, r, s.state, at, s.reason, s.detail);
        continue;
      }
      // A late word from a channel the person already left: kept in the history only.
      const a = [...r.attempts].reverse().find((x) => x.channel === channel && x.address === s.address);
      if (a && canMove(a.state, s.state)) {
        a.state = s.state;
        a.at = { ...a.at, [s.state]: at };
        if (s.reason) a.reason = s.reason;
        this.save(lb, r);
      }
    }
    if (this.live.has(lb.b.id)) this.checkClosed(lb);
  }

  /**
   * A reply confirms one person in one broadcast: the one the channel names (ref) if that
   * person has not confirmed it yet, else the newest open broadcast they have not confirmed.
   */
  onReply(channel: ChannelName, rep: ChannelReply): void {
    const at = rep.at ?? this.d.clock.now();
    const confirms = rep.ack === true || (rep.text !== undefined && isRollCallConfirm(rep.text, this.d.codes));
    const pick = LiveBroadcast.answered([...this.live.values()], channel, rep);
    if (!pick) {
      this.d.log.info({ channel, ref: rep.ref, confirms }, 'reply matches no open broadcast');
      return;
    }
    for (const r of pick.people) {
      r.reply = { channel, at, confirms, ...(rep.text !== undefined ? { text: rep.text } : {}) };
      if (confirms && canMove(r.state, 'confirmed')) {
        r.state = 'confirmed';
        r.at = { ...r.at, confirmed: at };
        delete r.fallbackAt;
      }
      this.save(pick.lb, r);
    }
    this.checkClosed(pick.lb);
  }

  onSendError(channel: ChannelName, ref: string, targets: ChannelTarget[], err: unknown): void {
    const lb = this.live.get(ref);
    if (!lb) return;
    const code = (err as { code?: unknown }).code;
    const detail = `${typeof code === 'string' ? `${code}: ` : ''}${(err as Error).message ?? String(err)}`;
    for (const t of targets) {
      for (const r of lb.at(channel, t.address)) {
        if (r.channel === channel && r.address === t.address && r.state === 'queued') this.move(lb, r, 'failed', this.d.clock.now(), 'send-error', detail);
      }
    }
    if (this.live.has(ref)) this.checkClosed(lb);
  }

  private onTimer(lb: LiveBroadcast): void {
    lb.timer = undefined;
    const now = this.d.clock.now();
    if (now >= lb.b.closesAt) {
      this.close(lb, now);
      return;
    }
    const moved: BroadcastRecipient[] = [];
    for (const r of lb.b.recipients) {
      if (r.fallbackAt === undefined || r.fallbackAt > now) continue;
      if (satisfied(r, lb.b.fallbackUnless)) {
        delete r.fallbackAt;
        this.save(lb, r);
      } else this.fallback(lb, r, now, moved);
    }
    this.d.dispatch(lb, moved);
    this.checkClosed(lb);
    this.arm(lb);
  }

  arm(lb: LiveBroadcast): void {
    if (lb.timer !== undefined) this.d.clock.clearTimeout(lb.timer);
    lb.timer = undefined;
    if (!this.live.has(lb.b.id)) return;
    const wait = Math.max(0, lb.nextDeadline() - this.d.clock.now());
    lb.timer = this.d.clock.setTimeout(() => this.d.safely(() => this.onTimer(lb)), wait);
  }

  checkClosed(lb: LiveBroadcast): void {
    if (this.live.has(lb.b.id) && lb.allFinal()) this.close(lb, this.d.clock.now());
  }

  close(lb: LiveBroadcast, now: number): void {
    if (lb.timer !== undefined) this.d.clock.clearTimeout(lb.timer);
    lb.timer = undefined;
    this.live.delete(lb.b.id);
    lb.b.state = 'closed';
    lb.b.closedAt = now;
    lb.b.tally = tally(lb.b.recipients);
    const { recipients: _r, ...rest } = lb.b;
    const summary = structuredClone(rest);
    this.d.log.info({ broadcastId: lb.b.id, tally: lb.b.tally }, 'broadcast closed');
    this.d.persist(
      () => this.d.repo.updateBroadcast(summary),
      () => this.d.emit({ change: 'closed', broadcastId: summary.id, tally: { ...summary.tally }, at: now }),
    );
  }

  private save(lb: LiveBroadcast, r: BroadcastRecipient): void {
    lb.b.tally = tally(lb.b.recipients);
    // As it is now: later moves of the same person are later writes and announcements.
    const recipient = structuredClone(r);
    const counts = { ...lb.b.tally };
    const id = lb.b.id;
    this.d.persist(
      () => this.d.repo.updateRecipient(id, recipient, counts),
      () => this.d.emit({ change: 'recipient', broadcastId: id, recipient: structuredClone(recipient), tally: { ...counts } }),
    );
  }
}
