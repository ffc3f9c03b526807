declare module 'aedes-persistence-redis/asyncPersistence.js' {
  import type { Redis } from 'ioredis';
  /**
   * aedes 1.x async persistence over Redis (aedes-persistence-redis 11): sessions, subscriptions
   * (mirrored in an in-memory trie kept in step across brokers through the emitter), offline
   * queues, retained messages and wills. Only what the gateway calls is declared.
   */
  export default class AsyncRedisPersistence {
    constructor(opts: { conn: Redis; maxSessionDelivery?: number; packetTTL?: (packet: unknown) => number });
    setup(broker: unknown): Promise<void>;
    storeRetained(packet: { topic: string; payload: Buffer }): Promise<void>;
    /** An async generator of retained packets (not a stream). */
    createRetainedStreamCombi(patterns: string[]): AsyncIterable<unknown>;
    createRetainedStream(pattern: string): AsyncIterable<unknown>;
    outgoingEnqueueCombi(subs: { clientId: string; topic: string; qos: number }[], packet: unknown): Promise<void>;
    /** Wills of the brokers not in `brokers` (aedes' sweep of dead brokers). */
    streamWill(brokers?: Record<string, unknown>): AsyncIterable<unknown>;
    destroy(): Promise<void>;
  }
}
