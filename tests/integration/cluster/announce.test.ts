/**
 * The cluster's announcements outside a transaction (gateway/cluster/announce.ts: a drill
 * started or ended, a button's 110 test) on a real PostgreSQL: a NOTIFY whose query fails is
 * tried again and reaches a node listening all along; one that fails every try is counted and
 * logged, and a stopped announcer tries no more. The announcer's pool reaches PostgreSQL
 * through a TCP proxy on 127.0.0.1 that can refuse connections (PostgreSQL unreachable from
 * this node for a moment); the listener connects directly.
 */
import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAnnouncer } from '../../../gateway/cluster/announce.js';
import { Counters } from '../../../gateway/core/counters.js';
import { eventually } from '../../helpers/gateway.js';
import { startTestPostgres, type TestPostgres } from '../../helpers/postgres.js';
import { startTcpProxy } from '../../helpers/tcp-proxy.js';

let postgres: TestPostgres;

beforeAll(async () => {
  postgres = await startTestPostgres();
}, 120_000);

afterAll(async () => {
  await postgres?.stop();
});

/** The announcer's way to PostgreSQL, through a proxy that can refuse it. */
async function startProxy(target: URL): Promise<{ url: string; refuse(on: boolean): void; close(): Promise<void> }> {
  const proxy = await startTcpProxy(Number(target.port));
  const url = new URL(target.href);
  url.host = `127.0.0.1:${proxy.port}`;
  return { url: url.href, refuse: proxy.refuse, close: proxy.close };
}

async function listen(channel: string): Promise<{ got: string[]; end(): Promise<void> }> {
  const client = new pg.Client({ connectionString: postgres.url });
  await client.connect();
  const got: string[] = [];
  client.on('notification', (n) => {
    if (n.channel === channel) got.push(n.payload ?? '');
  });
  await client.query(`LISTEN ${channel}`);
  return { got, end: () => client.end() };
}

describe('cluster announcements (NOTIFY outside a transaction)', () => {
  it('a NOTIFY whose query failed is sent again once PostgreSQL answers, and reaches the node listening', async () => {
    const proxy = await startProxy(new URL(postgres.url));
    const pool = new pg.Pool({ connectionString: proxy.url, connectionTimeoutMillis: 1000 });
    pool.on('error', () => undefined);
    const listener = await listen('drill_changed');
    const counters = new Counters();
    try {
      const announcer = createAnnouncer({ pool, log: pino({ level: 'silent' }), counters, waitsMs: Array.from({ length: 40 }, () => 100) });
      proxy.refuse(true);
      const sent = announcer.announce('drill_changed', 'drill-1');
      // Refused for a while (several tries fail), then reachable again.
      await new Promise((r) => setTimeout(r, 600));
      expect(listener.got).toStrictEqual([]);
      proxy.refuse(false);
      expect(await sent).toBe(true);
      await eventually(() => listener.got.length > 0);
      expect(listener.got).toStrictEqual(['drill-1']);
      expect(counters.get('cluster.announce.retried')).toBe(1);
      expect(counters.get('cluster.announce.lost')).toBe(0);
    } finally {
      await listener.end();
      await pool.end();
      await proxy.close();
    }
  });

  it('one that fails every try is counted and logged, not thrown; a stopped announcer tries no more', async () => {
    const proxy = await startProxy(new URL(postgres.url));
    const pool = new pg.Pool({ connectionString: proxy.url, connectionTimeoutMillis: 1000 });
    pool.on('error', () => undefined);
    const counters = new Counters();
    const lines: string[] = [];
    const log = pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) });
    try {
      proxy.refuse(true);
      const announcer = createAnnouncer({ pool, log, counters, waitsMs: [50, 50] });
      expect(await announcer.announce('link_test', '{"deviceId":"btn-1"}')).toBe(false);
      expect(counters.get('cluster.announce.lost')).toBe(1);
      expect(lines.map((l) => JSON.parse(l) as { msg: string; attempts: number; channel: string })).toMatchObject([{ msg: 'change not announced to the other nodes', attempts: 3, channel: 'link_test' }]);
      // Stopped mid-way: the try under way ends it, none follows.
      const slow = createAnnouncer({ pool, log, counters, waitsMs: [200, 200, 200] });
      const pending = slow.announce('drill_changed', 'drill-2');
      slow.stop();
      expect(await pending).toBe(false);
      expect(counters.get('cluster.announce.lost')).toBe(1);
    } finally {
      await pool.end();
      await proxy.close();
    }
  });
});
