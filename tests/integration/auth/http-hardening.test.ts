/**
 * Hostile HTTP: security headers, refused unknown properties, oversized and deeply nested
 * bodies, prototype-poisoning keys, and the per-client rate limit. Each gets a coded error,
 * is counted, and the gateway keeps serving.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../../helpers/gateway.js';

const json = async <T>(res: Response) => (await res.json()) as T;

describe('HTTP hardening', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startGateway({ http: { rateLimit: { max: 60, windowSeconds: 60 } } });
  });
  afterAll(async () => t?.close());

  it('sends security headers on the API and the dashboard', async () => {
    for (const path of ['/api/health', '/']) {
      const res = await t.api(path, { as: null });
      const h = Object.fromEntries(['content-security-policy', 'x-content-type-options', 'x-frame-options', 'referrer-policy'].map((k) => [k, res.headers.get(k)]));
      expect(h['content-security-policy']).toMatch(/default-src 'self'.*frame-ancestors 'none'/);
      expect(h['content-security-policy']).not.toMatch(/upgrade-insecure-requests/);
      expect([h['x-content-type-options'], h['x-frame-options'], h['referrer-policy']]).toStrictEqual(['nosniff', 'SAMEORIGIN', 'no-referrer']);
    }
  });

  it('refuses unknown properties, oversized, deeply nested and prototype-poisoning bodies with coded errors', async () => {
    const before = t.gw.counters.snapshot();
    const ack = (body: string) => t.api('/api/alarms/a-1/ack', { method: 'POST', as: 'duty', body });
    const cases = {
      unknownProperty: await ack('{"note":"x","by":"someone else"}'),
      oversized: await ack(JSON.stringify({ note: 'x'.repeat(70_000) })),
      deep: await ack('['.repeat(20_000) + ']'.repeat(20_000)),
      deepObject: await ack('{"a":'.repeat(5_000) + '1' + '}'.repeat(5_000)),
      proto: await ack('{"__proto__":{"admin":true}}'),
      constructorProto: await ack('{"constructor":{"prototype":{"admin":true}}}'),
      notJson: await ack('{"note": '),
    };
    const summary = Object.fromEntries(await Promise.all(Object.entries(cases).map(async ([k, r]) => [k, [r.status, (await json<{ code: string }>(r)).code]])));
    expect(summary).toStrictEqual({
      unknownProperty: [400, 'GW_ERR_BAD_REQUEST'],
      oversized: [413, 'GW_ERR_HTTP_FST_ERR_CTP_BODY_TOO_LARGE'],
      deep: [400, 'GW_ERR_BAD_REQUEST'],
      deepObject: [400, 'GW_ERR_BAD_REQUEST'],
      // Refused by fastify's JSON parser (secure-json-parse) before any handler sees them.
      proto: [400, 'GW_ERR_HTTP_FST_ERR_CTP_INVALID_JSON_BODY'],
      constructorProto: [400, 'GW_ERR_HTTP_FST_ERR_CTP_INVALID_JSON_BODY'],
      notJson: [400, 'GW_ERR_HTTP_FST_ERR_CTP_INVALID_JSON_BODY'],
    });
    const after = t.gw.counters.snapshot();
    const rejected = Object.keys(after).filter((k) => k.startsWith('http.rejected.')).reduce((n, k) => n + (after[k] ?? 0) - (before[k] ?? 0), 0);
    expect(rejected).toBe(7);
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
    expect((await t.api('/api/health', { as: null })).status).toBe(200);
  });

  it('refuses unknown query parameters on routes that take none', async () => {
    const res = await t.api('/api/sites?debug=1', { as: 'duty' });
    expect([res.status, (await json<{ code: string }>(res)).code]).toStrictEqual([400, 'GW_ERR_BAD_REQUEST']);
    expect((await t.api('/api/sites', { as: 'duty' })).status).toBe(200);
  });

  it('refuses query numbers that overflow to infinity (ajv would coerce them past its range checks)', async () => {
    for (const v of ['1e999', '-1e999', 'Infinity']) {
      const res = await t.api(`/api/broadcasts?limit=${v}`, { as: 'duty' });
      expect([res.status, (await json<{ code: string; message: string }>(res)).message]).toStrictEqual([400, 'bad request: querystring/limit must be a finite number']);
    }
  });

  it('slows a client down past its request budget with 429, per operator', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 70; i++) statuses.push((await t.api('/api/sites', { as: 'tester' })).status);
    expect(statuses.slice(0, 50).every((s) => s === 200)).toBe(true);
    const limited = await t.api('/api/sites', { as: 'tester' });
    expect(limited.status).toBe(429);
    expect((await json<{ code: string }>(limited)).code).toBe('GW_ERR_RATE_LIMITED');
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
    // Another operator is not slowed down by it.
    expect((await t.api('/api/sites', { as: 'duty' })).status).toBe(200);
    expect(t.gw.counters.get('http.rejected.GW_ERR_RATE_LIMITED')).toBeGreaterThan(0);
  });
});
