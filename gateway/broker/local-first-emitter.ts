/**
 * The message emitter aedes runs on in cluster mode: aedes' own in-process emitter (mqemitter)
 * for this node's clients, plus mqemitter-redis (aedes' documented cluster path) for the other
 * nodes' clients.
 *
 * Plain mqemitter-redis sends every message through Redis, this node's own subscribers included,
 * and aedes waits for Redis before it calls a publish done. With Redis unreachable that meant
 * (measured here, aedes 1.2, ioredis 5): no delivery even between two clients of the same node,
 * and ~10 s later (ioredis' 20 retries per command) an error that made aedes close the
 * publishing device's connection; and an unhandled 'error' on the emitter's state that ended the
 * process. Here a message reaches this node's subscribers at once, as with no cluster at all,
 * and goes to Redis beside that; a Redis failure is reported to `onRemoteError` and never to
 * aedes. A message comes back from Redis to its own node too: it carries the node's origin tag
 * and is dropped there, since it was delivered locally already.
 */
import type { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import mqemitter from 'mqemitter';
import MQEmitterRedis from 'mqemitter-redis';

type Message = mqemitter.Message;
type Listener = (message: Message, done: () => void) => void;

/** How long a SUBACK (or an unsubscription) waits for Redis to confirm before going without it. */
export const REMOTE_SUBSCRIBE_WAIT_MS = 2000;

/** Property added to a message on its way through Redis (never seen by aedes' listeners). */
export const ORIGIN_KEY = 'gwOrigin';

export interface LocalFirstEmitterOptions {
  /** Unique per process: tags what this node sends, to drop it when it comes back. */
  origin: string;
  pubConn: Redis;
  /** Subscriber connection: give it `maxRetriesPerRequest: null` so subscriptions made while Redis is down happen when it returns. */
  subConn: Redis;
  /** aedes' `concurrency` (100 by default). */
  concurrency?: number;
  onRemoteError: (err: Error) => void;
}

/** `done` once, when Redis answered or after REMOTE_SUBSCRIBE_WAIT_MS, whichever is first. */
function bounded(done: () => void): () => void {
  let called = false;
  const once = (): void => {
    if (called) return;
    called = true;
    clearTimeout(timer);
    done();
  };
  const timer = setTimeout(once, REMOTE_SUBSCRIBE_WAIT_MS);
  return once;
}

export class LocalFirstEmitter {
  private readonly local: mqemitter.MQEmitter;
  private readonly remote: MQEmitterRedis.MQEmitterRedis;
  /** listener → topic → the relays registered with the remote emitter for it. */
  private readonly relays = new Map<Listener, Map<string, Listener[]>>();
  private closed = false;

  constructor(private readonly opts: LocalFirstEmitterOptions) {
    // [MQTT-4.7.1-3] as aedes' default emitter: `sport/#` also matches `sport`.
    const shape = { concurrency: opts.concurrency ?? 100, matchEmptyLevels: true };
    this.local = mqemitter(shape);
    this.remote = MQEmitterRedis({ ...shape, pubConn: opts.pubConn, subConn: opts.subConn });
    // mqemitter-redis re-emits connection errors here; unheard, they would end the process.
    (this.remote as unknown as { state: EventEmitter }).state.on('error', (err: Error) => opts.onRemoteError(err));
  }

  get current(): number {
    return this.local.current;
  }

  get concurrent(): number {
    return this.local.concurrent;
  }

  on(topic: string, listener: Listener, done?: () => void): this {
    this.local.on(topic, listener);
    if (this.closed) {
      if (done) setImmediate(done);
      return this;
    }
    const relay: Listener = (message, cb) => {
      if (message[ORIGIN_KEY] === this.opts.origin) return cb();
      const { [ORIGIN_KEY]: _origin, ...rest } = message;
      listener(rest as Message, cb);
    };
    const byTopic = this.relays.get(listener) ?? new Map<string, Listener[]>();
    this.relays.set(listener, byTopic);
    byTopic.set(topic, [...(byTopic.get(topic) ?? []), relay]);
    // Redis reachable: the subscription exists there before aedes sends SUBACK, so a message
    // published on another node right after SUBACK arrives. Unreachable, or too slow to answer
    // (a hung server keeps its connection 'ready'): local delivery works now, and the queued
    // SUBSCRIBE completes when Redis answers.
    if (this.opts.subConn.status === 'ready' && done) {
      this.remote.on(topic, relay, bounded(done));
    } else {
      this.remote.on(topic, relay);
      if (done) setImmediate(done);
    }
    return this;
  }

  /**
   * Messages published on the other nodes only (this node's own come back tagged and are
   * dropped): what a node hears of devices connected elsewhere (health across nodes).
   */
  onRemote(topic: string, listener: (message: Message) => void): void {
    if (this.closed) return;
    this.remote.on(topic, (message: Message, cb: () => void) => {
      if (message[ORIGIN_KEY] !== this.opts.origin) {
        try {
          listener(message);
        } catch {
          // A listener's bug must not stop the emitter.
        }
      }
      cb();
    });
  }

  emit(message: Message, done?: (err?: Error) => void): void {
    this.local.emit(message, done);
    if (this.closed) return;
    this.remote.emit({ ...message, [ORIGIN_KEY]: this.opts.origin }, (err?: Error) => {
      if (err) this.opts.onRemoteError(err);
    });
  }

  removeListener(topic: string, listener: Listener, done?: () => void): void {
    this.local.removeListener(topic, listener);
    const byTopic = this.relays.get(listener);
    const relays = byTopic?.get(topic);
    const relay = relays?.pop();
    if (byTopic && relays?.length === 0) byTopic.delete(topic);
    if (byTopic?.size === 0) this.relays.delete(listener);
    if (!relay || this.closed || this.opts.subConn.status !== 'ready') {
      if (relay && !this.closed) this.remote.removeListener(topic, relay);
      if (done) setImmediate(done);
      return;
    }
    // Bounded as on(): a hung Redis must not hold a client's close (nor aedes.close()) forever.
    this.remote.removeListener(topic, relay, done && bounded(done));
  }

  /** Closes both; bounded, since QUIT cannot be answered by a Redis that is down. */
  close(done: () => void): void {
    if (this.closed) {
      setImmediate(done);
      return;
    }
    this.closed = true;
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      done();
    };
    const timer = setTimeout(() => {
      this.opts.pubConn.disconnect();
      this.opts.subConn.disconnect();
      finish();
    }, 1000);
    this.local.close(() => this.remote.close(finish));
  }
}
