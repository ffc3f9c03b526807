/**
 * A 1366 px laptop screen (the most common one in district offices): the header keeps to one
 * line in Chinese and in English, for the duty officer and the technician; the school page shows
 * each device's readings (a Modbus barrier's position); English counts agree in number.
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
});
