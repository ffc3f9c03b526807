/**
 * A 1366 px laptop screen (the most common one in district offices): the header keeps to one
 * line in Chinese and in English, for the duty officer and the technician; the school page shows
 * each device's readings (a Modbus barrier's position); English counts agree in number; the
 * on-call page shows who is on duty, and a supervisor sets and ends a stand-in there.
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startGateway, type TestGateway } from '../helpers/gateway.js';
import { closeAll, ensureDashboardBuilt, launchChromium, login, screenshotDir, type Browser } from './browser.js';

/** How far apart (px) the tops of the header's parts are: one line when they all start on the first row. */
const headerRows = (page: Page) =>
  page.$eval('.app-header', (el) => {
    const boxes = [...el.children].map((c) => c.getBoundingClientRect()).filter((b) => b.height > 0);
    const firstBottom = Math.min(...boxes.map((b) => b.bottom));
    // A part whose top is below the bottom of the shortest one has gone to a second line.
    return boxes.filter((b) => b.top >= firstBottom).length;
  });

describe('dashboard at 1366 px', () => {
  let t: TestGateway;
  let browser: Browser;
  let page: Page;
  const shots = screenshotDir();

  beforeAll(async () => {
    await ensureDashboardBuilt();
    t = await startGateway({ adapters: { 'camera-onvif': { checkIntervalSeconds: 0 } } });
    browser = await launchChromium({ width: 1366, height: 768 });
    page = await browser.context.newPage();
    page.setDefaultTimeout(15_000);
  }, 240_000);
  afterAll(async () => {
    await closeAll({ browser, then: [t], shots });
  }, 60_000);

  for (const user of ['duty', 'tech']) {
    it(`keeps the header on one line in Chinese and English (${user})`, async () => {
      await login(page, user, `${t.baseUrl}/#/board`);
      await page.waitForSelector('[data-testid="connection"][data-state="live"]');
      await page.waitForSelector('.channels .chip');
      const zh = await headerRows(page);
      await page.screenshot({ path: join(shots, `header-1366-${user}-zh.png`) });
      await page.click('button[data-action="lang"]');
      await page.waitForFunction(() => document.documentElement.lang.startsWith('en'));
      const en = await headerRows(page);
      await page.screenshot({ path: join(shots, `header-1366-${user}-en.png`) });
      await page.click('button[data-action="lang"]');
      expect({ zh, en }).toStrictEqual({ zh: 0, en: 0 });
    }, 60_000);
  }

  it("shows a Modbus barrier's position on the school page", async () => {
    await login(page, 'duty', `${t.baseUrl}/#/schools/sch-02`);
    await eventually(async () => ((await (await t.api('/api/devices/sch-02-bar-1', { as: 'duty' })).json()) as { state: Record<string, unknown> }).state['position']);
    const chip = await page.waitForSelector('tr[data-device-id="sch-02-bar-1"] .state-chip[data-field="position"]', { timeout: 20_000 });
    expect(await chip.getAttribute('data-value')).toBe('raised');
    expect(await page.textContent('tr[data-device-id="sch-02-bar-1"] .state-chip[data-field="position"]')).toContain('升起');
  }, 60_000);

  it('shows who is on call, and lets a supervisor set and end a stand-in (a duty officer only reads)', async () => {
    await login(page, 'supervisor', `${t.baseUrl}/#/oncall`);
    const duty = '[data-testid="oncall-duty"]';
    await page.waitForSelector(`${duty} tr[data-role="station-chief"]`);
    expect(await page.$$eval(`${duty} tr`, (rows) => rows.map((r) => (r as HTMLElement).dataset.role))).toStrictEqual(['duty-officer', 'supervisor', 'station-chief', 'technician']);
    // The demo roster has a duty officer at every hour, from a shift, with a phone.
    expect(await page.getAttribute(`${duty} tr[data-role="duty-officer"]`, 'data-source')).toBe('shift');
    expect(await page.textContent(`${duty} tr[data-role="duty-officer"]`)).toMatch(/值班民警 .+1380571920\d/);

    await page.selectOption('#oncall-role', 'station-chief');
    await page.selectOption('#oncall-person', 'li-qiang');
    await page.fill('#oncall-note', '所长外出开会');
    await page.click('button[data-action="oncall-add"]');
    await page.waitForSelector(`${duty} tr[data-role="station-chief"][data-source="override"]`);
    expect(await page.textContent(`${duty} tr[data-role="station-chief"]`)).toContain('维保技术员 李强');
    const row = '[data-testid="oncall-overrides"] tr[data-state="active"]';
    expect(await page.textContent(row)).toContain('所长外出开会');
    // What the page shows is what the gateway escalates to.
    expect((await t.gw.oncall.onDuty('station-chief'))?.personId).toBe('li-qiang');
    await page.screenshot({ path: join(shots, 'oncall-1366-zh.png'), fullPage: true });

    await page.click('button[data-action="lang"]');
    await page.waitForSelector(`${duty} tr[data-role="station-chief"] >> text=Station chief`);
    expect(await page.textContent(`${duty} tr[data-role="station-chief"]`)).toContain('stand-in');
    await page.click(`${row} button[data-action="oncall-end"]`);
    await page.waitForSelector(`${duty} tr[data-role="station-chief"][data-source="shift"]`);
    expect(await page.textContent('[data-testid="oncall-overrides"] tr[data-state="ended"]')).toContain('ended early by');
    expect((await t.gw.oncall.onDuty('station-chief'))?.personId).not.toBe('li-qiang');
    await page.click('button[data-action="lang"]');

    await login(page, 'duty', `${t.baseUrl}/#/oncall`);
    await page.waitForSelector(`${duty} tr[data-role="technician"]`);
    expect(await page.isVisible('[data-testid="oncall-form"]')).toBe(false);
    expect(await page.$$('button[data-action="oncall-end"]')).toStrictEqual([]);
  }, 90_000);
});
