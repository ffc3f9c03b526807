/**
 * The engine launchers (scripts/lib/*-engine.ts) that the cluster tests and `npm run cluster`
 * stand on: each engine really serves, an outage keeps port and data, a fixed port already in
 * use is refused with the engine's own words, and stop() leaves no process and no folder.
 */
import { existsSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { connect, createServer, type AddressInfo, type Server } from 'node:net';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineError, startPostgres, startRedis } from '../../../scripts/lib/engines.js';
import { childrenOf, EngineProcess, procStat } from '../../../scripts/lib/engine-process.js';
import { startTestHaproxy } from '../../helpers/haproxy.js';
import { startTestPostgres, type TestPostgres } from '../../helpers/postgres.js';
import { startTestRedis, type TestRedis } from '../../helpers/redis.js';

const alive = (pid: number | undefined): boolean => {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function query<T extends pg.QueryResultRow>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  await c.connect();
  try {
    return (await c.query<T>(sql, params)).rows;
  } finally {
    await c.end();
  }
}

describe('PostgreSQL launcher', () => {
  let server: TestPostgres;
  beforeAll(async () => {
    server = await startTestPostgres();
  });
  afterAll(async () => {
    const pid = server?.pid();
    await server?.stop();
    expect(alive(pid)).toBe(false);
    expect(existsSync(server.dir)).toBe(false);
  });

  it('serves the gw superuser on loopback; halt() then start() keeps the port and the data', async () => {
    const url = await server.freshDatabase();
    await query(url, 'CREATE TABLE t (v int)');
    await query(url, 'INSERT INTO t VALUES (42)');
    expect(await query(url, 'SELECT current_user AS u, inet_server_addr()::text AS addr')).toStrictEqual([{ u: 'gw', addr: '127.0.0.1/32' }]);
    const port = server.port;
    await server.halt();
    expect(server.pid()).toBeUndefined();
    await expect(query(url, 'SELECT 1')).rejects.toThrow(/ECONNREFUSED/);
    await server.start();
    expect(server.port).toBe(port);
    expect(await query(url, 'SELECT v FROM t')).toStrictEqual([{ v: 42 }]);
  });

  it('refuses a fixed port that is taken, with the server output', async () => {
    const err = await startPostgres({ port: server.port, durable: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineError);
    expect((err as EngineError).message).toMatch(/port \d+ is in use[\s\S]*Address already in use/);
  });
});

describe('Redis launcher', () => {
  let server: TestRedis;
  beforeAll(async () => {
    server = await startTestRedis();
  });
  afterAll(async () => {
    const pid = server?.pid();
    await server?.stop();
    expect(alive(pid)).toBe(false);
    expect(existsSync(server.dir)).toBe(false);
  });

  it('halt() then start() keeps port and data; pause() hangs it without refusing', async () => {
    const r = new Redis(server.url, { maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true });
    r.on('error', () => undefined);
    await r.connect();
    await r.set('k', 'v');
    await r.quit();
    const port = server.port;
    await server.halt();
    expect(server.pid()).toBeUndefined();
    await server.start();
    expect(server.port).toBe(port);
    const again = new Redis(server.url, { commandTimeout: 500, maxRetriesPerRequest: 0 });
    again.on('error', () => undefined);
    expect(await again.get('k')).toBe('v');
    server.pause();
    await expect(again.ping()).rejects.toThrow(/timed out/i);
    server.resume();
    expect(await again.ping()).toBe('PONG');
    again.disconnect();
  });

  it('refuses a fixed port that is taken', async () => {
    await expect(startRedis({ port: server.port })).rejects.toThrow(/port \d+ is in use[\s\S]*Address already in use/);
  });
});

describe('HAProxy launcher', () => {
  const servers: (HttpServer | Server)[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  });
  const listen = async <S extends HttpServer | Server>(s: S): Promise<number> => {
    servers.push(s);
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    return (s.address() as AddressInfo).port;
  };

  it('balances HTTP over healthy nodes only and carries TCP to the node whose health answers', async () => {
    let healthyB = true;
    const node = (name: string, healthy: () => boolean) =>
      createHttpServer((req, res) => {
        if (req.url === '/api/health') res.writeHead(healthy() ? 200 : 503).end();
        else res.end(name);
      });
    const httpA = await listen(node('a', () => true));
    const httpB = await listen(node('b', () => healthyB));
    const tcp = (name: string) => createServer((s) => s.end(name));
    const tcpA = await listen(tcp('tcp-a'));
    const tcpB = await listen(tcp('tcp-b'));
    const lb = await startTestHaproxy([
      { name: 'http', mode: 'http', servers: [{ name: 'a', host: '127.0.0.1', port: httpA, healthPort: httpA }, { name: 'b', host: '127.0.0.1', port: httpB, healthPort: httpB }] },
      { name: 'mqtt', mode: 'tcp', servers: [{ name: 'a', host: '127.0.0.1', port: tcpA, healthPort: httpA }, { name: 'b', host: '127.0.0.1', port: tcpB, healthPort: httpB }] },
    ]);
    try {
      const get = async () => (await fetch(`http://127.0.0.1:${lb.ports.http}/`)).text();
      const tcpRead = () =>
        new Promise<string>((resolve, reject) => {
          const s = connect({ port: lb.ports.mqtt ?? 0, host: '127.0.0.1' });
          let got = '';
          s.on('data', (b) => (got += b.toString()));
          s.on('end', () => resolve(got));
          s.on('error', reject);
        });
      const seen = new Set<string>();
      for (let i = 0; i < 6; i++) seen.add(await get());
      expect([...seen].sort()).toStrictEqual(['a', 'b']);
      expect(await lb.serverStates()).toStrictEqual({ 'http-nodes/a': 'UP', 'http-nodes/b': 'UP', 'mqtt-nodes/a': 'UP', 'mqtt-nodes/b': 'UP' });
      healthyB = false;
      // Down after 2 failed checks (200 ms apart) in each backend: waited for, not slept.
      const deadline = Date.now() + 5000;
      let states = await lb.serverStates();
      while ((states['http-nodes/b'] !== 'DOWN' || states['mqtt-nodes/b'] !== 'DOWN') && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
        states = await lb.serverStates();
      }
      expect(states).toStrictEqual({ 'http-nodes/a': 'UP', 'http-nodes/b': 'DOWN', 'mqtt-nodes/a': 'UP', 'mqtt-nodes/b': 'DOWN' });
      expect(await Promise.all([get(), get(), get(), get()])).toStrictEqual(['a', 'a', 'a', 'a']);
      const tcpAnswers = await Promise.all([tcpRead(), tcpRead(), tcpRead(), tcpRead()]);
      expect(tcpAnswers).toStrictEqual(['tcp-a', 'tcp-a', 'tcp-a', 'tcp-a']);
    } finally {
      const pid = lb.pid();
      await lb.stop();
      expect(alive(pid)).toBe(false);
      expect(existsSync(lb.dir)).toBe(false);
    }
  });

  it('refuses a fixed port that is taken', async () => {
    const taken = createServer();
    const port = await listen(taken);
    await expect(startTestHaproxy([{ name: 'http', mode: 'http', port, servers: [{ name: 'a', host: '127.0.0.1', port: 1 }] }])).rejects.toThrow(/in use[\s\S]*cannot bind socket/);
  });
});

describe('EngineProcess', () => {
  it('a last-resort SIGKILL takes the children of a process that does not lead its own group (a postmaster and its backends)', async () => {
    // A shell that ignores SIGTERM and has two children of its own, as a postmaster that does not
    // finish its shutdown within the grace has its backends.
    const p = new EngineProcess('parent', 'sh', ['-c', "trap '' TERM; sleep 600 & sleep 600 & echo started; wait"]);
    const pid = p.pid as number;
    await expect.poll(() => childrenOf(pid).length, { timeout: 10_000 }).toBe(2);
    const children = childrenOf(pid);
    await p.stop('SIGTERM', 200);
    expect(alive(pid)).toBe(false);
    // Killed, even if nobody has reaped them yet (a zombie is dead: state Z).
    const running = (child: number) => (procStat(child)?.[0] ?? 'Z') !== 'Z';
    await expect.poll(() => children.filter(running).length, { timeout: 10_000 }).toBe(0);
  });
});
