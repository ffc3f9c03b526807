/**
 * Cluster mode's Redis users (broker/redis-transport.ts, cluster/live-relay.ts) stopping while
 * ioredis's own resubscribe is unanswered: after a reconnect, ioredis sends the subscriber connection's SUBSCRIBE again by
 * itself and ignores the answer; a node stopped before Redis answers it (Redis back, then hung)
 * had that command refused at disconnect() as an unhandled rejection ("Connection is closed."),
 * which ends a Node process. A real Redis behind a TCP proxy on 127.0.0.1: the proxy drops the
 * connections once (a network blip) and then hangs a connection at its SUBSCRIBE, so the
 * resubscribe waits, as on a Redis that hung right after it came back.
 */
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisTransport, type RedisTransport } from '../../../gateway/broker/redis-transport.js';
import { LiveRelay } from '../../../gateway/cluster/live-relay.js';
import { errorMessage } from '../../../gateway/contract/errors.js';
import { eventually } from '../../helpers/gateway.js';
import { startTestRedis, type TestRedis } from '../../helpers/redis.js';
import { startRedisProxy } from '../../helpers/redis-proxy.js';

let redis: TestRedis;

beforeAll(async () => {
  redis = await startTestRedis();
});

afterAll(async () => {
  await redis?.stop();
});

/** Unhandled rejections from now on, by message, until off(). */
function watchUnhandled(): { messages: string[]; off(): void } {
  const messages: string[] = [];
  const on = (reason: unknown) => void messages.push(errorMessage(reason));
  process.on('unhandledRejection', on);
  return { messages, off: () => void process.off('unhandledRejection', on) };
}

describe('stopping while ioredis resubscribes', () => {
  it('the MQTT transport stops without an unhandled rejection while the resubscribe after a reconnect is unanswered', async () => {
    const proxy = await startRedisProxy(redis.url);
    const unhandled = watchUnhandled();
    let transport: RedisTransport | undefined;
    try {
      transport = createRedisTransport({ url: proxy.url, log: pino({ level: 'silent' }), counters: { inc: () => undefined } });
      const t = transport;
      await eventually(() => t.connected());
      // A subscription made while Redis answers: ioredis keeps it, to send again after a reconnect.
      await new Promise<void>((r) => t.mq.on('campus/v1/s1/btn-1/cmd', (_m, cb) => cb(), () => r()));
      // A network blip: every connection drops, and from now on no SUBSCRIBE reaches Redis.
      proxy.swallowSubscribes();
      await eventually(() => t.connected() && proxy.swallowed() > 0);
      // The node stops: the emitter, then the persistence and connections (broker.ts close()).
      await new Promise<void>((r) => t.mq.close(() => r()));
      await t.close();
      transport = undefined;
      // A refusal nobody handles is reported at the end of the turn it happened in.
      await new Promise((r) => setTimeout(r, 200));
      expect(unhandled.messages).toStrictEqual([]);
    } finally {
      unhandled.off();
      await transport?.close();
      await proxy.close();
    }
  });

  it('the live relay stops without an unhandled rejection, and within seconds, while the resubscribe after a reconnect is unanswered', async () => {
    const proxy = await startRedisProxy(redis.url);
    const unhandled = watchUnhandled();
    const relay = new LiveRelay({ url: proxy.url, nodeId: 'node-1', channel: 'test:resubscribe' });
    try {
      await relay.start();
      proxy.swallowSubscribes();
      await eventually(() => relay.connected() && proxy.swallowed() > 0);
      // Its Redis looks hung: QUIT is not answered either; stop() drops the connections instead.
      const t0 = Date.now();
      await relay.stop();
      expect(Date.now() - t0).toBeLessThan(5000);
      await new Promise((r) => setTimeout(r, 200));
      expect(unhandled.messages).toStrictEqual([]);
    } finally {
      unhandled.off();
      await relay.stop();
      await proxy.close();
    }
  });
});
