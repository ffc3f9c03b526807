/**
 * Who may call what: every route of the running gateway, as every demo role, against a table
 * written from the role descriptions (not derived from the code's own role table). A
 * route missing from the table fails the test, so no route ships without a decision.
 */
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../../helpers/gateway.js';

type Who = 'duty' | 'supervisor' | 'tech' | 'tester' | 'sch-02' | 'admin';
const ALL: Who[] = ['duty', 'supervisor', 'tech', 'tester', 'sch-02', 'admin'];
const READ_SWEEPS: Who[] = ['duty', 'supervisor', 'tech', 'tester', 'admin'];
const DRILLS: Who[] = ['duty', 'supervisor', 'tester', 'sch-02', 'admin'];

/** method + route → who may call it ('public' = anyone, logged in or not). */
const MATRIX: Record<string, Who[] | 'public'> = {
  'GET /api/health': 'public',
  // The nodes and the 110 link's holder: the duty desk and maintenance.
  'GET /api/cluster': ['duty', 'supervisor', 'tech', 'admin'],
  'GET /api/clock-drift': ALL,
  // Without a login from http.metricsAllow only (this gateway allows no address here; loopback
  // by default): tests/integration/gateway/metrics.test.ts.
  'GET /metrics': ['tech', 'admin'],
  // The alarm path's timing of recent presses: maintenance, as /metrics.
  'GET /api/diagnostics/press-path': ['tech', 'admin'],
  'POST /api/auth/login': 'public',
  'GET /mqtt': 'public',
  'GET /*': 'public',
  'GET /api/auth/me': ALL,
  'POST /api/auth/logout': ALL,
  'GET /api/config/ui': ALL,
  'GET /api/sites': ALL,
  'GET /api/devices': ALL,
  'GET /api/devices/:id': ALL,
  'GET /api/devices/:id/telemetry': ALL,
  'GET /api/devices/:id/availability': ALL,
  'GET /api/sites/:id/availability': ALL,
  'GET /api/alarms': ALL,
  'GET /api/alarms/:id': ALL,
  'GET /api/live': ALL,
  'GET /api/cameras/live-views': ALL,
  'GET /api/cameras/:id/live': ALL,
  'POST /api/alarms/:id/ack': ['duty', 'supervisor', 'admin'],
  'POST /api/alarms/:id/resolve': ['duty', 'supervisor', 'admin'],
  'GET /api/broadcasts': ['duty', 'supervisor', 'tester', 'admin'],
  'GET /api/broadcasts/:id': ['duty', 'supervisor', 'tester', 'admin'],
  'POST /api/broadcasts': ['duty', 'supervisor', 'admin'],
  'POST /api/devices/:id/command': ['tech', 'admin'],
  'POST /api/devices/:id/self-test': ['tech', 'tester', 'sch-02', 'admin'],
  'GET /api/sweeps': READ_SWEEPS,
  'GET /api/sweeps/chain/verify': READ_SWEEPS,
  'GET /api/sweeps/:id': READ_SWEEPS,
  'GET /api/sweeps/:id/report.json': READ_SWEEPS,
  'GET /api/sweeps/:id/report.csv': READ_SWEEPS,
  'GET /api/sweeps/:id/report.html': READ_SWEEPS,
  'POST /api/sweeps': ['tech', 'admin'],
  'POST /api/sweeps/:id/cancel': ['tech', 'admin'],
  'GET /api/drills': DRILLS,
  'GET /api/drills/:id': DRILLS,
  'POST /api/drills': DRILLS,
  'POST /api/drills/:id/end': DRILLS,
  // The simulator control (served with --simulate; every test gateway has it): testers only.
  'GET /api/simulators': ['tester', 'admin'],
  'GET /api/simulators/:id': ['tester', 'admin'],
  'POST /api/simulators/:id/actions': ['tester', 'admin'],
  // Who is on call: everyone on the police side reads it; supervisors and admins set stand-ins.
  'GET /api/oncall': ['duty', 'supervisor', 'tech', 'tester', 'admin'],
  'POST /api/oncall/overrides': ['supervisor', 'admin'],
  'DELETE /api/oncall/overrides/:id': ['supervisor', 'admin'],
  'GET /api/users': ['admin'],
  'POST /api/users': ['admin'],
  'PATCH /api/users/:username': ['admin'],
  'GET /api/audit': ['admin'],
  'GET /api/audit/verify': ['admin'],
};

/** A concrete request for a route: unknown ids (404 when allowed) and bodies that fail validation (400). */
function request(key: string): { method: string; path: string; body?: string } {
  const [method = 'GET', route = ''] = key.split(' ');
  const path = route.replace(':id', 'no-such-id').replace(':username', 'no-such-user');
  return { method, path, ...(method === 'POST' || method === 'PATCH' ? { body: '{"not-a-field":1}' } : {}) };
}

describe('access matrix', () => {
  let t: TestGateway;
  beforeAll(async () => {
    // Loopback may read /metrics without a login by default: not here, so the table holds for it too.
    t = await startGateway({ http: { metricsAllow: ['192.0.2.1'] } });
  });
  afterAll(async () => t?.close());

  it('has a decision for every route the gateway serves', () => {
    const served = new Set(t.gw.http.routeTable.map((r) => `${r.method} ${r.url}`));
    expect([...served].filter((k) => !(k in MATRIX)).sort()).toStrictEqual([]);
    expect(Object.keys(MATRIX).filter((k) => !served.has(k)).sort()).toStrictEqual([]);
  });

  it('answers 401 without a login on every route but the public ones', async () => {
    const seen: Record<string, number> = {};
    for (const [key, who] of Object.entries(MATRIX)) {
      if (who === 'public' || key === 'GET /api/live') continue;
      const { method, path, body } = request(key);
      seen[key] = (await t.api(path, { method, as: null, ...(body ? { body } : {}) })).status;
    }
    expect(Object.entries(seen).filter(([, s]) => s !== 401)).toStrictEqual([]);
    expect((await t.api('/api/health', { as: null })).status).toBe(200);
    // A forged or garbage token is no better than none.
    const forged = await t.api('/api/alarms', { as: null, headers: { authorization: 'Bearer eyJhbGciOiJub25lIn0.eyJzaWQiOiJ4Iiwic3ViIjoiYWRtaW4ifQ.' } });
    expect(forged.status).toBe(401);
  });

  it('lets each role do what it is for, and answers 403 for the rest', async () => {
    const wrong: string[] = [];
    for (const [key, allowed] of Object.entries(MATRIX)) {
      if (allowed === 'public' || key === 'GET /api/live' || key === 'POST /api/auth/logout') continue;
      const { method, path, body } = request(key);
      for (const who of ALL) {
        const status = (await t.api(path, { method, as: who, ...(body ? { body } : {}) })).status;
        const ok = allowed.includes(who) ? status !== 401 && status !== 403 && status < 500 : status === 403;
        if (!ok) wrong.push(`${who} ${key} → ${status}`);
      }
    }
    expect(wrong).toStrictEqual([]);
  });

  it('opens the live socket for a logged-in operator only (header or subprotocol)', async () => {
    const url = `ws://127.0.0.1:${t.httpPort}/api/live`;
    const refused = await new Promise<number>((resolve) => {
      const ws = new WebSocket(url);
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => resolve(101));
    });
    expect(refused).toBe(401);
    const token = await t.login('tech');
    const ws = new WebSocket(url, ['campus-live.v1', `bearer.${token}`]);
    const first = await new Promise<{ type: string }>((resolve, reject) => {
      ws.once('message', (raw) => resolve(JSON.parse(String(raw)) as { type: string }));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
    expect([first.type, ws.protocol]).toStrictEqual(['snapshot', 'campus-live.v1']);
    ws.close();
  });

  it('answers an unknown API path 401 before login and 404 after', async () => {
    expect((await t.api('/api/no-such-route', { as: null })).status).toBe(401);
    expect((await t.api('/api/no-such-route', { as: 'duty' })).status).toBe(404);
  });
});
