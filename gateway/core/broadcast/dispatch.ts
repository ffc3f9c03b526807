/**
 * Per-channel send queue behind a token bucket: messages wait, in order, until the channel's
 * rate allows them. Nothing is dropped here; an entry is skipped only when the service says
 * the person no longer needs it (confirmed meanwhile, moved to another channel, closed).
 */
import type { Logger } from 'pino';
import type { Clock, Timer } from '../../contract/clock.js';
import type { TokenBucket } from './token-bucket.js';
import type { BroadcastChannel, ChannelTarget, SendMeta } from '../../contract/capabilities.js';

/** One token's worth: one SMS recipient, or one talkgroup transmission reaching every target on it. */
interface Unit {
  ref: string;
  text: string;
  meta: SendMeta;
  targets: ChannelTarget[];
}

export interface DispatcherOptions {
  channel: BroadcastChannel;
  bucket: TokenBucket;
  clock: Clock;
  log: Logger;
  /** Is this address still waiting for this broadcast on this channel? */
  wanted(ref: string, address: string): boolean;
  /** The channel refused the request outright (threw): the service fails those targets. */
  onSendError(ref: string, targets: ChannelTarget[], err: unknown): void;
  /** Shortest wait between two pumps while throttled, so sends go out in batches. */
  minWaitMs?: number;
}

export class ChannelDispatcher {
  private readonly queue: Unit[] = [];
  private timer: Timer | undefined;
  /** One controller per send in flight (a shared signal would collect a listener per send). */
  private readonly inFlight = new Set<AbortController>();
  private stopped = false;

  constructor(private readonly o: DispatcherOptions) {}

  /** Queues the message for these targets and sends what the rate allows at once. */
  enqueue(ref: string, text: string, meta: SendMeta, targets: ChannelTarget[]): void {
    const units = new Map<string, ChannelTarget[]>();
    for (const t of targets) {
      const key = t.talkgroup !== undefined ? `tg:${t.talkgroup}` : `a:${t.address}`;
      units.set(key, [...(units.get(key) ?? []), t]);
    }
    for (const u of units.values()) this.queue.push({ ref, text, meta, targets: u });
    this.pump();
  }

  /** Units waiting for tokens. */
  pending(): number {
    return this.queue.length;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.o.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
    for (const c of this.inFlight) c.abort();
    this.inFlight.clear();
  }

  private pump(): void {
    if (this.stopped || this.timer !== undefined) return;
    const batches = new Map<string, Unit>();
    while (this.queue.length > 0) {
      const unit = this.queue[0] as Unit;
      const targets = unit.targets.filter((t) => this.o.wanted(unit.ref, t.address));
      if (targets.length === 0) {
        this.queue.shift();
        continue;
      }
      if (!this.o.bucket.tryTake(1)) break;
      this.queue.shift();
      const key = `${unit.ref}\u0000${unit.text}`;
      const batch = batches.get(key) ?? { ref: unit.ref, text: unit.text, meta: unit.meta, targets: [] };
      batch.targets.push(...targets);
      batches.set(key, batch);
    }
    for (const b of batches.values()) this.send(b);
    if (this.queue.length > 0) {
      const wait = Math.max(this.o.bucket.msUntil(1), this.o.minWaitMs ?? 20);
      this.timer = this.o.clock.setTimeout(() => {
        this.timer = undefined;
        this.pump();
      }, wait);
    }
  }

  private send({ ref, text, meta, targets }: Unit): void {
    const abort = new AbortController();
    this.inFlight.add(abort);
    let p: Promise<void>;
    try {
      p = this.o.channel.send(ref, targets, text, abort.signal, meta);
    } catch (err) {
      p = Promise.reject(err);
    }
    p.then(
      () => this.inFlight.delete(abort),
      (err: unknown) => {
        this.inFlight.delete(abort);
        if (this.stopped) return;
        this.o.log.warn({ err, channel: this.o.channel.name, ref, targets: targets.length }, 'channel refused broadcast');
        this.o.onSendError(ref, targets, err);
      },
    );
  }
}
