/**
 * Per-device publish rate limit: a token bucket per device id (shared by its connections, and
 * kept across reconnects so a flooder does not get a fresh burst by reconnecting).
 *
 * Throttling is real back-pressure, not a counter: a publish without a token is held, and once
 * `mqtt.receiveMaximum` of a connection's publishes are held the broker stops reading that
 * socket (receive-window.ts). The kernel buffer then fills and TCP flow control stops the
 * sender, so a flooding device costs at most `messagesPerSecond` handled messages while other
 * devices are served as usual. Held publishes are released in order.
 *
 * A device over the limit for `disconnectAfterSeconds` without a break is disconnected and
 * marked `flooding`; it is "over the limit" from the first publish that had to wait until a
 * publish arrives and finds a token at once. The mark clears once the device has stayed
 * connected for `clearAfterSeconds` without being throttled again.
 */
import type { Clock, Timer } from '../contract/clock.js';
import type { Counters } from '../core/counters.js';

export interface RateLimitOptions {
  /** Sustained publishes per second per device; 0 disables the limit. */
  messagesPerSecond: number;
  /** Bucket size: publishes a device may send at once after being quiet. */
  burst: number;
  disconnectAfterSeconds: number;
  clearAfterSeconds: number;
}

export interface RateLimitHooks {
  /** Closes the connection (over the limit for too long). */
  disconnect(conn: object, deviceId: string): void;
  /** The device's `flooding` condition changed. */
  flooding(deviceId: string, active: boolean, detail?: string): void;
}

/**
 * What a held publish is released to, once: `admitted()` to go on, `admitted(err)` to drop it
 * (connection closing). An object rather than a callback: the broker keeps each publish in one
 * object of its own (broker.ts PublishJob), with no closure per publish.
 */
export interface Release {
  admitted(err?: Error): void;
}

interface Bucket {
  tokens: number;
  at: number;
  overSince?: number;
  lastThrottledAt?: number;
  flagged: boolean;
  connections: number;
  connectedAt: number;
  clearTimer?: Timer;
}

interface Connection {
  deviceId: string;
  /** Publishes held for a token, oldest first; made at the first (most connections never wait). */
  queue: Release[] | undefined;
  timer?: Timer;
}

export class PublishRateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly conns = new Map<object, Connection>();

  constructor(
    private readonly opts: RateLimitOptions,
    private readonly hooks: RateLimitHooks,
    private readonly counters: Counters,
    private readonly clock: Clock,
  ) {}

  get enabled(): boolean {
    return this.opts.messagesPerSecond > 0;
  }

  /** A device connection is up (after CONNACK). */
  connected(conn: object, deviceId: string): void {
    if (this.conns.has(conn)) return;
    this.conns.set(conn, { deviceId, queue: undefined });
    const b = this.bucket(deviceId);
    b.connections++;
    b.connectedAt = this.clock.now();
    if (b.flagged) this.scheduleClear(deviceId, b, this.opts.clearAfterSeconds * 1000);
  }

  /** The connection is gone: held publishes are dropped. */
  disconnected(conn: object): void {
    const c = this.conns.get(conn);
    if (!c) return;
    this.conns.delete(conn);
    this.drop(c, 'connection closed');
    const b = this.bucket(c.deviceId);
    b.connections = Math.max(0, b.connections - 1);
    if (b.connections === 0 && b.clearTimer) {
      this.clock.clearTimeout(b.clearTimer);
      b.clearTimer = undefined;
    }
  }

  admit(conn: object, deviceId: string, release: Release): void {
    if (!this.enabled) return release.admitted();
    let c = this.conns.get(conn);
    if (!c) {
      // A publish queued by aedes before its 'client' event: track it from here.
      this.connected(conn, deviceId);
      c = this.conns.get(conn) as Connection;
    }
    const b = this.refill(this.bucket(deviceId));
    if ((c.queue === undefined || c.queue.length === 0) && b.tokens >= 1) {
      b.tokens -= 1;
      b.overSince = undefined;
      return release.admitted();
    }
    const now = this.clock.now();
    b.overSince ??= now;
    b.lastThrottledAt = now;
    this.counters.inc('mqtt.ratelimit.throttled');
    (c.queue ??= []).push(release);
    if (now - b.overSince >= this.opts.disconnectAfterSeconds * 1000) return this.flood(conn, c, b);
    if (!c.timer) this.schedule(conn, c, b);
  }

  /** Whether the device is over its limit now (a publish of it had to wait, none found a token since). */
  overLimit(deviceId: string): boolean {
    return this.enabled && this.buckets.get(deviceId)?.overSince !== undefined;
  }

  /** Whether the device is currently marked `flooding`. */
  isFlooding(deviceId: string): boolean {
    return this.buckets.get(deviceId)?.flagged ?? false;
  }

  stop(): void {
    for (const c of this.conns.values()) {
      if (c.timer) this.clock.clearTimeout(c.timer);
      this.drop(c, 'broker stopping');
    }
    this.conns.clear();
    for (const b of this.buckets.values()) if (b.clearTimer) this.clock.clearTimeout(b.clearTimer);
    this.buckets.clear();
  }

  private bucket(deviceId: string): Bucket {
    let b = this.buckets.get(deviceId);
    if (!b) {
      b = { tokens: this.opts.burst, at: this.clock.now(), flagged: false, connections: 0, connectedAt: this.clock.now() };
      this.buckets.set(deviceId, b);
    }
    return b;
  }

  private refill(b: Bucket): Bucket {
    const now = this.clock.now();
    b.tokens = Math.min(this.opts.burst, b.tokens + ((now - b.at) / 1000) * this.opts.messagesPerSecond);
    b.at = now;
    return b;
  }

  private schedule(conn: object, c: Connection, b: Bucket): void {
    const waitMs = Math.max(1, Math.ceil(((1 - b.tokens) / this.opts.messagesPerSecond) * 1000));
    c.timer = this.clock.setTimeout(() => this.drain(conn, c), waitMs);
  }

  private drain(conn: object, c: Connection): void {
    c.timer = undefined;
    if (this.conns.get(conn) !== c) return;
    const b = this.refill(this.bucket(c.deviceId));
    const queue = c.queue ?? [];
    while (queue.length > 0 && b.tokens >= 1) {
      b.tokens -= 1;
      (queue.shift() as Release).admitted();
    }
    if (queue.length === 0) return;
    if (b.overSince !== undefined && this.clock.now() - b.overSince >= this.opts.disconnectAfterSeconds * 1000) return this.flood(conn, c, b);
    this.schedule(conn, c, b);
  }

  private flood(conn: object, c: Connection, b: Bucket): void {
    if (c.timer) this.clock.clearTimeout(c.timer);
    c.timer = undefined;
    this.counters.inc('mqtt.ratelimit.disconnected');
    b.overSince = undefined;
    if (b.clearTimer) this.clock.clearTimeout(b.clearTimer);
    b.clearTimer = undefined;
    const detail = `over ${this.opts.messagesPerSecond} msg/s for ${this.opts.disconnectAfterSeconds} s: disconnected`;
    if (!b.flagged) {
      b.flagged = true;
      this.hooks.flooding(c.deviceId, true, detail);
    }
    this.drop(c, 'rate limit: disconnected for flooding');
    this.hooks.disconnect(conn, c.deviceId);
  }

  private drop(c: Connection, why: string): void {
    // Emptied in place: a drain() under way holds the same array.
    const held = c.queue?.splice(0) ?? [];
    c.queue = undefined;
    for (const release of held) release.admitted(new Error(why));
  }

  private scheduleClear(deviceId: string, b: Bucket, ms: number): void {
    if (b.clearTimer) this.clock.clearTimeout(b.clearTimer);
    b.clearTimer = this.clock.setTimeout(() => {
      b.clearTimer = undefined;
      if (!b.flagged || b.connections === 0) return;
      const calmSince = Math.max(b.connectedAt, b.lastThrottledAt ?? 0);
      const left = calmSince + this.opts.clearAfterSeconds * 1000 - this.clock.now();
      if (left > 0) return this.scheduleClear(deviceId, b, left);
      b.flagged = false;
      this.hooks.flooding(deviceId, false);
    }, ms);
  }
}
