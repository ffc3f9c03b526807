/**
 * Live push between nodes (gateway/cluster/live-relay.ts) over a real Redis: every other node
 * gets a change, the sender does not; nonsense on the channel and a failing listener break
 * nothing; with Redis down publish() says false at once, and after it returns the relays
 * resubscribe, tell their listeners, and carry messages again.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Counters } from '../../../gateway/core/counters.js';
import { LiveRelay, type LiveMessage } from '../../../gateway/cluster/live-relay.js';
import { redisCommand } from '../../../scripts/lib/redis-engine.js';
import { startTestRedis, type TestRedis } from '../../helpers/redis.js';

let redis: TestRedis;
const relays: LiveRelay[] = [];

async function relay(nodeId: string, counters?: Counters): Promise<{ relay: LiveRelay; got: LiveMessage[] }> {
  const r = new LiveRelay({ url: redis.url, nodeId, channel: 'test:live', ...(counters ? { counters } : {}) });
  relays.push(r);
  const got: LiveMessage[] = [];
  r.onMessage((m) => got.push(m));
  await r.start();
  return { relay: r, got };
}

async function until(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(async () => {
  redis = await startTestRedis();
});
afterEach(async () => {
  await Promise.all(relays.splice(0).map((r) => r.stop()));
});
afterAll(async () => {
  await redis?.stop();
});

describe('live relay', () => {
  it('carries a change to every other node, not back to its sender', async () => {
    const [n1, n2, n3] = await Promise.all([relay('node-1'), relay('node-2'), relay('node-3')]);
    expect(await n1.relay.publish('alarm', { id: 'a1', state: 'active' }, 1000)).toBe(true);
    await until(() => n2.got.length === 1 && n3.got.length === 1);
    const expected = [{ node: 'node-1', kind: 'alarm', at: 1000, body: { id: 'a1', state: 'active' } }];
    expect(n2.got).toStrictEqual(expected);
    expect(n3.got).toStrictEqual(expected);
    // A later message from node-2 arriving at node-1 proves node-1 was listening all along.
    await n2.relay.publish('health', { deviceId: 'btn-1', status: 'ok' }, 2000);
    await until(() => n1.got.length === 1);
    expect(n1.got).toStrictEqual([{ node: 'node-2', kind: 'health', at: 2000, body: { deviceId: 'btn-1', status: 'ok' } }]);
  });

  it('ignores what is not a relay message, and one failing listener does not stop the others', async () => {
    const counters = new Counters();
    const n1 = await relay('node-1');
    const n2 = await relay('node-2', counters);
    n2.relay.onMessage(() => {
      throw new Error('listener bug');
    });
    await redisCommand(redis.port, ['PUBLISH', 'test:live', 'not json']);
    await redisCommand(redis.port, ['PUBLISH', 'test:live', '{"v":99,"node":"x","kind":"y"}']);
    await n1.relay.publish('broadcast', { id: 'b1' }, 3000);
    await until(() => n2.got.length === 1);
    expect(n2.got).toStrictEqual([{ node: 'node-1', kind: 'broadcast', at: 3000, body: { id: 'b1' } }]);
    expect(counters.snapshot()['cluster.live.malformed']).toBe(2);
  });

  it('Redis down: publish answers false at once; back: resubscribed, listeners told, messages flow', async () => {
    const n1 = await relay('node-1');
    const n2 = await relay('node-2');
    let reconnects = 0;
    n2.relay.onReconnect(() => reconnects++);
    await redis.halt();
    try {
      await until(() => !n1.relay.connected());
      const t0 = performance.now();
      expect(await n1.relay.publish('alarm', { id: 'lost' })).toBe(false);
      expect(performance.now() - t0).toBeLessThan(50);
    } finally {
      await redis.start();
    }
    await until(() => reconnects === 1 && n1.relay.connected() && n2.relay.connected(), 10_000);
    await n1.relay.publish('alarm', { id: 'a2' }, 4000);
    await until(() => n2.got.length === 1);
    expect(n2.got).toStrictEqual([{ node: 'node-1', kind: 'alarm', at: 4000, body: { id: 'a2' } }]);
  });
});
