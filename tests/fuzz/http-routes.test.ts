/**
 * Every HTTP route of a running gateway, fuzzed: HTTP_FUZZ_RUNS (1,000 in the suite; `npm run fuzz`
 * runs 100,000) generated requests per route
 * through fastify's inject (the same hooks, validation and handlers as over TCP). Path ids, query
 * strings, bodies (random JSON, mutated valid bodies, deep nesting, prototype keys, text, bytes),
 * content types and credentials (admin, none, garbage) are generated. For every request: no 5xx,
 * an error in the gateway's shape with a `GW_ERR_` code, each 4xx counted once under
 * `http.rejected.*`, nothing escaping as an unhandled rejection, and the gateway still healthy.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { HTTP_FUZZ_RUNS, fuzzParams, fuzzTimeout, watchProcess, type ProcessWatch } from './fuzz-support.js';
import { assertNoPollution, deepPayload, protoObject } from './hostile-json.js';

/** Known-good bodies per route, mutated by the generator so handlers past validation are reached too. */
const VALID_BODIES: Record<string, Record<string, unknown>[]> = {
  'POST /api/auth/login': [{ username: 'duty', password: 'not-the-password' }],
  'POST /api/alarms/:id/ack': [{ note: '已电话联系' }, {}],
  'POST /api/alarms/:id/resolve': [{ note: '误报' }],
  'POST /api/broadcasts': [{ text: '测试广播', recipients: [{ name: '测试', phone: '13900000000' }], channels: ['sms'] }, { text: 'x', groups: ['guard-posts'], siteId: 'sch-01' }],
  'POST /api/devices/:id/self-test': [{}],
  // A valid barrier command waits up to 30 s for the position: fuzzed bodies only (never valid).
  'POST /api/devices/:id/command': [{ command: 'hover' }],
  'POST /api/sweeps': [{ sites: ['sch-01'], kinds: ['alarm-button'] }, { devices: ['sch-02-btn-1'], concurrency: 2 }],
  'POST /api/sweeps/:id/cancel': [{}],
  'POST /api/drills': [{ siteId: 'sch-09', durationSeconds: 5 }],
  'POST /api/drills/:id/end': [{}],
  'POST /api/oncall/overrides': [{ role: 'supervisor', person: 'sun-haitao', until: 4_102_444_800_000 }, { role: 'technician', contact: { name: '临时', phone: '13900000000' }, from: 0, until: 4_102_444_800_000, note: 'x' }],
  'POST /api/simulators/:id/actions': [{ action: 'lower' }, { action: 'fault', fault: 'motor-overload', on: true }, { action: 'press' }, { action: 'flood', count: 3 }],
  'POST /api/users': [{ username: 'fuzz-user', role: 'tester', password: 'short' }, { username: 'x', role: 'school', school: 'sch-99', password: 'a-long-password-1' }],
  'PATCH /api/users/:username': [{ displayName: 'x' }, { disabled: false }],
};

const QUERY_KEYS = ['state', 'site', 'limit', 'kind', 'status', 'reason', 'field', 'from', 'to', 'every', 'measurement', 'results', 'alarmId', 'after', 'action', 'actor', 'at', '__proto__', 'constructor'];
const IDS = ['sch-01-btn-1', 'sch-02', 'sch-01-bar-1', 'arc-110', 'duty', 'admin', 'no-such-id', '..', '../../etc/passwd', '%00', 'a'.repeat(200), '🚨', 'sw-1', 'al-1'];

const text = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 20 }), fc.constantFrom('', '-1', '0', '1e999', 'NaN', 'null', 'true', '[]', '{}', '2026-13-45T99:99', '5m', 'forever', 'a'.repeat(5000)));

const mutatedBody = (valid: Record<string, unknown>[]) =>
  fc
    .tuple(fc.constantFrom(...(valid.length ? valid : [{}])), fc.option(fc.tuple(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 3 }))), fc.option(fc.constantFrom(...Object.keys(valid[0] ?? {}), 'not-a-field')))
    .map(([base, add, drop]) => {
      const body: Record<string, unknown> = { ...base };
      if (drop !== null) delete body[drop];
      if (add !== null) body[add[0]] = add[1];
      return JSON.stringify(body);
    });

const body = (key: string) =>
  fc.oneof(
    { arbitrary: mutatedBody(VALID_BODIES[key] ?? []), weight: 4 },
    { arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)), weight: 3 },
    { arbitrary: fc.string({ maxLength: 200 }), weight: 1 },
    { arbitrary: deepPayload, weight: 1 },
    { arbitrary: protoObject, weight: 1 },
    { arbitrary: fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('latin1')), weight: 1 },
  );

const contentType = fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', undefined);

const query = fc.dictionary(fc.oneof(fc.constantFrom(...QUERY_KEYS), fc.string({ maxLength: 8 })), text, { maxKeys: 4 }).map((q) => {
  const entries = Object.entries(q);
  return entries.length ? `?${entries.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')}` : '';
});

const pathParam = fc.oneof(fc.constantFrom(...IDS), text.filter((s) => s.length > 0)).map((s) => encodeURIComponent(s));

describe('HTTP routes under fuzzing', () => {
  let t: TestGateway;
  let admin: string;
  let watch: ProcessWatch;
  beforeAll(async () => {
    t = await startGateway({ http: { rateLimit: { max: 10_000_000, windowSeconds: 60 } } });
    admin = await t.login('admin');
    watch = watchProcess();
  });
  afterAll(async () => {
    watch?.dispose();
    await t?.close();
  });

  const routes = () =>
    t.gw.http.routeTable.filter((r) => !r.websocket && r.url.startsWith('/api/')).map((r) => ({ key: `${r.method} ${r.url}`, method: r.method, url: r.url }));

  it('fuzzes every HTTP route the gateway serves (WebSockets aside), and only those', () => {
    expect(routes().map((r) => r.key).sort()).toStrictEqual([...ROUTE_KEYS()].sort());
  });

  // One test per route, created from the gateway's own route table in the first test's run.
  // vitest needs the names up front, so the table is read from a gateway built for that.
  for (const key of ROUTE_KEYS()) {
    it(
      `${key}: ${HTTP_FUZZ_RUNS} generated requests, no 5xx, coded and counted errors`,
      async () => {
        const route = routes().find((r) => r.key === key);
        expect(route, `${key} is served`).toBeDefined();
        if (!route) return;
        const hasBody = route.method === 'POST' || route.method === 'PATCH';
        const request = fc.record({
          path: fc.tuple(pathParam, pathParam).map(([a, b]) => route.url.replace(':id', a).replace(':username', b)),
          query,
          body: hasBody ? body(key) : fc.constant(undefined),
          contentType: hasBody ? contentType : fc.constant(undefined),
          auth: fc.oneof({ arbitrary: fc.constant('admin'), weight: 8 }, { arbitrary: fc.constantFrom('none', 'garbage', 'Bearer', 'Basic YWRtaW46YWRtaW4='), weight: 1 }),
        });
        // The logout route's run revokes the token it uses: it gets its own.
        const token = route.url === '/api/auth/logout' ? await t.login('tester') : admin;
        let rejected = 0;
        let pastLogin = 0;
        const before = rejectedCount(t);
        await fc.assert(
          fc.asyncProperty(request, async (r) => {
            const headers: Record<string, string> = {};
            if (r.auth === 'admin') headers.authorization = `Bearer ${token}`;
            else if (r.auth === 'garbage') headers.authorization = `Bearer ${Buffer.from(r.path).toString('base64url')}.x.y`;
            else if (r.auth !== 'none') headers.authorization = r.auth;
            if (r.contentType) headers['content-type'] = r.contentType;
            const res = await t.gw.http.inject({ method: route.method as 'GET', url: r.path + r.query, headers, ...(r.body !== undefined ? { payload: r.body } : {}) });
            expect(res.statusCode, `${route.method} ${r.path}${r.query} → ${res.body.slice(0, 300)}`).toBeLessThan(500);
            if (res.statusCode !== 401) pastLogin++;
            if (res.statusCode >= 400) {
              rejected++;
              const err = res.json<{ statusCode: number; code: string; message: string }>();
              expect(err.statusCode).toBe(res.statusCode);
              expect(err.code).toMatch(/^GW_ERR_/);
              expect(err.message.length).toBeGreaterThan(0);
            }
          }),
          fuzzParams(HTTP_FUZZ_RUNS),
        );
        // Each refused request was counted once (the rate limit was lifted for this run).
        expect(rejectedCount(t) - before).toBe(rejected);
        // Most cases got past access control: this fuzzes the routes, not only the login check.
        if (route.url !== '/api/auth/logout') expect(pastLogin).toBeGreaterThan(HTTP_FUZZ_RUNS / 2);
        await watch.settle();
        expect(watch.escaped()).toStrictEqual([]);
        assertNoPollution();
        expect((await t.gw.http.inject({ method: 'GET', url: '/api/health' })).statusCode).toBe(200);
      },
      fuzzTimeout(3, HTTP_FUZZ_RUNS),
    );
  }
});

function rejectedCount(t: TestGateway): number {
  return Object.values(t.gw.counters.snapshot('http.rejected.')).reduce((a, b) => a + b, 0);
}

/** The routes to fuzz, known before the gateway starts (the access-matrix test checks this list is complete). */
function ROUTE_KEYS(): string[] {
  return [
    // First: its cost grows with every sweep the POST /api/sweeps run below starts.
    'GET /api/sweeps/chain/verify',
    'GET /api/auth/me',
    'GET /api/users',
    'POST /api/users',
    'PATCH /api/users/:username',
    'GET /api/audit',
    'GET /api/audit/verify',
    'GET /api/health',
    'GET /api/config/ui',
    'GET /api/sites',
    'GET /api/devices',
    'GET /api/devices/:id',
    'POST /api/devices/:id/command',
    'POST /api/devices/:id/self-test',
    'GET /api/alarms',
    'GET /api/alarms/:id',
    'POST /api/alarms/:id/ack',
    'POST /api/alarms/:id/resolve',
    'GET /api/devices/:id/telemetry',
    'GET /api/devices/:id/availability',
    'GET /api/clock-drift',
    'GET /api/cluster',
    'GET /api/diagnostics/press-path',
    'GET /api/cameras/live-views',
    'GET /api/sites/:id/availability',
    'POST /api/broadcasts',
    'GET /api/broadcasts',
    'GET /api/broadcasts/:id',
    'POST /api/sweeps',
    'GET /api/sweeps',
    'GET /api/sweeps/:id',
    'POST /api/sweeps/:id/cancel',
    'GET /api/sweeps/:id/report.json',
    'GET /api/sweeps/:id/report.csv',
    'GET /api/sweeps/:id/report.html',
    'POST /api/drills',
    'POST /api/drills/:id/end',
    'GET /api/drills',
    'GET /api/drills/:id',
    'GET /api/oncall',
    'POST /api/oncall/overrides',
    'DELETE /api/oncall/overrides/:id',
    'GET /api/simulators',
    'GET /api/simulators/:id',
    'POST /api/simulators/:id/actions',
    'POST /api/auth/logout',
    // Last: its run uses up the per-address login budget (http.rateLimit.loginMax), so no later
    // route could log in; most of its cases are answered 429 quickly instead of costing scrypt.
    'POST /api/auth/login',
  ];
}
