/**
 * EXPERIMENT, not product code: the gateway with aedes-persistence-level's retained-message
 * lookups answered from an in-memory index, to measure the fix proposed in bench/README.md
 * ("retained statuses make connecting O(N²)") without editing gateway/.
 *
 * aedes sends the retained messages matching every new subscription [MQTT-3.3.1-6]; the level
 * persistence finds them by decoding every retained message in the database
 * (asyncPersistence.js retainedMessagesByPattern), so with one retained status per device
 * each SUBSCRIBE costs O(devices). Here storeRetained also updates a Map (topic → packet) and
 * a wildcard-free pattern is one Map lookup. A product fix belongs in gateway/broker/ as a
 * wrapper persistence that builds the index at start (one scan) and delegates the rest.
 *
 * Run: npm run bench -- connections --retain-status --gateway-entry bench/experiments/gateway-retained-index.ts
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { build } from '../../gateway/app.js';
import { topicMatches } from '../../gateway/contract/topics.js';
import { loadConfig } from '../../gateway/config/load.js';
import { createLogger } from '../../gateway/logger.js';
import { serveControl } from '../lib/broker-control.js';

interface RetainedPacket {
  topic: string;
  payload: Buffer;
}
type Method = (this: object, ...args: unknown[]) => unknown;

/** Patches the persistence class the broker instantiates (same module instance as its import). */
function indexRetained(): void {
  // Resolved from the repository root (the benchmark's working directory), as gateway/broker/broker.ts resolves it.
  const require = createRequire(join(process.cwd(), 'package.json'));
  const proto = (require('aedes-persistence-level/asyncPersistence.js') as { prototype: Record<string, Method> }).prototype;
  const indexes = new WeakMap<object, Map<string, RetainedPacket>>();
  const indexOf = (self: object) => {
    let m = indexes.get(self);
    if (!m) indexes.set(self, (m = new Map()));
    return m;
  };
  const store = proto.storeRetained as Method;
  proto.storeRetained = async function (this: object, packet: unknown) {
    const p = packet as RetainedPacket;
    await store.call(this, p);
    if (p.payload.length === 0) indexOf(this).delete(p.topic);
    else indexOf(this).set(p.topic, p);
  };
  function* matching(self: object, patterns: string[]): Generator<RetainedPacket> {
    const m = indexOf(self);
    for (const pattern of patterns) {
      if (!pattern.includes('+') && !pattern.includes('#')) {
        const p = m.get(pattern);
        if (p) yield p;
      } else for (const p of m.values()) if (topicMatches(pattern, p.topic)) yield p;
    }
  }
  proto.createRetainedStream = function (this: object, pattern: unknown) {
    return Readable.from(matching(this, [pattern as string]));
  };
  proto.createRetainedStreamCombi = function (this: object, patterns: unknown) {
    return Readable.from(matching(this, patterns as string[]));
  };
}

async function main(): Promise<void> {
  indexRetained();
  const file = process.env.BENCH_GATEWAY_CONFIG;
  if (!file) throw new Error('BENCH_ERR_CONFIG: BENCH_GATEWAY_CONFIG is not set');
  const loaded = loadConfig({ files: [file] });
  const gateway = await build(loaded, { log: createLogger({ level: loaded.config.log.level }) });
  const { httpPort, mqttPort } = await gateway.listen();
  serveControl({ ready: { mqttPort, httpPort, devices: loaded.devices.length }, close: () => gateway.close() });
}

main().catch((err: unknown) => {
  process.stderr.write(`gateway-retained-index: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
