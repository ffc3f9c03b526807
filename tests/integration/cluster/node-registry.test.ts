/**
 * The node registry (gateway/cluster/node-registry.ts) against a real PostgreSQL: heartbeats
 * list every node with what it reported; a node that stops heart-beating (a crash) is down
 * after the bound and only it; a clean stop leaves the list; a restart under the same id is up
 * again with a new start time.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeRegistry, heartbeatEvery, type NodeSelf } from '../../../gateway/cluster/node-registry.js';
import { migrate } from '../../../gateway/store/pg/migrate.js';
import { startTestPostgres, type TestPostgres } from '../../helpers/postgres.js';

let server: TestPostgres;
let pool: pg.Pool;

beforeAll(async () => {
  server = await startTestPostgres();
  pool = new pg.Pool({ connectionString: await server.freshDatabase(), max: 4 });
  pool.on('error', () => undefined);
  await migrate(pool);
});
afterAll(async () => {
  await pool?.end();
  await server?.stop();
});

const DOWN_AFTER_MS = 600;
const registry = (self: NodeSelf, clients: number, roles: string[] = []) =>
  new NodeRegistry({ pool, self, roles: () => roles, clients: () => clients, heartbeatMs: 150, downAfterMs: DOWN_AFTER_MS });

describe('node registry', () => {
  it('heartbeats a node every third of takeoverSeconds and calls it down after takeoverSeconds', () => {
    expect(heartbeatEvery(10)).toStrictEqual({ heartbeatMs: 3333, downAfterMs: 10_000 });
  });

  it('lists nodes as they report; a crashed one is down after the bound, a clean stop leaves, a restart is up again', async () => {
    const a = registry({ id: 'node-1', pid: 101, httpUrl: 'http://127.0.0.1:18081', mqttUrl: 'mqtt://127.0.0.1:11884' }, 12, ['110-link']);
    const b = registry({ id: 'node-2', pid: 102 }, 7);
    await Promise.all([a.start(), b.start()]);
    const listed = await a.list();
    expect(listed).toStrictEqual([
      {
        id: 'node-1', pid: 101, httpUrl: 'http://127.0.0.1:18081', mqttUrl: 'mqtt://127.0.0.1:11884', roles: ['110-link'], clients: 12,
        startedAt: expect.any(Number), lastSeen: expect.any(Number), silentMs: expect.any(Number), down: false,
      },
      { id: 'node-2', pid: 102, roles: [], clients: 7, startedAt: expect.any(Number), lastSeen: expect.any(Number), silentMs: expect.any(Number), down: false },
    ]);
    const firstStart = listed[1]?.startedAt ?? 0;

    await b.stop({ deregister: false }); // SIGKILL: the row stays and goes stale
    const deadline = Date.now() + 5000;
    while ((await a.downNodes()).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const down = await a.downNodes();
    expect(down.map((n) => n.id)).toStrictEqual(['node-2']);
    expect(down[0]?.silentMs).toBeGreaterThan(DOWN_AFTER_MS);
    // The living node kept beating meanwhile.
    expect((await a.list()).find((n) => n.id === 'node-1')?.down).toBe(false);

    const b2 = registry({ id: 'node-2', pid: 202 }, 0);
    await b2.start();
    const again = (await a.list()).find((n) => n.id === 'node-2');
    expect([again?.pid, again?.down, (again?.startedAt ?? 0) > firstStart]).toStrictEqual([202, false, true]);

    await b2.stop();
    expect((await a.list()).map((n) => n.id)).toStrictEqual(['node-1']);
    await a.stop();
    expect(await a.list()).toStrictEqual([]);
  });
});
