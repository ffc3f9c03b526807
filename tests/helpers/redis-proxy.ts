/**
 * A TCP proxy (tcp-proxy.ts) in front of a test Redis: `swallowSubscribes()` drops every
 * connection once (a network blip) and then hangs each connection at its first SUBSCRIBE
 * (nothing from it reaches Redis any more), as a Redis that hung right after it came back.
 */
import { startTcpProxy } from './tcp-proxy.js';

export interface RedisProxy {
  url: string;
  /** SUBSCRIBE commands held back so far. */
  swallowed(): number;
  swallowSubscribes(): void;
  close(): Promise<void>;
}

export async function startRedisProxy(redisUrl: string): Promise<RedisProxy> {
  let swallow = false;
  let swallowed = 0;
  const hung = new WeakSet<object>();
  const proxy = await startTcpProxy(Number(new URL(redisUrl).port), {
    onClientData: (chunk, connection) => {
      // RESP: a SUBSCRIBE is an array whose first bulk string is the command name.
      if (swallow && !hung.has(connection) && /\r\n(p|s)?subscribe\r\n/i.test(chunk.toString('latin1'))) {
        swallowed++;
        hung.add(connection);
      }
      return !hung.has(connection);
    },
  });
  return {
    url: `redis://127.0.0.1:${proxy.port}`,
    swallowed: () => swallowed,
    swallowSubscribes: () => {
      swallow = true;
      proxy.dropAll();
    },
    close: () => proxy.close(),
  };
}
