declare module 'aedes-persistence-level/asyncPersistence.js' {
  import type { Readable } from 'node:stream';
  interface ClientRef {
    id: string;
  }
  interface Subscription {
    topic: string;
    qos: number;
  }
  /** aedes 1.x async persistence over a level database (classic-level or level); the methods the gateway overrides or calls. */
  export default class AsyncLevelPersistence {
    constructor(db: object);
    setup(broker: unknown): Promise<void>;
    storeRetained(packet: { topic: string; payload: Buffer }): Promise<void>;
    createRetainedStream(pattern: string): Readable;
    createRetainedStreamCombi(patterns: string[]): Readable;
    addSubscriptions(client: ClientRef, subs: Subscription[]): Promise<void>;
    removeSubscriptions(client: ClientRef, topics: string[]): Promise<void>;
    subscriptionsByClient(client: ClientRef): Promise<Subscription[]>;
    cleanSubscriptions(client: ClientRef): Promise<void>;
    outgoingEnqueue(sub: { clientId: string }, packet: unknown): Promise<void>;
    outgoingUpdate(client: ClientRef, packet: unknown): Promise<void>;
    outgoingStream(client: ClientRef): Readable;
    incomingStorePacket(client: ClientRef, packet: unknown): Promise<void>;
    incomingGetPacket(client: ClientRef, packet: { messageId: number }): Promise<unknown>;
    cleanIncoming(client: ClientRef): Promise<void>;
    putWill(client: ClientRef, packet: unknown): Promise<void>;
    getWill(client: ClientRef): Promise<unknown>;
    delWill(client: ClientRef): Promise<unknown>;
    destroy(): Promise<void>;
  }
}
