/**
 * aedes-persistence-level with retained messages indexed in memory, and an in-memory record of
 * which clients have anything stored, so that a device's connect does not ask the disk about
 * state it never had.
 *
 * Retained messages: aedes sends the retained messages matching every new subscription
 * [MQTT-3.3.1-6]; the level persistence finds them by decoding every retained message in the
 * database (asyncPersistence.js retainedMessagesByPattern). With one retained status per device,
 * each SUBSCRIBE costs O(devices) and a district reconnecting costs O(devices²): measured at
 * about 131 s of CPU for 4,000 devices (bench/README.md). Here the retained set is read once at
 * start, kept in a Map (topic → packet), and a subscription without wildcards is one lookup.
 *
 * Presence: a clean-session CONNECT makes aedes clean the client's subscriptions (an iterator),
 * clear its inbound QoS 2 store (a range delete), look up and delete its previous will (a get)
 * and stream its outgoing queue (an iterator), and a disconnect clears the inbound store again.
 * For a device that has none of these, that was a quarter of the gateway's CPU while a district
 * connected (CPU profile, connections at 19,000 devices). The keys of each kind are read once at
 * start into a Set of client ids, every write adds its client, and a client not in the Set is
 * answered without the disk. The Sets may hold a client that has nothing left (removing single
 * subscriptions or outgoing messages does not take it out): that only costs a disk read, as
 * before. A client is taken out before the disk is cleared and put back if clearing fails, so a
 * write racing the clear is never forgotten.
 *
 * Every write goes to disk as before (the retained index is updated as the write starts), so
 * nothing more is lost across a crash than aedes itself risks.
 */
import { Readable } from 'node:stream';
import AsyncLevelPersistence from 'aedes-persistence-level/asyncPersistence.js';
import type { ClassicLevel } from 'classic-level';
import { topicMatches } from '../contract/topics.js';

interface RetainedPacket {
  cmd: 'publish';
  topic: string;
  payload: Buffer;
  qos: number;
  retain: boolean;
}

/** What the persistence needs of an aedes client. */
interface ClientRef {
  id: string;
}

/** A subscription as aedes stores it. */
interface Subscription {
  topic: string;
  qos: number;
}

/** Key prefixes of aedes-persistence-level 11 (asyncPersistence.js), each followed by encodeURIComponent(clientId). */
const PRESENCE_PREFIXES = { subscriptions: 'subscriptions:', outgoing: 'outgoing:', incoming: 'incoming:', will: 'will:' } as const;
type PresenceKind = keyof typeof PRESENCE_PREFIXES;

/** The client id in a key of one of PRESENCE_PREFIXES (`will:<id>`, `incoming:<id>:<messageId>`, …). */
function clientOfKey(key: string, prefix: string): string {
  const end = key.indexOf(':', prefix.length);
  return decodeURIComponent(key.slice(prefix.length, end < 0 ? undefined : end));
}

export class IndexedLevelPersistence extends AsyncLevelPersistence {
  private readonly retained = new Map<string, RetainedPacket>();
  /** Clients that may have something of each kind on disk (see the file comment). */
  private readonly present: Record<PresenceKind, Set<string>> = { subscriptions: new Set(), outgoing: new Set(), incoming: new Set(), will: new Set() };

  constructor(private readonly level: ClassicLevel<string, string>) {
    super(level);
  }

  override async setup(broker: unknown): Promise<void> {
    await super.setup(broker);
    for await (const p of super.createRetainedStream('#') as AsyncIterable<RetainedPacket>) this.index(p);
    for (const [kind, prefix] of Object.entries(PRESENCE_PREFIXES) as [PresenceKind, string][]) {
      const upper = `${prefix.slice(0, -1)};`;
      for await (const key of this.level.keys({ gte: prefix, lt: upper })) this.present[kind].add(clientOfKey(key, prefix));
    }
  }

  /** How many clients have something of `kind` recorded (for tests). */
  presentCount(kind: PresenceKind): number {
    return this.present[kind].size;
  }

  override async addSubscriptions(client: ClientRef, subs: Subscription[]): Promise<void> {
    this.present.subscriptions.add(client.id);
    await super.addSubscriptions(client, subs);
  }

  override async subscriptionsByClient(client: ClientRef): Promise<Subscription[]> {
    if (!this.present.subscriptions.has(client.id)) return [];
    return super.subscriptionsByClient(client);
  }

  /** As aedes-persistence-level's, reading the disk only for a client that may have subscriptions. */
  override async cleanSubscriptions(client: ClientRef): Promise<void> {
    await this.clearing('subscriptions', client.id, async () => {
      const subs = await super.subscriptionsByClient(client);
      if (subs.length > 0) await this.removeSubscriptions(client, subs.map((sub) => sub.topic));
    });
  }

  override async outgoingEnqueue(sub: { clientId: string }, packet: unknown): Promise<void> {
    this.present.outgoing.add(sub.clientId);
    await super.outgoingEnqueue(sub, packet);
  }

  override async outgoingUpdate(client: ClientRef, packet: unknown): Promise<void> {
    this.present.outgoing.add(client.id);
    await super.outgoingUpdate(client, packet);
  }

  override outgoingStream(client: ClientRef): Readable {
    return this.present.outgoing.has(client.id) ? super.outgoingStream(client) : Readable.from([]);
  }

  override async incomingStorePacket(client: ClientRef, packet: unknown): Promise<void> {
    this.present.incoming.add(client.id);
    await super.incomingStorePacket(client, packet);
  }

  override async cleanIncoming(client: ClientRef): Promise<void> {
    await this.clearing('incoming', client.id, () => super.cleanIncoming(client));
  }

  override async putWill(client: ClientRef, packet: unknown): Promise<void> {
    this.present.will.add(client.id);
    await super.putWill(client, packet);
  }

  override async getWill(client: ClientRef): Promise<unknown> {
    return this.present.will.has(client.id) ? super.getWill(client) : undefined;
  }

  override async delWill(client: ClientRef): Promise<unknown> {
    let will: unknown;
    await this.clearing('will', client.id, async () => {
      will = await super.delWill(client);
    });
    return will;
  }

  /**
   * Runs `clear` (which removes everything of `kind` the client has on disk) only if the client
   * may have something; takes the client out first, so that a write landing meanwhile puts it
   * back, and puts it back if clearing fails.
   */
  private async clearing(kind: PresenceKind, id: string, clear: () => Promise<void>): Promise<void> {
    const set = this.present[kind];
    if (!set.has(id)) return;
    set.delete(id);
    try {
      await clear();
    } catch (err) {
      set.add(id);
      throw err;
    }
  }

  /**
   * The index first, then the disk: a subscriber arriving while the write is on its way gets what
   * was published, not what it replaced (aedes acknowledges a publish before it stores it, so a
   * client could clear a retained message and subscribe again before the clear reached the disk).
   * Durability is the disk's, as before.
   */
  override async storeRetained(packet: RetainedPacket): Promise<void> {
    this.index(packet);
    await super.storeRetained(packet);
  }

  override createRetainedStream(pattern: string): Readable {
    return Readable.from(this.matching([pattern]));
  }

  override createRetainedStreamCombi(patterns: string[]): Readable {
    return Readable.from(this.matching(patterns));
  }

  /** How many retained messages are held (for tests and /api/health). */
  get retainedCount(): number {
    return this.retained.size;
  }

  private index(p: RetainedPacket): void {
    if (p.payload.length === 0) this.retained.delete(p.topic);
    // A copy of every field, as the disk keeps them (MQTT 5 properties included): aedes builds
    // a new Packet from it for each subscriber.
    else this.retained.set(p.topic, { ...p });
  }

  private *matching(patterns: string[]): Generator<RetainedPacket> {
    const seen = new Set<string>();
    for (const pattern of patterns) {
      if (!pattern.includes('+') && !pattern.includes('#')) {
        const p = this.retained.get(pattern);
        if (p && !seen.has(p.topic)) {
          seen.add(p.topic);
          yield p;
        }
        continue;
      }
      for (const p of this.retained.values()) {
        if (!seen.has(p.topic) && topicMatches(pattern, p.topic)) {
          seen.add(p.topic);
          yield p;
        }
      }
    }
  }
}
