/**
 * Operator login on the dashboard end to end (issue #4): the real gateway with its demo
 * accounts, real MQTT presses and Debian's Chromium. Wrong passwords and lockouts are said in
 * words; each role is offered only what it may do (a school sees its own school, no
 * acknowledge, no broadcasts); signing out revokes the token; a session revoked elsewhere
 * brings the login screen back, through the API's 401 or the live feed's refusal.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startGateway, type TestGateway } from '../helpers/gateway.js';
import { demoPassword, ensureDashboardBuilt, openPage, closeAll, login, pageToken, screenshotDir, type Browser } from './browser.js';
import { pressButton, routeLive, type LiveRoute } from './gateway-actions.js';

describe('operator login and roles on the dashboard', () => {
  let t: TestGateway;
  let browser: Browser;
  let page: Page;
  let live: LiveRoute;
  const clients: MqttClient[] = [];
  const shots = screenshotDir();

  const loginMessage = () => page.textContent('[data-testid="login-error"]');
  /** Types a username and password and waits for the verdict the login screen shows. */
  const tryLogin = async (username: string, password: string) => {
    await page.fill('#login-username', username);
    await page.fill('#login-password', password);
    await page.click('button[data-action="login"]');
    await page.waitForSelector('[data-testid="login-error"]:not([hidden])');
    return page.getAttribute('[data-testid="login-error"]', 'data-code');
  };
  /** GET with exactly this bearer token (not the helper's own login). */
  const withToken = (path: string, token: string | undefined) => t.api(path, { as: null, headers: { authorization: `Bearer ${token ?? ''}` } });

  beforeAll(async () => {
    await ensureDashboardBuilt();
    mkdirSync(shots, { recursive: true });
    // Every test here logs in, some many times: the per-address login rate limit (20 a minute)
    // is not under test, the per-account lockout is.
    t = await startGateway({ http: { rateLimit: { loginMax: 500 } } });
    ({ browser, page } = await openPage());
    live = await routeLive(page);
  }, 180_000);

  afterAll(async () => {
    await closeAll({ browser, clients, then: [t], shots });
  }, 60_000);

  it('refuses a wrong password with a clear message, in Chinese and in English, and keeps no token', async () => {
    await page.goto(`${t.baseUrl}/#/board`);
    await page.waitForSelector('[data-testid="login"]');
    expect(await page.$('[data-testid="session"]')).toBeNull();
    expect(await tryLogin('duty', 'not-the-password')).toBe('bad-credentials');
    expect(await loginMessage()).toBe('用户名或密码错误');
    expect(await page.inputValue('#login-password')).toBe('');
    expect(await page.inputValue('#login-username')).toBe('duty');
    expect(await pageToken(page)).toBeUndefined();
    await page.screenshot({ path: join(shots, 'login.png') });

    await page.click('[data-testid="login"] button[data-action="lang"]');
    await page.waitForFunction(() => document.documentElement.lang === 'en-GB');
    expect(await loginMessage()).toBe('Wrong username or password');
    expect(await page.textContent('button[data-action="login"]')).toBe('Sign in');
    await page.click('[data-testid="login"] button[data-action="lang"]');
    await page.waitForFunction(() => document.documentElement.lang === 'zh-CN');
  });

  it('says for how many minutes an account is locked after repeated failures (429, Retry-After)', async () => {
    let code: string | null = null;
    // lockout.maxFailures is 5 in the default configuration: locked by the sixth try at the latest.
    for (let i = 0; i < 7 && code !== 'locked-out'; i++) code = await tryLogin('tester', 'wrong-password');
    expect(code).toBe('locked-out');
    expect(await loginMessage()).toBe('登录失败次数过多，该账号已被暂时锁定，请 15 分钟后再试');
    // Locked means locked: the right password is refused too, with the same words.
    expect(await tryLogin('tester', demoPassword('tester'))).toBe('locked-out');
    expect(await pageToken(page)).toBeUndefined();
  });

  it('shows a school user its own school only, with no acknowledge buttons and no broadcasts', async () => {
    const own = await pressButton(t, 'sch-02-btn-1', clients);
    const other = await pressButton(t, 'sch-03-btn-1', clients);
    await login(page, 'sch-02', `${t.baseUrl}/#/board`);
    await page.waitForSelector('[data-testid="connection"][data-state="live"]');
    expect(await page.textContent('[data-testid="operator-name"]')).toBe('城东区第二中学 保卫处');
    // The school's name arrives with the site list, which may come after the live snapshot.
    await page.waitForFunction(() => document.querySelector('[data-testid="operator-role"]')?.textContent === '学校用户 · 城东区第二中学', undefined, { timeout: 10_000 });

    // Its own alarm flashes; the other school's is not on its board.
    const row = `.alarm-row[data-alarm-id="${own.id}"]`;
    await page.waitForSelector(`${row}.is-flashing`);
    const sites = await page.$$eval('.alarm-row', (rows) => [...new Set(rows.map((r) => (r as HTMLElement).dataset.siteId))]);
    expect(sites).toStrictEqual(['sch-02']);
    expect(await page.$(`.alarm-row[data-alarm-id="${other.id}"]`)).toBeNull();

    // The alarm in full, but nothing to act with: no acknowledge, no resolve, no broadcast.
    await page.click(row);
    await page.waitForSelector(`.alarm-detail [data-alarm-id="${own.id}"]`);
    expect(await page.$$('.alarm-detail [data-action="ack"], .alarm-detail [data-action="resolve"], .alarm-detail [data-action="compose"]')).toHaveLength(0);
    // The documented picture of a school's screen: its own alarm, nothing to act with.
    await page.screenshot({ path: join(shots, 'school-user.png') });
    await page.keyboard.press('a');
    expect(await page.$('dialog.action-dialog[open]')).toBeNull();
    expect(await page.isHidden('[data-nav="broadcasts"]')).toBe(true);
    expect(await page.isHidden('[data-nav="sweeps"]')).toBe(true);

    // One school tile; its page offers the button self-test and drills, no barrier commands.
    await page.goto(`${t.baseUrl}/#/schools`);
    await page.waitForSelector('.school-grid .tile[data-site-id="sch-02"]');
    expect(await page.$$eval('.school-grid .tile', (tiles) => tiles.map((el) => (el as HTMLElement).dataset.siteId))).toStrictEqual(['sch-02']);
    await page.click('.tile[data-site-id="sch-02"] a');
    await page.waitForSelector('[data-view="school"] tr[data-device-id="sch-02-btn-1"] button[data-action="self-test"]');
    expect(await page.$$('[data-view="school"] button[data-action="raise"], [data-view="school"] button[data-action="lower"]')).toHaveLength(0);
    await page.waitForSelector('[data-testid="drill-panel"] button[data-action="start-drill"]');
    await page.click('tr[data-device-id="sch-02-btn-1"] button[data-action="self-test"]');
    await page.waitForSelector('.toast-info:has-text("已发送自检指令")');
    await eventually(async () => (await t.gw.store.auditEntries()).find((e) => e.action === 'device.self-test' && e.actor === 'sch-02' && e.target === 'sch-02-btn-1'));

    // A bookmarked view the role may not see says so, instead of an empty page.
    await page.goto(`${t.baseUrl}/#/broadcasts`);
    await page.waitForSelector('[data-testid="forbidden"]');
    expect(await page.textContent('[data-testid="forbidden"]')).toContain('您的角色（学校用户）无权查看此页面');
  });

  it('offers the duty officer no sweeps to run and the technician no alarms to acknowledge', async () => {
    const alarm = await pressButton(t, 'sch-04-btn-1', clients);
    await login(page, 'duty', `${t.baseUrl}/#/sweeps`);
    await page.waitForSelector('[data-view="sweeps"] [data-testid="sweep-list"]');
    expect(await page.$('[data-testid="sweep-form"]')).toBeNull();
    await page.goto(`${t.baseUrl}/#/board/${alarm.id}`);
    await page.waitForSelector('.alarm-detail button[data-action="ack"]');

    await login(page, 'tech', `${t.baseUrl}/#/board/${alarm.id}`);
    await page.waitForSelector(`.alarm-detail [data-alarm-id="${alarm.id}"]`);
    expect(await page.$('.alarm-detail [data-action="ack"]')).toBeNull();
    expect(await page.textContent('[data-testid="operator-role"]')).toBe('维保技术员');
    // Barrier commands are the technician's, in two clicks; drills are not.
    await eventually(() => (t.gw.health.get('sch-02-bar-1')?.status === 'ok' ? true : undefined), { timeoutMs: 15_000 });
    await page.goto(`${t.baseUrl}/#/schools/sch-02`);
    const raise = 'tr[data-device-id="sch-02-bar-1"] button[data-action="raise"]';
    await page.waitForSelector(raise);
    expect(await page.$('[data-testid="drill-panel"]')).toBeNull();
    await page.click(raise);
    expect(await page.textContent(raise)).toBe('确认升起？');
    await page.click(raise);
    await page.waitForSelector('.toast-info:has-text("已升起")', { timeout: 30_000 });
    expect((await t.gw.store.auditEntries()).filter((e) => e.action === 'barrier.command').map((e) => [e.actor, e.target, e.detail.command, e.detail.outcome])).toStrictEqual([['tech', 'sch-02-bar-1', 'raise', 'ok']]);
  }, 60_000);

  it('signs out: back to the login screen, and the old token no longer works (401)', async () => {
    await login(page, 'duty', `${t.baseUrl}/#/board`);
    await page.waitForSelector('[data-testid="connection"][data-state="live"]');
    const token = await pageToken(page);
    expect((await withToken('/api/alarms', token)).status).toBe(200);
    await page.click('button[data-action="logout"]');
    await page.waitForSelector('[data-testid="login-error"][data-code="logged-out"]');
    expect(await loginMessage()).toBe('已退出登录');
    expect(await pageToken(page)).toBeUndefined();
    const refused = await withToken('/api/alarms', token);
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { code: string }).code).toBe('GW_ERR_UNAUTHENTICATED');
    // A reload stays signed out.
    await page.reload();
    await page.waitForSelector('[data-testid="login"]');
    expect(await page.$('[data-testid="session"]')).toBeNull();
  });

  it('returns to the login screen when the session is revoked elsewhere and the API answers 401', async () => {
    await login(page, 'duty', `${t.baseUrl}/#/board`);
    await page.waitForSelector('[data-testid="connection"][data-state="live"]');
    const token = await pageToken(page);
    // Another screen signs this session out.
    expect((await t.api('/api/auth/logout', { method: 'POST', as: null, headers: { authorization: `Bearer ${token ?? ''}` } })).status).toBe(204);
    // The next request the page makes (the school's alarm history) is refused.
    await page.goto(`${t.baseUrl}/#/schools/sch-01`);
    await page.waitForSelector('[data-testid="login-error"][data-code="expired"]');
    expect(await loginMessage()).toBe('登录已过期或已在别处注销，请重新登录');
    expect(await pageToken(page)).toBeUndefined();
  });

  it('returns to the login screen when the live feed refuses the revoked session on reconnect', async () => {
    await login(page, 'duty', `${t.baseUrl}/#/board`);
    await page.waitForSelector('[data-testid="connection"][data-state="live"]');
    const token = await pageToken(page);
    const before = live.connects;
    expect((await t.api('/api/auth/logout', { method: 'POST', as: null, headers: { authorization: `Bearer ${token ?? ''}` } })).status).toBe(204);
    // The feed drops; the page reconnects with its token, and the gateway refuses the upgrade.
    await live.page?.close({ code: 4000, reason: 'e2e: network cut' });
    await live.server?.close();
    await page.waitForSelector('[data-testid="login-error"][data-code="expired"]', { timeout: 20_000 });
    expect(live.connects).toBeGreaterThan(before);
    expect(await pageToken(page)).toBeUndefined();
  }, 30_000);
});
