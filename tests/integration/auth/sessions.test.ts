/**
 * Logins, lockout, logout, accounts managed by an admin, and the audit log that records them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../../gateway/core/audit/log.js';
import type { SqliteStateStore } from '../../../gateway/store/sqlite/state-store.js';
import { startGateway, type TestGateway } from '../../helpers/gateway.js';

const json = async <T>(res: Response) => (await res.json()) as T;
const login = (t: TestGateway, username: string, password: string) =>
  t.api('/api/auth/login', { method: 'POST', as: null, body: JSON.stringify({ username, password }) });

describe('operator sessions', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startGateway();
  });
  afterAll(async () => t?.close());

  it('logs in with the right password only, and tells who is logged in', async () => {
    const ok = await login(t, 'duty', 'demo-pass-duty');
    expect(ok.status).toBe(200);
    const body = await json<{ token: string; expiresAt: number; user: Record<string, unknown> }>(ok);
    expect(body.user).toStrictEqual({
      username: 'duty',
      displayName: '值班民警 王建国',
      role: 'duty-officer',
      source: 'config',
      disabled: false,
      permissions: ['sites:read', 'devices:read', 'telemetry:read', 'alarms:read', 'alarms:act', 'broadcasts:read', 'broadcasts:send', 'drills:read', 'drills:run', 'sweeps:read', 'oncall:read', 'cluster:read'],
    });
    expect(body.expiresAt - Date.now()).toBeGreaterThan(11 * 3600_000);
    const me = await t.api('/api/auth/me', { as: null, headers: { authorization: `Bearer ${body.token}` } });
    expect((await json<{ username: string }>(me)).username).toBe('duty');

    const wrong = await login(t, 'duty', 'demo-pass-dutyy');
    const nobody = await login(t, 'no-such-user', 'whatever-password');
    expect([wrong.status, nobody.status]).toStrictEqual([401, 401]);
    // The same answer for a wrong password and an unknown user: no account enumeration.
    expect(await json<unknown>(wrong)).toStrictEqual(await json<unknown>(nobody));
  });

  it('locks an address out of an account after 5 failures, without locking the account for others', async () => {
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await login(t, 'sch-33', `wrong-${i}`)).status);
    expect(statuses).toStrictEqual([401, 401, 401, 401, 429]);
    const locked = await login(t, 'sch-33', 'demo-pass-sch-33');
    expect(locked.status).toBe(429);
    // What is left of the 15-minute lock (seconds pass between the lock and this attempt on a loaded machine).
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(800);
    expect(Number(locked.headers.get('retry-after'))).toBeLessThanOrEqual(900);
    expect((await json<{ code: string }>(locked)).code).toBe('GW_ERR_LOCKED_OUT');
    // Another account from the same address still logs in.
    expect((await login(t, 'sch-32', 'demo-pass-sch-32')).status).toBe(200);
    const audit = (await t.gw.store.auditEntries({ actor: 'sch-33' })).map((e) => [e.action, e.detail.reason ?? null, e.ip]);
    expect(audit).toStrictEqual([
      ...Array.from({ length: 5 }, () => ['auth.login-failed', 'wrong-password', '127.0.0.1']),
      ['auth.locked-out', null, '127.0.0.1'],
    ]);
    expect(t.gw.counters.get('auth.lockouts')).toBe(1);
  });

  it('ends the session on logout: the old token is refused', async () => {
    const token = await t.login('tech');
    const auth = { authorization: `Bearer ${token}` };
    expect((await t.api('/api/devices', { as: null, headers: auth })).status).toBe(200);
    const out = await t.api('/api/auth/logout', { method: 'POST', as: null, headers: auth });
    expect(out.status).toBe(204);
    const after = await t.api('/api/devices', { as: null, headers: auth });
    expect(after.status).toBe(401);
    expect((await json<{ message: string }>(after)).message).toMatch(/session has ended/);
  });

  it('lets an admin add, change and disable accounts; accounts from the config file are read-only', async () => {
    const created = await t.api('/api/users', {
      method: 'POST',
      body: JSON.stringify({ username: 'sch05-guard', displayName: '东湖小学 门卫', role: 'school', school: 'sch-05', password: 'a-long-guard-password' }),
    });
    expect(created.status).toBe(201);
    expect(await json<unknown>(created)).toStrictEqual({
      username: 'sch05-guard',
      displayName: '东湖小学 门卫',
      role: 'school',
      school: 'sch-05',
      source: 'runtime',
      disabled: false,
      permissions: ['sites:read', 'devices:read', 'telemetry:read', 'alarms:read', 'devices:self-test', 'drills:read', 'drills:run'],
    });
    const session = await json<{ token: string }>(await login(t, 'sch05-guard', 'a-long-guard-password'));
    const auth = { authorization: `Bearer ${session.token}` };
    const sites = await json<{ id: string }[]>(await t.api('/api/sites', { as: null, headers: auth }));
    expect(sites.map((s) => s.id)).toStrictEqual(['sch-05']);

    const badSchool = await t.api('/api/users', { method: 'POST', body: JSON.stringify({ username: 'x1', role: 'school', school: 'psb-chengdong', password: 'a-long-guard-password' }) });
    const short = await t.api('/api/users', { method: 'POST', body: JSON.stringify({ username: 'x2', role: 'tester', password: 'short' }) });
    const dup = await t.api('/api/users', { method: 'POST', body: JSON.stringify({ username: 'duty', role: 'tester', password: 'a-long-guard-password' }) });
    const fromFile = await t.api('/api/users/duty', { method: 'PATCH', body: JSON.stringify({ disabled: true }) });
    expect([badSchool.status, short.status, dup.status, fromFile.status]).toStrictEqual([400, 400, 409, 409]);

    const disabled = await t.api('/api/users/sch05-guard', { method: 'PATCH', body: JSON.stringify({ disabled: true }) });
    expect((await json<{ disabled: boolean }>(disabled)).disabled).toBe(true);
    expect((await t.api('/api/sites', { as: null, headers: auth })).status).toBe(401);
    expect((await login(t, 'sch05-guard', 'a-long-guard-password')).status).toBe(401);
    const users = await json<{ username: string }[]>(await t.api('/api/users'));
    expect(users.length).toBe(5 + 33 + 1);
  });

  it('shows admins the audit log, hash-chained, with who, what, when and from where', async () => {
    const entries = await json<AuditEntry[]>(await t.api('/api/audit?limit=1000'));
    const actions = new Set(entries.map((e) => e.action));
    for (const a of ['config.change', 'auth.login', 'auth.login-failed', 'auth.locked-out', 'auth.logout', 'user.create', 'user.update']) expect(actions).toContain(a);
    const create = entries.find((e) => e.action === 'user.create');
    expect(create).toMatchObject({ actor: 'admin', target: 'sch05-guard', ip: '127.0.0.1', detail: { role: 'school', school: 'sch-05' } });
    expect(entries.every((e, i) => i === 0 || e.prevHash === entries[i - 1]?.hash)).toBe(true);
    const onlyLogins = await json<AuditEntry[]>(await t.api('/api/audit?action=auth.logout'));
    expect(onlyLogins.map((e) => e.actor)).toStrictEqual(['tech']);
    expect(await json<unknown>(await t.api('/api/audit/verify'))).toStrictEqual({ ok: true, entries: await t.gw.store.auditCount() });

    // An edit behind the gateway's back (triggers dropped by hand) is found.
    const victim = entries.find((e) => e.action === 'user.create') as AuditEntry;
    const { db } = t.gw.store as SqliteStateStore;
    db.exec('DROP TRIGGER audit_no_update');
    db.prepare('UPDATE audit SET actor = ? WHERE seq = ?').run('someone-else', victim.seq);
    expect(await json<unknown>(await t.api('/api/audit/verify'))).toStrictEqual({ ok: false, entries: await t.gw.store.auditCount(), brokenAt: victim.seq });
  });
});

describe('configuration changes in the audit log', () => {
  it('records a changed configuration at start, and nothing when it is unchanged', async () => {
    let t = await startGateway();
    try {
      const first = await t.gw.store.auditEntries({ action: 'config.change' });
      expect(first.map((e) => [e.actor, e.target, typeof e.detail.digest])).toStrictEqual([['system', 'config', 'string']]);
      t = await t.restart();
      expect(await t.gw.store.auditEntries({ action: 'config.change' })).toHaveLength(1);
      await t.close({ keepData: true });
      t = await startGateway({ health: { lowBatteryPercent: 25 } }, { dataDir: t.dataDir });
      const changes = await t.gw.store.auditEntries({ action: 'config.change' });
      expect(changes).toHaveLength(2);
      expect(changes[1]?.detail.previous).toBe(first[0]?.detail.digest);
    } finally {
      await t.close();
    }
  });
});
