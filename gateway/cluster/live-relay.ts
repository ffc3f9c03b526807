/**
 * Live changes between gateway nodes over Redis pub/sub: an alarm, health or broadcast change
 * made on one node reaches the /api/live sockets of every node. One Redis channel per
 * deployment; each message is JSON `{ v, node, kind, at, body }` and a node drops its own.
 *
 * Best effort by design: Redis pub/sub delivers to whoever is subscribed at that moment (no
 * replay), and the database stays the truth. While Redis is unreachable publish() answers false
 * at once instead of queueing stale news; when the subscriber connection is back (ioredis
 * resubscribes by itself) onReconnect listeners run, so a board can reload what it missed.
 */
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { handledWhenIgnored, RESUBSCRIBE_COMMANDS } from './redis-ignored.js';

export interface LiveMessage {
  /** Node that made the change. */
  node: string;
  /** What changed: 'alarm', 'health', 'broadcast', … */
  kind: string;
  /** Epoch ms on the sending node. */
  at: number;
  body: unknown;
}

export type LiveListener = (message: LiveMessage) => void;

export interface LiveRelayDeps {
  url: string;
  nodeId: string;
  /** Redis channel; one per deployment sharing a Redis. */
  channel?: string;
  log?: Logger;
  counters?: { inc(name: string): void };
}

const VERSION = 1;
/** How long stop() waits for Redis to answer QUIT before it drops the connection (a hung Redis never answers). */
const QUIT_WAIT_MS = 2000;

export class LiveRelay {
  private pub?: Redis;
  private sub?: Redis;
  private readonly listeners: LiveListener[] = [];
  private readonly reconnectListeners: (() => void)[] = [];
  private readonly channel: string;
  /** The subscriber has been ready once: a later 'ready' is a reconnection. */
  private subscribedOnce = false;

  constructor(private readonly deps: LiveRelayDeps) {
    this.channel = deps.channel ?? 'campus-gateway:live';
  }

  /** Connects and subscribes; resolves once messages from other nodes can arrive. */
  async start(): Promise<void> {
    const retryStrategy = (times: number): number => Math.min(times * 100, 1000);
    // No offline queue on the publisher: news from an outage is stale by the time it would go.
    this.pub = new Redis(this.deps.url, { retryStrategy, enableOfflineQueue: false, maxRetriesPerRequest: 1, connectionName: `gw:${this.deps.nodeId}:live-pub`, lazyConnect: true });
    this.sub = new Redis(this.deps.url, { retryStrategy, maxRetriesPerRequest: null, connectionName: `gw:${this.deps.nodeId}:live-sub`, lazyConnect: true });
    // ioredis sends the SUBSCRIBE again by itself after each reconnect and ignores the answer.
    handledWhenIgnored(this.sub, RESUBSCRIBE_COMMANDS);
    for (const conn of [this.pub, this.sub]) conn.on('error', (err: Error) => this.deps.log?.debug({ err: err.message }, 'live relay: redis connection error'));
    this.sub.on('message', (channel: string, raw: string) => {
      if (channel === this.channel) this.receive(raw);
    });
    const sub = this.sub;
    sub.on('ready', () => {
      if (!this.subscribedOnce) return;
      // ioredis has sent SUBSCRIBE again by now; Redis answers in order, so once this PING is
      // answered the subscription is in place and nothing published from here on is missed.
      sub.ping().then(
        () => {
          this.deps.log?.info('live relay: redis is back');
          for (const listener of [...this.reconnectListeners]) {
            try {
              listener();
            } catch (err) {
              this.deps.log?.error({ err }, 'live relay reconnect listener failed');
            }
          }
        },
        (err: Error) => this.deps.log?.debug({ err: err.message }, 'live relay: redis dropped again'),
      );
    });
    await Promise.all([this.pub.connect(), this.sub.connect()]);
    await this.sub.subscribe(this.channel);
    this.subscribedOnce = true;
  }

  /** Every message from another node. Returns an unsubscribe. */
  onMessage(listener: LiveListener): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /** After Redis was unreachable and is back: messages may have been missed meanwhile. */
  onReconnect(listener: () => void): () => void {
    this.reconnectListeners.push(listener);
    return () => {
      const i = this.reconnectListeners.indexOf(listener);
      if (i >= 0) this.reconnectListeners.splice(i, 1);
    };
  }

  /** Sends to every other node; false (never an exception) when Redis is unreachable. */
  async publish(kind: string, body: unknown, at = Date.now()): Promise<boolean> {
    const pub = this.pub;
    if (pub?.status !== 'ready') {
      this.deps.counters?.inc('cluster.live.dropped');
      return false;
    }
    try {
      await pub.publish(this.channel, JSON.stringify({ v: VERSION, node: this.deps.nodeId, kind, at, body }));
      return true;
    } catch (err) {
      this.deps.counters?.inc('cluster.live.dropped');
      this.deps.log?.debug({ err: (err as Error).message, kind }, 'live relay: publish failed');
      return false;
    }
  }

  connected(): boolean {
    return this.pub?.status === 'ready' && this.sub?.status === 'ready';
  }

  async stop(): Promise<void> {
    const conns = [this.pub, this.sub];
    this.pub = undefined;
    this.sub = undefined;
    // QUIT waits for Redis: one that is down gets no QUIT, one that hangs (its connection still
    // 'ready') gets QUIT_WAIT_MS to answer; then the connection is dropped either way.
    await Promise.all(
      conns.map(async (c) => {
        if (c?.status === 'ready') await Promise.race([c.quit().catch(() => undefined), new Promise((r) => setTimeout(r, QUIT_WAIT_MS).unref())]);
        c?.disconnect();
      }),
    );
  }

  private receive(raw: string): void {
    let message: LiveMessage & { v?: number };
    try {
      message = JSON.parse(raw) as LiveMessage & { v?: number };
    } catch {
      this.deps.counters?.inc('cluster.live.malformed');
      return;
    }
    if (message.v !== VERSION || typeof message.node !== 'string' || typeof message.kind !== 'string') {
      this.deps.counters?.inc('cluster.live.malformed');
      return;
    }
    if (message.node === this.deps.nodeId) return;
    const { node, kind, at, body } = message;
    for (const listener of [...this.listeners]) {
      try {
        listener({ node, kind, at, body });
      } catch (err) {
        this.deps.log?.error({ err, kind }, 'live relay listener failed');
      }
    }
  }
}
