/**
 * Cluster mode's Redis transport (redis-transport.ts) stopping while ioredis's own resubscribe
 * is unanswered: after a reconnect, ioredis sends the subscriber connection's SUBSCRIBE again by
 * itself and ignores the answer; a node stopped before Redis answers it (Redis back, then hung)
 * had that command refused at disconnect() as an unhandled rejection ("Connection is closed."),
 * which ends a Node process. A real Redis behind a TCP proxy on 127.0.0.1: the proxy drops the
 * connections once (a network blip) and then hangs a connection at its SUBSCRIBE, so the
 * resubscribe waits, as on a Redis that hung right after it came back.
 */
import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisTransport, type RedisTransport } from '../../../gateway/broker/redis-transport.js';
import { startTestRedis, type TestRedis } from '../../helpers/redis.js';

let redis: TestRedis;

beforeAll(async () => {
  redis = await startTestRedis();
});

afterAll(async () => {
  await redis?.stop();
});

/** A TCP proxy to Redis that can drop its connections and then hang each at its first SUBSCRIBE (nothing after it reaches Redis). */
async function startProxy(target: URL): Promise<{ url: string; sockets: Set<Socket>; swallowed: () => number; swallowSubscribes: () => void; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  let swallow = false;
  let swallowed = 0;
  const server: Server = createServer((client) => {
    const upstream = createConnection({ host: '127.0.0.1', port: Number(target.port) });
    sockets.add(client).add(upstream);
    const gone = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', gone).on('error', gone);
    upstream.on('close', gone).on('error', gone);
    let hung = false;
    client.on('data', (chunk: Buffer) => {
      // RESP: a SUBSCRIBE is an array whose first bulk string is the command name. From it on,
      // this connection's Redis looks hung: nothing more reaches it.
      if (swallow && /\r\n(p|s)?subscribe\r\n/i.test(chunk.toString('latin1'))) {
        swallowed++;
        hung = true;
      }
      if (!hung) upstream.write(chunk);
    });
    upstream.pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `redis://127.0.0.1:${(server.address() as AddressInfo).port}`,
    sockets,
    swallowed: () => swallowed,
    swallowSubscribes: () => {
      swallow = true;
      for (const s of [...sockets]) s.destroy();
    },
    close: async () => {
      for (const s of [...sockets]) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

async function until(what: string, ok: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('redis transport stopping while ioredis resubscribes', () => {
  it('stops without an unhandled rejection while the resubscribe after a reconnect is unanswered', async () => {
    const proxy = await startProxy(new URL(redis.url));
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    let transport: RedisTransport | undefined;
    try {
      transport = createRedisTransport({ url: proxy.url, log: pino({ level: 'silent' }), counters: { inc: () => undefined } });
      const t = transport;
      await until('the connections', () => t.connected());
      // A subscription made while Redis answers: ioredis keeps it, to send again after a reconnect.
      await new Promise<void>((r) => t.mq.on('campus/v1/s1/btn-1/cmd', (_m, cb) => cb(), () => r()));
      // A network blip: every connection drops, and from now on no SUBSCRIBE reaches Redis.
      proxy.swallowSubscribes();
      await until('the reconnect and its resubscribe', () => t.connected() && proxy.swallowed() > 0);
      // The node stops: the emitter, then the persistence and connections (broker.ts close()).
      await new Promise<void>((r) => t.mq.close(() => r()));
      await t.close();
      transport = undefined;
      // A refusal nobody handles is reported at the end of the turn it happened in.
      await new Promise((r) => setTimeout(r, 200));
      expect(unhandled.map((e) => (e instanceof Error ? e.message : String(e)))).toStrictEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      await transport?.close();
      await proxy.close();
    }
  });
});
