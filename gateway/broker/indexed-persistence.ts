/**
 * aedes-persistence-level with retained messages indexed in memory.
 *
 * aedes sends the retained messages matching every new subscription [MQTT-3.3.1-6]; the level
 * persistence finds them by decoding every retained message in the database
 * (asyncPersistence.js retainedMessagesByPattern). With one retained status per device, each
 * SUBSCRIBE costs O(devices) and a district reconnecting costs O(devices²): measured at about
 * 131 s of CPU for 4,000 devices (bench/README.md). Here the retained set is read once at
 * start, kept in a Map (topic → packet), and a subscription without wildcards is one lookup.
 * Writes still go to disk first, so nothing is lost across a crash.
 */
import { Readable } from 'node:stream';
import AsyncLevelPersistence from 'aedes-persistence-level/asyncPersistence.js';
import { topicMatches } from '../contract/topics.js';

interface RetainedPacket {
  cmd: 'publish';
  topic: string;
  payload: Buffer;
  qos: number;
  retain: boolean;
}

export class IndexedLevelPersistence extends AsyncLevelPersistence {
  private readonly retained = new Map<string, RetainedPacket>();

  override async setup(broker: unknown): Promise<void> {
    await super.setup(broker);
    for await (const p of super.createRetainedStream('#') as AsyncIterable<RetainedPacket>) this.index(p);
  }

  override async storeRetained(packet: RetainedPacket): Promise<void> {
    await super.storeRetained(packet);
    this.index(packet);
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
    // A copy: aedes builds a new Packet from it for each subscriber.
    else this.retained.set(p.topic, { cmd: 'publish', topic: p.topic, payload: p.payload, qos: p.qos, retain: true });
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
