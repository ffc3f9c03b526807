/**
 * The gateway's MQTT persistence (gateway/broker/indexed-persistence.ts) over a real
 * classic-level database: aedes-persistence's own conformance suite (abstract.js, the one every
 * aedes persistence runs), then what the in-memory presence record adds: a client with nothing
 * stored is answered without the disk, a client with something stored is found again after a
 * restart, and clearing takes effect.
 */
import assert from 'node:assert';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { IndexedLevelPersistence } from '../../../gateway/broker/indexed-persistence.js';
import { tempDir } from '../../helpers/gateway.js';

const require = createRequire(import.meta.url);
type Context = { assert: typeof assert; diagnostic: (msg: string) => void; plan: (n: number) => void };
const abstractPersistence = require('aedes-persistence/abstract.js') as (opts: {
  test: (name: string, fn: (t: Context) => Promise<void>) => void;
  persistence: () => unknown;
  testAsync: boolean;
}) => void;

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function freshDb(dir = tempDir('gw-persist-')): { db: ClassicLevel<string, string>; dir: string } {
  dirs.push(dir);
  return { db: new ClassicLevel<string, string>(join(dir, 'mqtt')), dir };
}

/**
 * node:test's test(name, t => …) under vitest: t.assert is node:assert, as under node:test, and
 * t.plan(n) fails the test unless exactly n assertions ran.
 */
async function runAsNodeTest(fn: (t: Context) => Promise<void>): Promise<void> {
  let planned: number | undefined;
  let ran = 0;
  const counted = new Proxy(assert, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        ran++;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  await fn({ assert: counted, diagnostic: () => undefined, plan: (n) => (planned = n) });
  if (planned !== undefined) expect(ran, 'assertions run against t.plan()').toBe(planned);
}

describe('IndexedLevelPersistence: aedes-persistence conformance suite', () => {
  abstractPersistence({
    test: (name, fn) => it(name, () => runAsNodeTest(fn)),
    persistence: () => new IndexedLevelPersistence(freshDb().db),
    testAsync: true,
  });
});

const broker = { id: 'broker-1' };
const will = (id: string) => ({ cmd: 'publish', topic: `campus/v1/s/${id}/status`, payload: Buffer.from('offline'), qos: 1, retain: true });
const packet = (messageId: number) => ({ cmd: 'publish', topic: 'campus/v1/s/d/cmd', payload: Buffer.from('x'), qos: 1, retain: false, brokerId: broker.id, brokerCounter: messageId, messageId });

async function collect(stream: NodeJS.ReadableStream): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const x of stream) out.push(x);
  return out;
}

describe('IndexedLevelPersistence: presence of client state', () => {
  it('answers a client with nothing stored without reading or clearing the disk', async () => {
    const { db } = freshDb();
    const p = new IndexedLevelPersistence(db);
    await p.setup(broker);
    try {
      const reads = [vi.spyOn(db, 'get'), vi.spyOn(db, 'values'), vi.spyOn(db, 'clear'), vi.spyOn(db, 'iterator')];
      const client = { id: 'sch-01-btn-1' };
      // What aedes does for a clean-session CONNECT and its disconnect (handlers/connect.js, client.js).
      await p.cleanSubscriptions(client);
      await p.cleanIncoming(client);
      expect(await p.delWill(client)).toBeUndefined();
      expect(await p.getWill(client)).toBeUndefined();
      expect(await p.subscriptionsByClient(client)).toStrictEqual([]);
      expect(await collect(p.outgoingStream(client))).toStrictEqual([]);
      for (const spy of reads) expect(spy).not.toHaveBeenCalled();
    } finally {
      await p.destroy();
    }
  });

  it("finds a client's will, subscriptions, inbound and outbound messages again after a restart, and forgets what was cleared", async () => {
    const { db, dir } = freshDb();
    const a = { id: 'sch-01-btn-1' };
    const b = { id: 'sch:02/btn 2' }; // characters the key encoding escapes
    let p = new IndexedLevelPersistence(db);
    await p.setup(broker);
    await p.putWill(a, will(a.id));
    await p.putWill(b, will(b.id));
    await p.addSubscriptions(a, [{ topic: 'campus/v1/s/a/cmd', qos: 1 }]);
    await p.incomingStorePacket(a, packet(7));
    await p.outgoingEnqueue({ clientId: b.id }, packet(9));
    await p.destroy();

    p = new IndexedLevelPersistence(new ClassicLevel<string, string>(join(dir, 'mqtt')));
    await p.setup(broker);
    try {
      expect([p.presentCount('will'), p.presentCount('subscriptions'), p.presentCount('incoming'), p.presentCount('outgoing')]).toStrictEqual([2, 1, 1, 1]);
      expect(await p.getWill(b)).toMatchObject({ topic: `campus/v1/s/${b.id}/status`, clientId: b.id });
      expect(await p.subscriptionsByClient(a)).toStrictEqual([{ topic: 'campus/v1/s/a/cmd', qos: 1 }]);
      expect(await p.incomingGetPacket(a, { messageId: 7 })).toMatchObject({ messageId: 7 });
      expect(await collect(p.outgoingStream(b))).toMatchObject([{ cmd: 'publish', topic: 'campus/v1/s/d/cmd', payload: Buffer.from('x'), qos: 1, brokerId: broker.id, brokerCounter: 9 }]);

      expect(await p.delWill(a)).toMatchObject({ clientId: a.id });
      await p.cleanSubscriptions(a);
      await p.cleanIncoming(a);
      expect(await p.getWill(a)).toBeUndefined();
      expect(await p.subscriptionsByClient(a)).toStrictEqual([]);
      await expect(p.incomingGetPacket(a, { messageId: 7 })).rejects.toThrow('no such packet');
      expect([p.presentCount('will'), p.presentCount('subscriptions'), p.presentCount('incoming')]).toStrictEqual([1, 0, 0]);
    } finally {
      await p.destroy();
    }
  });

  it('keeps a client whose clearing failed, so the next clear tries the disk again', async () => {
    const { db } = freshDb();
    const p = new IndexedLevelPersistence(db);
    await p.setup(broker);
    try {
      const a = { id: 'sch-01-btn-1' };
      await p.incomingStorePacket(a, packet(3));
      const clear = vi.spyOn(db, 'clear').mockRejectedValueOnce(new Error('disk says no'));
      await expect(p.cleanIncoming(a)).rejects.toThrow('disk says no');
      expect(p.presentCount('incoming')).toBe(1);
      await p.cleanIncoming(a);
      expect(clear).toHaveBeenCalledTimes(2);
      await expect(p.incomingGetPacket(a, { messageId: 3 })).rejects.toThrow('no such packet');
    } finally {
      await p.destroy();
    }
  });
});
