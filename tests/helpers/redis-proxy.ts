/**
 * A TCP proxy on 127.0.0.1 in front of a test Redis, for outages a stopped or paused server
 * cannot make: `swallowSubscribes()` drops every connection once (a network blip) and then hangs
 * each connection at its first SUBSCRIBE (nothing from it reaches Redis any more), as a Redis
 * that hung right after it came back.
 */
import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

export interface RedisProxy {
  url: string;
  /** SUBSCRIBE commands held back so far. */
  swallowed(): number;
  swallowSubscribes(): void;
  close(): Promise<void>;
}

export async function startRedisProxy(redisUrl: string): Promise<RedisProxy> {
  const target = new URL(redisUrl);
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
      // RESP: a SUBSCRIBE is an array whose first bulk string is the command name.
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
