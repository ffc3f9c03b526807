/**
 * GET /api/oncall and POST /api/oncall/overrides on the running gateway: the demo roster, a
 * supervisor's stand-in (201, audited, kept across a restart, used by escalation's lookups),
 * and refusals with coded errors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../../helpers/gateway.js';

interface Status {
  timeZone: string;
  onDuty: Record<string, { personId?: string; person: { name: string }; source: string } | null>;
  overrides: { id: string; role: string; person?: string; by: string; until: number; endedBy?: string }[];
}

describe('on-call routes', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startGateway();
  });
  afterAll(async () => t?.close());

  it('shows who is on call per role from the demo roster', async () => {
    const res = await t.api('/api/oncall', { as: 'duty' });
    expect(res.status).toBe(200);
    const s = (await res.json()) as Status;
    expect([s.timeZone, Object.keys(s.onDuty).sort()]).toStrictEqual(['Asia/Shanghai', ['duty-officer', 'station-chief', 'supervisor', 'technician']]);
    // Every hour of the week has a duty officer, a supervisor and a station chief.
    for (const role of ['duty-officer', 'supervisor', 'station-chief']) expect(s.onDuty[role]).toMatchObject({ source: 'shift', person: { name: expect.any(String) } });
  });

  it("lets a supervisor set a stand-in: audited, in force at once, kept across a restart", async () => {
    const until = Date.now() + 3_600_000;
    const res = await t.api('/api/oncall/overrides', { method: 'POST', as: 'supervisor', body: JSON.stringify({ role: 'station-chief', person: 'wu-jianhua', until, note: '所长外出开会' }) });
    expect(res.status).toBe(201);
    const o = (await res.json()) as { id: string };
    const [entry] = await t.gw.store.auditEntries({ action: 'oncall.override' });
    expect([entry?.actor, entry?.target, entry?.detail]).toStrictEqual(['supervisor', 'station-chief', { id: o.id, person: 'wu-jianhua', from: expect.any(Number), until, note: '所长外出开会' }]);
    t = await t.restart();
    const s = (await (await t.api('/api/oncall', { as: 'tech' })).json()) as Status;
    expect([s.onDuty['station-chief']?.personId, s.onDuty['station-chief']?.source, s.overrides.map((x) => [x.id, x.by])]).toStrictEqual(['wu-jianhua', 'override', [[o.id, 'supervisor']]]);
    expect((await t.gw.oncall.onDuty('station-chief'))?.person.name).toBe('派出所副所长 吴建华');
  });

  it('lets a supervisor end a stand-in early: the shift applies again, the override stays listed as ended, audited', async () => {
    const post = await t.api('/api/oncall/overrides', { method: 'POST', as: 'supervisor', body: JSON.stringify({ role: 'technician', contact: { name: '临时技术员 何伟', phone: '13900000001' }, until: Date.now() + 7_200_000 }) });
    const o = (await post.json()) as { id: string };
    const before = (await (await t.api('/api/oncall', { as: 'duty' })).json()) as Status;
    expect([before.onDuty.technician?.source, before.onDuty.technician?.person.name]).toStrictEqual(['override', '临时技术员 何伟']);

    const end = await t.api(`/api/oncall/overrides/${o.id}`, { method: 'DELETE', as: 'admin' });
    expect(end.status).toBe(200);
    const ended = (await end.json()) as { until: number; endedBy: string };
    expect(ended.endedBy).toBe('admin');
    const after = (await (await t.api('/api/oncall', { as: 'duty' })).json()) as Status;
    expect(after.onDuty.technician?.person.name).not.toBe('临时技术员 何伟');
    expect(after.overrides.find((x) => x.id === o.id)).toMatchObject({ endedBy: 'admin', until: ended.until });
    const [entry] = await t.gw.store.auditEntries({ action: 'oncall.override.end' });
    expect([entry?.actor, entry?.target, (entry?.detail as { id: string }).id]).toStrictEqual(['admin', 'technician', o.id]);
    // Ending it again changes nothing; an unknown id is a coded 404; a duty officer may not.
    expect(((await (await t.api(`/api/oncall/overrides/${o.id}`, { method: 'DELETE', as: 'admin' })).json()) as { until: number }).until).toBe(ended.until);
    const missing = await t.api('/api/oncall/overrides/no-such-override', { method: 'DELETE', as: 'supervisor' });
    expect([missing.status, ((await missing.json()) as { code: string }).code]).toStrictEqual([404, 'GW_ERR_ONCALL_OVERRIDE_NOT_FOUND']);
    expect((await t.api(`/api/oncall/overrides/${o.id}`, { method: 'DELETE', as: 'duty' })).status).toBe(403);
  });

  it('refuses a bad override with a coded 400, and a duty officer with 403', async () => {
    const post = (body: unknown, as = 'admin') => t.api('/api/oncall/overrides', { method: 'POST', as, body: JSON.stringify(body) });
    const unknown = await post({ role: 'supervisor', person: 'nobody', until: Date.now() + 60_000 });
    expect([unknown.status, ((await unknown.json()) as { code: string }).code]).toStrictEqual([400, 'GW_ERR_ONCALL_INVALID']);
    expect((await post({ role: 'supervisor', person: 'sun-haitao' })).status).toBe(400);
    expect((await post({ role: 'supervisor', person: 'sun-haitao', until: Date.now() + 60_000 }, 'duty')).status).toBe(403);
  });
});
