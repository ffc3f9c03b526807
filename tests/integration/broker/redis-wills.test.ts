/**
 * The will store of cluster mode (redis-transport.ts, TolerantRedisPersistence) on a real Redis:
 * aedes' sweep of dead brokers gets every will a dead broker left, beyond the 10,001 that
 * aedes-persistence-redis 11.2 reads, and none of a live broker's, nor any while this node
 * cannot judge; a client that connected elsewhere has the wills other brokers stored for it dropped.
 */
import { createRequire } from 'node:module';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TolerantRedisPersistence } from '../../../gateway/broker/redis-transport.js';
import { startTestRedis, type TestRedis } from '../../helpers/redis.js';

// The encoding aedes-persistence-redis writes wills in (its own msgpack-lite).
const msgpack = createRequire(createRequire(import.meta.url).resolve('aedes-persistence-redis/asyncPersistence.js'))('msgpack-lite') as { encode(v: unknown): Buffer };

let redis: TestRedis;
let conn: Redis;
let persistence: TolerantRedisPersistence;
const degraded: string[] = [];

beforeAll(async () => {
  redis = await startTestRedis();
  conn = new Redis(redis.url);
  persistence = new TolerantRedisPersistence(conn, (op) => degraded.push(op));
});

afterAll(async () => {
  conn?.disconnect();
  await redis?.stop();
});

/** Stores wills as aedes-persistence-redis' putWill does: the key in the `will` list, the packet under it. */
async function putWills(brokerId: string, clientIds: string[]): Promise<void> {
  const pipe = conn.pipeline();
  for (const id of clientIds) {
    const key = `will:${brokerId}:${encodeURIComponent(id)}`;
    pipe.rpush('will', key);
    pipe.set(key, msgpack.encode({ topic: `campus/v1/s/${id}/status`, payload: Buffer.from('offline'), qos: 1, retain: true, clientId: id, brokerId }));
  }
  await pipe.exec();
}

async function sweep(brokers: Record<string, number>): Promise<{ clientId: string; brokerId: string }[]> {
  const out: { clientId: string; brokerId: string }[] = [];
  for await (const will of persistence.streamWill(brokers)) out.push(will as { clientId: string; brokerId: string });
  return out;
}

describe('wills in Redis (cluster mode)', () => {
  it("hands the sweep every will of a dead broker, past 10,001 of them, and none of a live broker's", async () => {
    await conn.flushall();
    const dead = Array.from({ length: 10_050 }, (_v, i) => `dev-${i}`);
    await putWills('dead-node', dead);
    await putWills('live-node', ['dev-live-1', 'dev-live-2']);
    // A list entry whose will is gone (deleted between the two writes of another node) is cleaned up.
    await conn.rpush('will', 'will:dead-node:gone');
    const wills = await sweep({ 'live-node': Date.now() });
    expect(wills).toHaveLength(dead.length);
    expect(new Set(wills.map((w) => w.clientId))).toStrictEqual(new Set(dead));
    expect(wills.every((w) => w.brokerId === 'dead-node')).toBe(true);
    expect(await conn.lpos('will', 'will:dead-node:gone')).toBeNull();
    expect(degraded).toStrictEqual([]);
  });

  it('hands the sweep nothing while this node cannot judge (back from a Redis outage of its own): every broker would look dead', async () => {
    await conn.flushall();
    await putWills('node-a', ['btn-1']);
    let judging = false;
    const guarded = new TolerantRedisPersistence(conn, (op) => degraded.push(op), () => judging);
    const collect = async () => {
      const out: unknown[] = [];
      for await (const will of guarded.streamWill({})) out.push(will);
      return out;
    };
    expect(await collect()).toStrictEqual([]);
    judging = true;
    expect(await collect()).toHaveLength(1);
  });

  it('drops the wills other brokers stored for a client that connected here, and only those', async () => {
    await conn.flushall();
    await putWills('node-a', ['btn-1', 'btn-2']);
    await putWills('node-b', ['btn-1']);
    await putWills('node-c', ['btn-1']);
    // btn-1 connected to node-c: node-a's and node-b's wills for it are obsolete.
    expect(await persistence.dropWillsElsewhere('btn-1', ['node-a', 'node-b'])).toBe(2);
    expect(await conn.lrange('will', 0, -1)).toStrictEqual(['will:node-a:btn-2', 'will:node-c:btn-1']);
    expect(await conn.exists('will:node-a:btn-1', 'will:node-b:btn-1')).toBe(0);
    expect((await sweep({})).map((w) => `${w.brokerId}/${w.clientId}`).sort()).toStrictEqual(['node-a/btn-2', 'node-c/btn-1']);
    // Nothing to drop: nothing changes.
    expect(await persistence.dropWillsElsewhere('btn-9', ['node-a', 'node-b'])).toBe(0);
  });

  it("the sweep drops a dead broker's will for a client connected here now, instead of handing it out", async () => {
    await conn.flushall();
    // One cluster test saw the dead node's wills published for devices that had reconnected here
    // seconds before (a false offline, then device-offline alarms): the sweep itself checks.
    await putWills('dead-node', ['btn-1', 'btn 2/x', 'btn-3']);
    const here = new Set(['btn-1', 'btn 2/x']);
    let obsolete = 0;
    const local = new TolerantRedisPersistence(conn, (op) => degraded.push(op), () => true, { connectedHere: (id) => here.has(id), obsolete: () => obsolete++ });
    const out: { clientId: string }[] = [];
    for await (const will of local.streamWill({})) out.push(will as { clientId: string });
    expect(out.map((w) => w.clientId)).toStrictEqual(['btn-3']);
    expect(obsolete).toBe(2);
    expect(await conn.lrange('will', 0, -1)).toStrictEqual(['will:dead-node:btn-3']);
    expect(await conn.exists('will:dead-node:btn-1', `will:dead-node:${encodeURIComponent('btn 2/x')}`)).toBe(0);
    expect(degraded).toStrictEqual([]);
  });
});
