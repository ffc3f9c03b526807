/**
 * MQTT across gateway nodes through Redis (cluster.redisUrl): aedes' documented cluster path,
 * mqemitter-redis for messages and aedes-persistence-redis for sessions, subscriptions, offline
 * queues, retained messages and wills, so a device connects to any node, a `cmd` or a retained
 * state or a will reaches subscribers on every node, and a persistent session survives its node.
 *
 * Redis is never on the alarm path: a device's publish is dispatched to the gateway inside
 * authorizePublish before anything here runs, and aedes writes PUBACK before it publishes
 * (lib/handlers/publish.js). What is made to hold while Redis is unreachable:
 * - this node's clients still reach each other (LocalFirstEmitter);
 * - a publish is never failed because Redis is: aedes closes a client whose publish fails, so
 *   the two Redis writes on the publish path (a retained message, a copy queued for an offline
 *   persistent session) are logged and counted (`cluster.redis.degraded`) instead;
 * - no command waits forever: 2 retries then an error (5 s on a hung server), except
 *   subscriptions, which wait for Redis to come back and are made then (aedes is told after
 *   2 s at most, so neither a SUBACK nor a client's close, nor a node's stop, waits on Redis);
 * - no refusal of a command sent without awaiting it becomes an unhandled rejection, and no
 *   failed retained lookup an uncaught stream error (either would end the process).
 * What still needs Redis: a new CONNECT (the session lives there), cross-node delivery, and
 * subscribing to retained messages. Those come back with Redis; nothing is replayed.
 */
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import AsyncRedisPersistence from 'aedes-persistence-redis/asyncPersistence.js';
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import { handledWhenIgnored, RESUBSCRIBE_COMMANDS } from '../cluster/redis-ignored.js';
import { LocalFirstEmitter } from './local-first-emitter.js';

/** The list of will keys and one will's key, as aedes-persistence-redis 11 writes them. */
const WILLS = 'will';
const WILL_PREFIX = `${WILLS}:`;
const willKey = (brokerId: string, clientId: string): string => `${WILL_PREFIX}${brokerId}:${encodeURIComponent(clientId)}`;
/** willKey's parts back (undefined for a key not of that form). */
function willKeyParts(key: string): { brokerId: string; clientId: string } | undefined {
  const sep = key.indexOf(':', WILL_PREFIX.length);
  if (!key.startsWith(WILL_PREFIX) || sep < 0) return undefined;
  return { brokerId: key.slice(WILL_PREFIX.length, sep), clientId: decodeURIComponent(key.slice(sep + 1)) };
}

/** The will sweep's view of this node's clients (tests give their own). */
export interface WillSweepOptions {
  /** Whether a client is connected to this node now; default: aedes' map of its clients. */
  connectedHere?: (clientId: string) => boolean;
  /** Told of each dead node's will dropped because its client is connected here. */
  obsolete?: () => void;
}

/** The encoding aedes-persistence-redis stores wills in: its own msgpack-lite, resolved from it. */
const msgpack = createRequire(createRequire(import.meta.url).resolve('aedes-persistence-redis/asyncPersistence.js'))('msgpack-lite') as { decode(buf: Buffer): unknown };

export interface RedisTransportOptions {
  url: string;
  log: Logger;
  counters: { inc(name: string): void };
  /** aedes' concurrency for the emitter. */
  concurrency?: number;
  /** Names the connections in Redis' CLIENT LIST. */
  nodeId?: string;
  /** aedes' heartbeatInterval (ms): another broker silent for 3 of these is dead. */
  heartbeatMs?: number;
}

export interface RedisTransport {
  mq: LocalFirstEmitter;
  persistence: TolerantRedisPersistence;
  /** Every connection is up. */
  connected(): boolean;
  /** After aedes.close() (which closes the emitter): the persistence and every connection. */
  close(): Promise<void>;
}

/**
 * aedes-persistence-redis whose publish-path writes report a Redis failure instead of failing
 * the publish (which would make aedes drop the publishing device), and whose retained messages
 * come as a stream: aedes 1.2 pipes what createRetainedStreamCombi returns
 * (lib/handlers/subscribe.js), while aedes-persistence-redis 11.2's async class returns an
 * async generator, so any SUBSCRIBE ended in "stream.pipe is not a function" (found here;
 * aedes-persistence 11 and aedes-persistence-level wrap theirs in Readable.from, as done here).
 */
export class TolerantRedisPersistence extends AsyncRedisPersistence {
  constructor(
    private readonly conn: Redis,
    private readonly degraded: (op: string, err: Error) => void,
    /**
     * Whether this node heard Redis long enough to tell a silent broker from a dead one: after
     * an outage of its own, every other broker's heartbeat is missing, and aedes would take
     * them all for dead and publish every will of their devices (connected all along).
     */
    private readonly mayJudgeBrokers: () => boolean = () => true,
    private readonly wills: WillSweepOptions = {},
  ) {
    super({ conn });
  }

  /** Whether `clientId` is connected to this node now (aedes' own map of its clients, unless told otherwise). */
  private connectedHere(clientId: string): boolean {
    if (this.wills.connectedHere) return this.wills.connectedHere(clientId);
    // aedes-persistence-redis keeps the aedes instance setup() was given (its `broker` getter, untyped).
    const aedes = (this as unknown as { broker?: { clients?: Record<string, unknown> } }).broker;
    return aedes?.clients?.[clientId] !== undefined;
  }

  /**
   * The wills of dead brokers (those not in `brokers`, aedes' map of brokers heard lately), for
   * aedes' periodic sweep. aedes-persistence-redis 11.2 reads only the first 10,001 entries of
   * the will list (a city's node holds more devices than that: the rest would never be
   * published) and fetches every will before it looks at whose it is (every sweep read every
   * device's will); here the whole list is read once, as a snapshot, and only dead brokers'
   * wills are fetched. Nothing while this node cannot judge (mayJudgeBrokers).
   */
  override async *streamWill(brokers?: Record<string, unknown>): AsyncGenerator<unknown> {
    if (!this.mayJudgeBrokers()) return; // the next sweep judges, once heartbeats were heard again
    const keys = await this.conn.lrange(WILLS, 0, -1);
    for (const key of keys) {
      const parts = willKeyParts(key);
      if (brokers && parts && brokers[parts.brokerId] !== undefined) continue;
      // A dead node's will for a client connected here now is obsolete: the client came back
      // (through the balancer) and its old will would say it is offline. The drop at its
      // connect (dropWillsElsewhere) should have removed it; this holds if that did not.
      if (parts && this.connectedHere(parts.clientId)) {
        await this.conn.del(key);
        await this.conn.lrem(WILLS, 0, key);
        this.wills.obsolete?.();
        continue;
      }
      const value = await this.conn.getBuffer(key);
      if (value) yield msgpack.decode(value);
      else await this.conn.lrem(WILLS, 0, key); // dangling entry
    }
  }

  /**
   * A client connected here: the wills other brokers stored for the same client id are
   * obsolete. A live broker whose connection of it is taken over publishes that connection's
   * will from memory, not from here; a dead broker's stored will would be published by the
   * sweep after the device came back (a false `offline`). Returns how many were dropped.
   */
  async dropWillsElsewhere(clientId: string, brokerIds: Iterable<string>): Promise<number> {
    let dropped = 0;
    for (const brokerId of brokerIds) {
      const key = willKey(brokerId, clientId);
      if ((await this.conn.del(key)) === 0) continue;
      dropped++;
      await this.conn.lrem(WILLS, 0, key);
    }
    return dropped;
  }

  override async storeRetained(packet: { topic: string; payload: Buffer }): Promise<void> {
    try {
      await super.storeRetained(packet);
    } catch (err) {
      this.degraded('storeRetained', err as Error);
    }
  }

  override createRetainedStreamCombi(patterns: string[]): Readable {
    const source = super.createRetainedStreamCombi(patterns);
    const degraded = this.degraded;
    // aedes pipes this stream without an 'error' listener: a Redis failure while retained
    // messages are looked up (a SUBSCRIBE during an outage) would be an uncaught exception.
    // The subscription goes ahead without its retained messages instead.
    async function* orNothing(): AsyncGenerator<unknown> {
      try {
        yield* source;
      } catch (err) {
        degraded('retained', err as Error);
      }
    }
    return Readable.from(orNothing());
  }

  override createRetainedStream(pattern: string): Readable {
    return this.createRetainedStreamCombi([pattern]);
  }

  override async outgoingEnqueueCombi(subs: { clientId: string; topic: string; qos: number }[], packet: unknown): Promise<void> {
    try {
      await super.outgoingEnqueueCombi(subs, packet);
    } catch (err) {
      this.degraded('outgoingEnqueueCombi', err as Error);
    }
  }
}

export function createRedisTransport(opts: RedisTransportOptions): RedisTransport {
  const { log, counters } = opts;
  const name = (role: string): string => `gw:${opts.nodeId ?? process.pid}:${role}`.replace(/\s/g, '-');
  // Reconnect within a second of Redis coming back (ioredis' default grows to 2 s).
  const base: RedisOptions = { retryStrategy: (times) => Math.min(times * 100, 1000) };
  const pubConn = new Redis(opts.url, { ...base, connectionName: name('pub'), maxRetriesPerRequest: 2, commandTimeout: 2000 });
  const subConn = new Redis(opts.url, { ...base, connectionName: name('sub'), maxRetriesPerRequest: null });
  const dataConn = new Redis(opts.url, { ...base, connectionName: name('data'), maxRetriesPerRequest: 2, commandTimeout: 5000 });
  const conns = [pubConn, subConn, dataConn];
  // aedes-persistence-redis sends LREM/RPUSH for wills without awaiting them, and
  // mqemitter-redis QUITs on close the same way: with Redis down each refusal was an unhandled
  // rejection, which ends a Node process (measured: a node stopping during an outage died so).
  handledWhenIgnored(dataConn, ['lrem', 'rpush']);
  handledWhenIgnored(pubConn, ['quit']);
  // ioredis itself sends the subscriber's SUBSCRIBE/PSUBSCRIBE again each time it reconnects
  // (autoResubscribe) and ignores the answer: a node stopped while that is unanswered (Redis
  // back, then hung) had its refusal at disconnect() as an unhandled rejection (found in a full
  // test run: "Connection is closed.").
  handledWhenIgnored(subConn, ['quit', ...RESUBSCRIBE_COMMANDS]);

  // One warning per outage and one line when it ends, not one per reconnect attempt.
  let up = false;
  /** Since when every connection is up (undefined while one is not). */
  let upSince: number | undefined;
  const check = (): void => {
    const now = conns.every((c) => c.status === 'ready');
    if (now === up) return;
    up = now;
    upSince = now ? Date.now() : undefined;
    if (now) log.info('redis connected: MQTT across nodes');
    else {
      counters.inc('cluster.redis.outages');
      log.warn('redis unreachable: MQTT stays within this node until it returns');
    }
  };
  for (const c of conns) {
    c.on('ready', check);
    c.on('close', check);
    c.on('error', (err: Error) => log.debug({ err: err.message }, 'redis connection error'));
  }

  const degraded = (op: string, err: Error): void => {
    counters.inc('cluster.redis.degraded');
    log.debug({ op, err: err.message }, 'redis write skipped');
  };
  const mq = new LocalFirstEmitter({
    origin: randomUUID(),
    pubConn,
    subConn,
    ...(opts.concurrency !== undefined ? { concurrency: opts.concurrency } : {}),
    onRemoteError: (err) => degraded('publish', err),
  });
  // Another broker is dead after 3 heartbeats unheard: only if this node listened all that time.
  const heartbeatMs = opts.heartbeatMs ?? 60_000;
  const persistence = new TolerantRedisPersistence(
    dataConn,
    degraded,
    () => {
      const judging = upSince !== undefined && Date.now() - upSince >= 3 * heartbeatMs;
      if (!judging) counters.inc('cluster.mqtt.will-sweep-deferred');
      return judging;
    },
    { obsolete: () => counters.inc('cluster.mqtt.wills-dropped') },
  );

  return {
    mq,
    persistence,
    connected: () => conns.every((c) => c.status === 'ready'),
    close: async () => {
      const destroyed = persistence.destroy().catch((err: Error) => log.debug({ err: err.message }, 'redis persistence close failed'));
      await Promise.race([destroyed, new Promise((r) => setTimeout(r, 2000))]);
      for (const c of conns) c.disconnect();
    },
  };
}
