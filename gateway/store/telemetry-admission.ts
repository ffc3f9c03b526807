/**
 * Back-pressure for device readings: a store's bounded queue admits a reading only while it has
 * room; past the bound the caller waits (the broker then withholds the PUBACK and, once
 * `mqtt.receiveMaximum` of a connection's publishes wait, stops reading that device's socket:
 * gateway/broker/receive-window.ts). Waiters are served oldest first as the store drains. Nothing admitted is ever
 * shed: "acknowledged means kept". Counters say how often and how long senders were held.
 */
import Denque from 'denque';
import { GatewayError } from '../contract/errors.js';
import type { TelemetryThrottle } from './telemetry-store.js';

interface Waiter {
  n: number;
  since: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

export class Admission {
  /**
   * Oldest first. A double-ended queue, not an array: up to `mqtt.receiveMaximum` readings per
   * connection wait here (40,000 at 10,000 devices), and Array#shift on an array that large
   * copies it (V8 moves large arrays' elements instead of trimming them), which made waking
   * the waiters quadratic: 45 % of the main thread in a 10,000-device overload profile.
   */
  private readonly waiters = new Denque<Waiter>();
  /** Points of the waiters (kept as they come and go: stats() is read on every scrape). */
  private waitingPoints = 0;
  /** Points granted room but not yet in the queue (their write runs a microtask later). */
  private reserved = 0;
  private throttled = 0;
  private throttledPoints = 0;
  private waitedMs = 0;
  private maxWaitMs = 0;
  private since: number | undefined;

  /** `used()`: points held now (queue, in flight, on the way to the spool). */
  constructor(
    readonly bound: number,
    private readonly used: () => number,
    private readonly now: () => number = Date.now,
  ) {}

  /** undefined when `n` points fit now (room taken), else a promise settled once they do. */
  take(n: number): Promise<void> | undefined {
    if (this.waiters.length === 0 && this.fits(n)) return undefined;
    this.throttled++;
    this.throttledPoints += n;
    const at = this.now();
    this.since ??= at;
    this.waitingPoints += n;
    return new Promise<void>((resolve, reject) => this.waiters.push({ n, since: at, resolve, reject }));
  }

  /**
   * A device's points: `keep(points)` once they fit (now, or when the store has drained enough;
   * `onWait()` is told first that they wait). Settles as `keep`'s answer does: once they are kept.
   */
  enter<P>(points: P[], keep: (points: P[]) => Promise<void> | undefined, onWait?: () => void): Promise<void> | undefined {
    const wait = this.take(points.length);
    if (!wait) return keep(points);
    onWait?.();
    return wait.then(() => {
      try {
        return keep(points);
      } finally {
        this.settle(points.length);
      }
    });
  }

  /** The caller's points are in the queue now: their reservation ends. */
  settle(n: number): void {
    this.reserved = Math.max(0, this.reserved - n);
  }

  /** The store drained some points: wake waiters, oldest first, while they fit. */
  release(): void {
    for (let w = this.waiters.peekFront(); w && this.fits(w.n); w = this.waiters.peekFront()) {
      this.waiters.shift();
      this.waitingPoints -= w.n;
      this.reserved += w.n;
      const waited = this.now() - w.since;
      this.waitedMs += waited;
      this.maxWaitMs = Math.max(this.maxWaitMs, waited);
      w.resolve();
    }
    if (this.waiters.length === 0) this.since = undefined;
  }

  /** Store stopping: nobody waiting is acknowledged (the devices send again). */
  fail(why: string): void {
    const failed = this.waiters.toArray();
    this.waiters.clear();
    this.waitingPoints = 0;
    this.since = undefined;
    for (const w of failed) w.reject(new GatewayError('GW_ERR_STORE_UNAVAILABLE', why));
  }

  stats(): TelemetryThrottle {
    return {
      bound: this.bound,
      throttled: this.throttled,
      throttledPoints: this.throttledPoints,
      waiting: this.waitingPoints,
      waitedMs: this.waitedMs,
      maxWaitMs: this.maxWaitMs,
      ...(this.since !== undefined ? { throttlingForMs: this.now() - this.since } : {}),
    };
  }

  private fits(n: number): boolean {
    // A single call larger than the bound still goes through an empty queue.
    const held = this.used() + this.reserved;
    return held + n <= this.bound || held === 0;
  }
}
