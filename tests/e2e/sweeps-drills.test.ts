/**
 * Health sweeps and drills in the dashboard, end to end: the real gateway (in process,
 * ephemeral ports), real MQTT devices and Debian's Chromium. A sweep started from the page by
 * the demo technician (`tech`) finds a button whose SIM is suspended; a drill started from a
 * school's page by the demo duty officer (`duty`) marks the press it covers as 演练 DRILL on the
 * board (no siren) and ends in a report that lists it.
 */
import { readFileSync } from 'node:fs';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Broadcast } from '../../gateway/core/broadcast/types.js';
import type { Drill } from '../../gateway/core/drills/service.js';
import type { Alarm } from '../../gateway/contract/types.js';
import { SimulatedButton } from '../../simulators/alarm-button.js';
import { eventually, startGateway, type TestGateway } from '../helpers/gateway.js';
import { ensureDashboardBuilt, openPage, closeAll, login, screenshotDir, type Browser } from './browser.js';
import { apiJson, apiPost, pressButton } from './gateway-actions.js';

/** The audit log's "who" is the username; timelines and drills show the display name. */
const TECHNICIAN = 'tech';
const OFFICER = '值班民警 王建国';

interface SweepResultsView {
  id: string;
  state: string;
  results: { deviceId: string; status: string }[];
}

describe('sweeps and drills in the dashboard', () => {
  let t: TestGateway;
  let browser: Browser;
  let page: Page;
  let button: SimulatedButton;
  const clients: MqttClient[] = [];
  const shots = screenshotDir();
  /** The documented picture, once the notices of earlier steps (toasts, 6 s) have gone from over the view. */
  const screenshot = async (name: string) => {
    await page.waitForFunction(() => (document.querySelector('.toasts')?.childElementCount ?? 0) === 0, undefined, { timeout: 10_000 });
    await page.screenshot({ path: join(shots, name) });
  };
  const soundState = () => page.evaluate(() => document.documentElement.dataset.alarmSound ?? 'off');

  beforeAll(async () => {
    await ensureDashboardBuilt();
    mkdirSync(shots, { recursive: true });
    t = await startGateway();
    const device = t.gw.loaded.devices.find((d) => d.id === 'sch-07-btn-1');
    if (!device) throw new Error('sch-07-btn-1 is not in the default district');
    button = new SimulatedButton({ url: t.mqttUrl, device, heartbeatMs: 300, faults: ['sim-suspended'] });
    await button.start();
    ({ browser, page } = await openPage());
  }, 180_000);

  afterAll(async () => {
    await closeAll({ browser, clients, then: [button, t], shots });
  }, 60_000);

  it('starts a sweep of sch-07 buttons from the page and shows the suspended SIM, failing first', async () => {
    // The simulated button's telemetry has reached the health tracker.
    await eventually(() => (t.gw.health.get('sch-07-btn-1')?.reasons.some((r) => r.code === 'sim-suspended') ? true : undefined));
    await login(page, 'tech', `${t.baseUrl}/#/sweeps`);
    await page.waitForSelector('[data-testid="connection"][data-state="live"]');
    expect(await page.textContent('[data-nav="sweeps"]')).toContain('巡检');
    await page.check('label[data-site="sch-07"] input');
    await page.check('label[data-kind="alarm-button"] input');
    await page.click('button[data-action="start-sweep"]');

    // The page goes to the new sweep and polls it until it is done.
    await page.waitForURL(/#\/sweeps\/[^/]+$/);
    const id = decodeURIComponent(page.url().split('#/sweeps/')[1] ?? '');
    await page.waitForSelector(`[data-testid="sweep-detail"][data-sweep-id="${id}"][data-state="done"]`, { timeout: 30_000 });
    const sweep = await apiJson<SweepResultsView>(t, `/api/sweeps/${id}`);
    expect(sweep.state).toBe('done');
    expect(sweep.results.every((r) => r.deviceId.startsWith('sch-07-btn-'))).toBe(true);

    const row = '[data-testid="sweep-results"] tr[data-device-id="sch-07-btn-1"]';
    expect(await page.getAttribute(row, 'data-status')).not.toBe('ok');
    expect(await page.textContent(`${row} [data-reason="sim-suspended"]`)).toContain('SIM 卡停机');
    // Failing first: no OK row above a failing one.
    const statuses = await page.$$eval('[data-testid="sweep-results"] tbody tr', (rows) => rows.map((r) => (r as HTMLElement).dataset.status ?? ''));
    expect(statuses).toHaveLength(sweep.results.length);
    expect(statuses.indexOf('ok') === -1 || statuses.slice(statuses.indexOf('ok')).every((s) => s === 'ok')).toBe(true);
    expect(await page.getAttribute('[data-testid="sweep-progress"]', 'data-done')).toBe(String(sweep.results.length));
    expect(await page.getAttribute('[data-testid="sweep-summary"] [data-sites]', 'data-sites')).toBe('1');
    expect(await page.getAttribute('[data-testid="sweep-summary"] [data-sites]', 'data-failing-sites')).toBe('1');
    expect(await page.textContent('[data-testid="sweep-summary"]')).toContain('1 所学校中 1 所有异常设备');

    // The sealed report downloads, and the chain it was sealed into verifies.
    // A plain link would go without the token: the page fetches the report with it.
    const csvHref = new URL((await page.getAttribute('[data-testid="sweep-reports"] a[data-format="csv"]', 'href')) ?? '', t.baseUrl);
    expect((await t.api(csvHref.pathname, { as: null })).status).toBe(401);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="sweep-reports"] a[data-format="csv"]')]);
    expect(download.suggestedFilename()).toBe(`sweep-${id}.csv`);
    expect(readFileSync(await download.path(), 'utf8')).toContain('sch-07-btn-1');
    await page.waitForSelector('[data-testid="sweep-chain"][data-ok="true"]');
    await page.waitForSelector(`[data-testid="sweep-list"] [data-sweep-id="${id}"][data-state="done"]`);
    expect(await page.textContent(`[data-testid="sweep-list"] [data-sweep-id="${id}"]`)).toContain(`${sweep.results.length} 台`);
    expect((await t.gw.store.auditEntries()).some((e) => e.action === 'sweep.start' && e.actor === TECHNICIAN && e.target === id)).toBe(true);
    await screenshot('sweeps.png');

    // Every string in English too.
    await page.click('button[data-action="lang"]');
    await page.waitForFunction(() => document.documentElement.lang === 'en-GB');
    expect(await page.textContent('[data-testid="sweep-summary"]')).toContain('schools with a failing device: 1 of 1');
    expect(await page.textContent(`${row} [data-reason="sim-suspended"]`)).toContain('SIM suspended');
    await page.click('button[data-action="lang"]');
    await page.waitForFunction(() => document.documentElement.lang === 'zh-CN');
  }, 60_000);

  it('runs the button self-test as an extra, shows the running sweep, and cancels it from the page', async () => {
    await page.goto(`${t.baseUrl}/#/sweeps`);
    await page.waitForSelector('label[data-site="sch-07"] input');
    await page.check('label[data-site="sch-07"] input');
    await page.check('label[data-kind="alarm-button"] input');
    await page.check('input[name="extra"][value="button-self-test"]');
    await page.click('button[data-action="start-sweep"]');
    await page.waitForURL(/#\/sweeps\/[^/]+$/);
    const id = decodeURIComponent(page.url().split('#/sweeps/')[1] ?? '');
    // The buttons that are not connected wait out the self-test's deadline: the sweep is still running.
    await page.waitForSelector(`[data-testid="sweep-detail"][data-sweep-id="${id}"][data-state="running"]`);
    expect(await page.textContent('[data-testid="sweep-reports"]')).toContain('巡检结束后生成报告');
    await page.click('button[data-action="cancel-sweep"]');
    await page.waitForSelector(`[data-testid="sweep-detail"][data-sweep-id="${id}"][data-state="cancelled"]`);
    expect(await page.textContent('[data-testid="sweep-state"]')).toBe('已取消');
    const cancelled = await apiJson<{ state: string; options: { extras: string[] } }>(t, `/api/sweeps/${id}?results=none`);
    expect(cancelled).toMatchObject({ state: 'cancelled', options: { extras: ['button-self-test'] } });
    expect((await t.gw.store.auditEntries()).some((e) => e.action === 'sweep.cancel' && e.actor === TECHNICIAN && e.target === id)).toBe(true);
    await page.waitForSelector('[data-testid="sweep-chain"][data-ok="true"]');
  }, 60_000);

  it('runs a drill on sch-12 from its page: the press is marked 演练 DRILL without the siren, and the report lists it', async () => {
    // A fresh load: nothing left on screen from the sweeps.
    await page.goto('about:blank');
    // Drills are the duty desk's (drills:run); the technician has no drill panel at all.
    await login(page, 'duty', `${t.baseUrl}/#/schools/sch-12`);
    await page.waitForSelector('[data-testid="connection"][data-state="live"]');
    await page.waitForSelector('[data-testid="drill-panel"][data-drill="none"]');
    await page.selectOption('#drill-duration', '600');
    await page.click('button[data-action="start-drill"]');
    await page.waitForSelector('[data-testid="drill-panel"][data-drill="running"]');
    await screenshot('school-drill.png');
    const [drill] = await apiJson<Drill[]>(t, '/api/drills?site=sch-12');
    expect(drill).toMatchObject({ siteId: 'sch-12', state: 'running', startedBy: OFFICER });
    expect((drill?.endsAt ?? 0) - (drill?.startedAt ?? 0)).toBe(600_000);

    const alarm = await pressButton(t, 'sch-12-btn-1', clients);
    expect(alarm.drill).toBe(true);
    await page.goto(`${t.baseUrl}/#/board/${alarm.id}`);
    const row = `.alarm-row[data-alarm-id="${alarm.id}"]`;
    await page.waitForSelector(`${row}.is-drill[data-drill="true"][data-state="active"]`);
    expect(await page.textContent(`${row} [data-testid="drill-tag"]`)).toBe('演练 DRILL');
    // Never like a real alarm: no red flashing, no siren.
    expect(await page.$(`${row}.is-flashing`)).toBeNull();
    expect(await soundState()).toBe('off');
    expect(await page.textContent('.alarm-detail .drill-banner')).toContain('不是真实警情');
    await screenshot('board-drill.png');

    await apiPost<Alarm>(t, `/api/alarms/${alarm.id}/ack`, {}, 'duty');
    await page.waitForSelector(`${row}[data-state="acknowledged"]`);
    // Whoever the drill's SMS reached first answers its roll-call.
    const receipt = await t.centre.sms.waitFor((r) => r.type === 'receipt');
    if (receipt.type !== 'receipt') throw new Error('expected a delivery receipt');
    const phone = receipt.to;
    t.centre.sms.reply(phone, '收到');
    const confirmedName = await eventually(async () => {
      const [summary] = await apiJson<{ id: string }[]>(t, `/api/broadcasts?alarmId=${alarm.id}`);
      const b = await apiJson<Broadcast>(t, `/api/broadcasts/${summary?.id}`);
      return b.recipients.find((r) => r.state === 'confirmed' && r.address === phone)?.name;
    });

    await page.goto(`${t.baseUrl}/#/schools/sch-12`);
    await page.waitForSelector('[data-testid="drill-panel"][data-drill="running"]');
    await page.click('button[data-action="end-drill"]');
    await page.waitForSelector(`[data-view="drill"][data-drill-id="${drill?.id}"][data-state="ended"]`);
    const report = `[data-testid="drill-alarms"] .drill-alarm[data-alarm-id="${alarm.id}"]`;
    await page.waitForSelector(report);
    expect(await page.textContent(`${report} [data-metric="ackBy"]`)).toContain(OFFICER);
    expect(await page.textContent(`${report} [data-metric="toAck"]`)).toMatch(/\d+\.\d 秒/);
    expect(await page.textContent(`${report} .drill-confirmed tbody`)).toContain(confirmedName);
    await screenshot('drill-report.png');
    const ended = await apiJson<Drill>(t, `/api/drills/${drill?.id}`);
    expect(ended.state).toBe('ended');
    expect(ended.report?.alarms.map((a) => a.alarmId)).toStrictEqual([alarm.id]);
  }, 60_000);
});
