/**
 * The tester's simulator control panel, end to end: the real gateway (in process, ephemeral
 * ports) with a simulated psb-chengdong and sch-01 attached to its simulator control, and
 * Debian's Chromium. The tester presses sch-01's gate button from the panel and the panic
 * appears on the board; takes the primary 110 receiver down and back with one click each; a
 * duty officer has no Simulators entry and is told the view is not for the role.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DistrictSimulator } from '../../simulators/district.js';
import { eventually, startGateway, type TestGateway } from '../helpers/gateway.js';
import { ensureDashboardBuilt, openPage, closeAll, login, screenshotDir, type Browser } from './browser.js';

describe('simulator control panel in the dashboard', () => {
  let t: TestGateway;
  let district: DistrictSimulator;
  let browser: Browser;
  let page: Page;
  const shots = screenshotDir();

  beforeAll(async () => {
    await ensureDashboardBuilt();
    mkdirSync(shots, { recursive: true });
    t = await startGateway();
    district = new DistrictSimulator({
      url: t.mqttUrl,
      config: t.gw.loaded.config,
      devices: t.gw.loaded.devices,
      log: pino({ level: 'silent' }),
      heartbeatMs: 2000,
      sites: ['psb-chengdong', 'sch-01'],
    });
    t.simulators.attach(district);
    await district.start();
    ({ browser, page } = await openPage());
  }, 180_000);

  afterAll(async () => {
    await closeAll({ browser, then: [district, t], shots });
  }, 60_000);

  it('the tester presses a button from the panel and the panic appears on the board', async () => {
    await login(page, 'tester', `${t.baseUrl}/#/simulators`);
    expect(await page.textContent('[data-nav="simulators"]')).toBe('模拟器');
    // The far ends come first, then the school's devices with their state.
    await page.waitForSelector('[data-testid="sim-far-ends"] [data-device="110-primary"][data-state="up"]');
    const farEnds = await page.$$eval('[data-testid="sim-far-ends"] [data-device]', (els) => els.map((e) => (e as HTMLElement).dataset.device));
    expect(farEnds).toStrictEqual(['110-primary', '110-secondary', 'sms-centre']);
    const press = '[data-testid="sim-devices"] [data-device="sch-01-btn-1"][data-state="online"] button[data-action="press"]';
    await page.waitForSelector(`${press}:not([disabled])`);
    // School names come with the site list, which may arrive after the simulators' list.
    await page.waitForFunction(() => document.querySelector('[data-testid="sim-devices"] [data-site="sch-01"] .sim-group-title')?.textContent === '城东区第一中学', undefined, { timeout: 10_000 });
    await page.screenshot({ path: join(shots, 'simulators-panel.png') });
    await page.click(press);
    await page.waitForSelector('.toast:has-text("按下报警 已执行")');

    const panic = await eventually(() => t.gw.alarms.openAlarms().find((a) => a.type === 'panic' && a.deviceId === 'sch-01-btn-1'));
    await page.click('[data-nav="board"]');
    await page.waitForSelector(`[data-alarm-id="${panic.id}"][data-device-id="sch-01-btn-1"][data-state="active"]`);
    expect((await t.gw.store.auditEntries()).some((e) => e.action === 'simulator.press' && e.actor === 'tester' && e.target === 'sch-01-btn-1')).toBe(true);
  }, 60_000);

  it('takes the primary 110 receiver down and restores it with one click each, in either language', async () => {
    await page.click('[data-nav="simulators"]');
    const card = '[data-testid="sim-far-ends"] [data-device="110-primary"]';
    await page.click(`${card}[data-state="up"] button[data-action="down"]`);
    await page.waitForSelector(`${card}[data-state="down"]`);
    expect(t.centre.primary.mode).toBe('down');
    expect(await page.textContent(`${card} .sim-badge`)).toBe('停机');
    await page.click('button[data-action="lang"]');
    await page.waitForFunction(() => document.documentElement.lang === 'en-GB');
    expect(await page.textContent('[data-nav="simulators"]')).toBe('Simulators');
    expect(await page.textContent(`${card} .sim-badge`)).toBe('down');
    await page.click(`${card} button[data-action="up"]`);
    await page.waitForSelector(`${card}[data-state="up"]`);
    expect(t.centre.primary.mode).toBe('normal');
    await page.click('button[data-action="lang"]');
    await page.waitForFunction(() => document.documentElement.lang === 'zh-CN');
  }, 60_000);

  it('offers no Simulators entry to a duty officer, and says the view is not for the role', async () => {
    await login(page, 'duty', `${t.baseUrl}/#/board`);
    expect(await page.isHidden('[data-nav="simulators"]')).toBe(true);
    await page.goto(`${t.baseUrl}/#/simulators`);
    await page.waitForSelector('[data-testid="forbidden"][data-forbidden="simulators"]');
    expect(await page.$('[data-testid="simulators"]')).toBeNull();
  }, 60_000);
});
