import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckResult } from '../../../gateway/contract/adapter.js';
import type { CheckCapable } from '../../../gateway/core/sweeps/check.js';
import type { SweepView } from '../../../gateway/core/sweeps/schemas.js';
import type { SweepReport } from '../../../gateway/reports/report-model.js';
import { eventually, startGateway, type TestGateway } from '../../helpers/gateway.js';
import { json, post, startSweepApi, type SweepApi } from './harness.js';

describe('sweeps HTTP API', () => {
  let t: TestGateway;
  let api: SweepApi;
  /** Checks of sch-01's devices wait for the test to let them go; others answer at once. */
  const held: (() => void)[] = [];
  const adapter: CheckCapable = {
    check: (d) =>
      new Promise<CheckResult>((resolve) => {
        const answer = () =>
          resolve(d.id === 'sch-02-btn-1' ? { status: 'degraded', reasons: [{ code: 'fault', detail: 'E12' }], evidence: { latencyMs: 12 } } : { status: 'ok', reasons: [], evidence: { latencyMs: 7 } });
        if (d.siteId === 'sch-01') held.push(answer);
        else answer();
      }),
  };
  const view = async (id: string, q = '') => json<SweepView>(await fetch(`${api.baseUrl}/api/sweeps/${id}${q}`));
  const finished = (id: string) => eventually(async () => ((await view(id)).state === 'running' ? undefined : view(id)));

  beforeAll(async () => {
    t = await startGateway();
    api = await startSweepApi(t, { adapters: new Map([['mqtt-native', adapter]]), maxRunning: 2 });
  });
  afterAll(async () => {
    held.splice(0).forEach((f) => f());
    await api?.close();
    await t?.close();
  });

  it('starts a sweep (202), shows its results and summary, serves its reports with the right types', async () => {
    const res = await post(`${api.baseUrl}/api/sweeps`, { sites: ['sch-02'], kinds: ['alarm-button'], name: '二中按钮' });
    expect(res.status).toBe(202);
    const { id, state, total } = await json<{ id: string; state: string; total: number }>(res);
    expect([state, total]).toStrictEqual(['running', 2]);
    const done = await finished(id);
    expect(done).toMatchObject({
      id, name: '二中按钮', trigger: 'api', state: 'done', progress: { done: 2, total: 2 },
      selection: { sites: ['sch-02'], kinds: ['alarm-button'] }, options: { concurrency: 16, timeoutMs: 15000, extras: [] },
      summary: { total: 2, ok: 1, failing: 1, sites: { total: 1, failing: 1 } },
    });
    expect(done.results?.map((r) => [r.deviceId, r.status, r.method]).sort()).toStrictEqual([
      ['sch-02-btn-1', 'degraded', 'active'],
      ['sch-02-btn-2', 'ok', 'active'],
    ]);
    expect((await view(id, '?results=failing')).results?.map((r) => r.deviceId)).toStrictEqual(['sch-02-btn-1']);
    expect((await view(id, '?results=none')).results).toBeUndefined();

    const jr = await fetch(`${api.baseUrl}/api/sweeps/${id}/report.json`);
    expect(jr.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(jr.headers.get('content-disposition')).toBe(`attachment; filename="sweep-${id}.json"`);
    const report = await json<SweepReport>(jr);
    expect(report.integrity).toMatchObject({ ...done.report, algorithm: 'sha256', canonicalization: 'RFC 8785' });
    expect(jr.headers.get('x-report-sha256')).toBe(done.report?.hash);
    expect(report.context.sites).toStrictEqual([{ id: 'sch-02', name: '城东区第二中学', nameEn: expect.any(String) as string }]);

    const hr = await fetch(`${api.baseUrl}/api/sweeps/${id}/report.html`);
    expect(hr.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(hr.headers.get('content-disposition')).toBe(`inline; filename="sweep-${id}.html"`);
    expect(hr.headers.get('content-security-policy')).toBe("default-src 'none'; img-src data: 'self'; style-src 'unsafe-inline'");
    expect(await hr.text()).toContain('1 所学校中 <span class="bad">1 所</span>有设备故障');
    const cr = await fetch(`${api.baseUrl}/api/sweeps/${id}/report.csv`);
    expect([cr.status, cr.headers.get('content-type')]).toStrictEqual([200, 'text/csv; charset=utf-8']);

    const audit = (await t.gw.store.auditEntries()).filter((e) => e.target === id);
    expect(audit.map((e) => [e.actor, e.action])).toStrictEqual([['anonymous', 'sweep.start']]);
  });

  it('cancels a running sweep, refuses its report while running and a second cancel after', async () => {
    const { id } = await json<{ id: string }>(await post(`${api.baseUrl}/api/sweeps`, { devices: ['sch-01-btn-1', 'sch-01-btn-2'], concurrency: 2 }));
    await eventually(() => (held.length === 2 ? true : undefined));
    held.shift()?.();
    await eventually(async () => ((await view(id)).progress.done === 1 ? true : undefined));
    const running = await fetch(`${api.baseUrl}/api/sweeps/${id}/report.csv`);
    expect(running.status).toBe(409);
    expect((await json<{ code: string }>(running)).code).toBe('GW_ERR_SWEEP_RUNNING');

    const c = await post(`${api.baseUrl}/api/sweeps/${id}/cancel`, {});
    expect(c.status).toBe(200);
    expect(await json<SweepView>(c)).toMatchObject({ id, state: 'cancelled', cancelReason: 'cancelled by anonymous', progress: { done: 1 } });
    const again = await post(`${api.baseUrl}/api/sweeps/${id}/cancel`, null);
    expect([again.status, (await json<{ code: string }>(again)).code]).toStrictEqual([409, 'GW_ERR_SWEEP_NOT_RUNNING']);
    held.splice(0).forEach((f) => f()); // the aborted check ends late: it must not reach the results
    expect((await view(id)).results?.length).toBe(1);
    expect((await fetch(`${api.baseUrl}/api/sweeps/${id}/report.json`)).status).toBe(200);
  });

  it('answers bad requests with codes: unknown selection, extra properties, unknown sweep, too many running', async () => {
    const bad = await post(`${api.baseUrl}/api/sweeps`, { sites: ['sch-99'], kinds: ['camera'] });
    expect([bad.status, await bad.json()]).toStrictEqual([
      400,
      { statusCode: 400, code: 'GW_ERR_SWEEP_SELECTION', error: 'SweepError', message: "sweep selection is invalid: unknown site 'sch-99'" },
    ]);
    const extra = await post(`${api.baseUrl}/api/sweeps`, { sites: ['sch-01'], school: 'sch-01' });
    expect(extra.status).toBe(400);
    expect(((await extra.json()) as { message: string }).message).toMatch(/additional properties/);
    const kind = await post(`${api.baseUrl}/api/sweeps`, { kinds: ['toaster'] });
    expect(kind.status).toBe(400);
    const missing = await fetch(`${api.baseUrl}/api/sweeps/sw-nope`);
    expect([missing.status, ((await missing.json()) as { code: string }).code]).toStrictEqual([404, 'GW_ERR_SWEEP_NOT_FOUND']);
    expect((await fetch(`${api.baseUrl}/api/sweeps/sw-nope/report.html`)).status).toBe(404);
    expect((await post(`${api.baseUrl}/api/sweeps/sw-nope/cancel`, {})).status).toBe(404);

    const a = await json<{ id: string }>(await post(`${api.baseUrl}/api/sweeps`, { devices: ['sch-01-btn-1'] }));
    const b = await json<{ id: string }>(await post(`${api.baseUrl}/api/sweeps`, { devices: ['sch-01-btn-2'] }));
    const busy = await post(`${api.baseUrl}/api/sweeps`, { devices: ['sch-01-btn-1'] });
    expect([busy.status, ((await busy.json()) as { code: string }).code]).toStrictEqual([429, 'GW_ERR_SWEEP_BUSY']);
    held.splice(0).forEach((f) => f());
    await finished(a.id);
    await finished(b.id);
  });

  it('lists recent sweeps newest first and verifies the report chain', async () => {
    const list = await json<SweepView[]>(await fetch(`${api.baseUrl}/api/sweeps?limit=10`));
    expect(list).toHaveLength(4);
    expect(list.map((s) => s.createdAt)).toStrictEqual([...list.map((s) => s.createdAt)].sort((x, y) => y - x));
    expect(list.every((s) => s.results === undefined && s.report !== undefined)).toBe(true);
    const verdict = await json<{ ok: boolean; checked: number; head: string }>(await fetch(`${api.baseUrl}/api/sweeps/chain/verify`));
    expect(verdict).toStrictEqual({ ok: true, checked: 4, head: list.map((s) => s.report).sort((x, y) => (y?.seq ?? 0) - (x?.seq ?? 0))[0]?.hash });
  });
});
