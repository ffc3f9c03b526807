/**
 * A school's history charts and the schools' schematic map, end to end: the real gateway (in
 * process, ephemeral ports), the simulated district on real MQTT, and Debian's Chromium. Two
 * buttons of sch-01 are left out of the simulated district and played by the test as real MQTT
 * devices, so the readings on their charts are exactly the ones the test sent.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import pino from 'pino';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DistrictSimulator } from '../../simulators/district.js';
import { connectAs, eventually, startGateway, type TestGateway } from '../helpers/gateway.js';
import { ensureDashboardBuilt, openPage, closeAll, login, screenshotDir, type Browser } from './browser.js';
import { pressButton } from './gateway-actions.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
/** Played by the test, not by the district simulator. */
const DENSE = 'sch-01-btn-1';
const SPARSE = 'sch-01-btn-2';

/** A reading as the button sends it on campus/v1/{site}/{device}/telemetry, with its own time. */
interface Reading {
  at: number;
  battery: number;
  rssi: number;
}

describe('history charts and the schematic map on the real gateway', () => {
  let t: TestGateway;
  let district: DistrictSimulator;
  let browser: Browser;
  let page: Page;
  const clients: MqttClient[] = [];
  const shots = screenshotDir();
  const screenshot = (name: string) => page.screenshot({ path: join(shots, name) });
  /** SPARSE's readings: one every 2 h over the last day, each alone in its 15-min bucket. */
  const sparse: Reading[] = [];

  const chart = (deviceId: string, field: string) => `[data-testid="history"] figure.chart[data-device-id="${deviceId}"][data-field="${field}"]`;
  const marker = (siteId: string) => `[data-testid="school-map"] a.map-marker[data-site-id="${siteId}"]`;

  /** Connects as the button, reports its power-up link test (as a real one does) and sends `readings`. */
  async function sendReadings(deviceId: string, readings: readonly Reading[]): Promise<void> {
    const client = await connectAs(t.mqttUrl, deviceId, { clientId: `e2e-telemetry-${deviceId}` });
    clients.push(client);
    const base = `campus/v1/sch-01/${deviceId}`;
    await client.publishAsync(`${base}/event`, JSON.stringify({ type: 'test' }), { qos: 1 });
    for (const r of readings) await client.publishAsync(`${base}/telemetry`, JSON.stringify({ ...r, power: 'mains' }), { qos: 1 });
  }

  /** Pixels of the chart's line colour (#5ab0ff) on its canvas: the series was drawn, not just an axis. */
  const linePixels = (selector: string) =>
    page.$eval(`${selector} canvas`, (canvas) => {
      const c = canvas as HTMLCanvasElement;
      const data = c.getContext('2d')?.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      if (data) for (let i = 0; i < data.length; i += 4) if (Math.abs((data[i] ?? 0) - 90) < 12 && Math.abs((data[i + 1] ?? 0) - 176) < 12 && Math.abs((data[i + 2] ?? 0) - 255) < 12) n++;
      return n;
    });

  beforeAll(async () => {
    await ensureDashboardBuilt();
    mkdirSync(shots, { recursive: true });
    t = await startGateway();
    district = new DistrictSimulator({
      url: t.mqttUrl,
      config: t.gw.loaded.config,
      devices: t.gw.loaded.devices.filter((d) => d.id !== DENSE && d.id !== SPARSE),
      log: pino({ level: 'silent' }),
      heartbeatMs: 1000,
    });
    await district.start();
    ({ browser, page } = await openPage());
  }, 180_000);

  afterAll(async () => {
    await closeAll({ browser, clients, then: [district, t], shots });
  }, 60_000);

  it("charts a button's battery and signal from the telemetry it sent, with the school's local times", async () => {
    const now = Date.now();
    for (let k = 11; k >= 0; k--) sparse.push({ at: now - k * 2 * HOUR - 7 * MIN, battery: 84 + k, rssi: -70 - (k % 4) * 3 });
    // A day of readings every 15 min: a battery slowly draining, a signal that wanders.
    const dense: Reading[] = [];
    for (let k = 95; k >= 0; k--) dense.push({ at: now - k * 15 * MIN - 3 * MIN, battery: Math.round(97 - (95 - k) * 0.06), rssi: Math.round(-66 - 5 * Math.sin(k / 7) - (k % 3)) });
    await sendReadings(SPARSE, sparse);
    await sendReadings(DENSE, dense);

    await login(page, 'duty', `${t.baseUrl}/#/schools/sch-01`);
    await page.waitForSelector(`${chart(SPARSE, 'battery')}[data-state="ready"]`);
    // Every reading alone in its bucket: as many points as readings, the newest last.
    expect(await page.getAttribute(chart(SPARSE, 'battery'), 'data-points')).toBe('12');
    expect(await page.getAttribute(chart(SPARSE, 'battery'), 'data-last')).toBe('84');
    await page.waitForSelector(`${chart(SPARSE, 'rssi')}[data-state="ready"][data-points="12"][data-last="-70"]`);
    await page.waitForSelector(`${chart(DENSE, 'battery')}[data-state="ready"]`);
    expect(Number(await page.getAttribute(chart(DENSE, 'battery'), 'data-points'))).toBeGreaterThanOrEqual(95);
    // Drawn: the dots of the sparse series and the line of the dense one are on the canvas.
    expect(await linePixels(chart(SPARSE, 'battery'))).toBeGreaterThan(12 * 10);
    expect(await linePixels(chart(DENSE, 'rssi'))).toBeGreaterThan(500);
    expect(await page.textContent(`${chart(SPARSE, 'battery')} figcaption`)).toBe('电量 (%) · 每 15 分钟的平均值');
    expect(await page.getAttribute(`${chart(SPARSE, 'battery')} .chart-plot`, 'aria-label')).toContain('12 个数据点，最新 84 %');

    // The tooltip over the newest reading: its bucket's wall-clock time in Asia/Shanghai and its mean.
    const newest = sparse.at(-1);
    if (!newest) throw new Error('no readings');
    const bucket = Math.floor(newest.at / (15 * MIN)) * 15 * MIN;
    await page.locator(chart(SPARSE, 'battery')).scrollIntoViewIfNeeded();
    const box = await page.locator(`${chart(SPARSE, 'battery')} .u-over`).boundingBox();
    if (!box) throw new Error('no plot area');
    const winTo = now;
    const x = box.x + ((bucket - (winTo - 24 * HOUR)) / (24 * HOUR)) * box.width;
    await page.mouse.move(Math.min(x, box.x + box.width - 2), box.y + box.height / 2);
    await page.waitForSelector(`${chart(SPARSE, 'battery')} .chart-tip:not([hidden])`);
    const expectedTime = new Intl.DateTimeFormat('zh-CN', { timeZone: 'Asia/Shanghai', month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(bucket);
    expect(await page.textContent(`${chart(SPARSE, 'battery')} .chart-tip`)).toBe(`${expectedTime}84 %`);

    // The school's availability over the same window, as a percentage.
    await page.waitForSelector('[data-testid="site-uptime"][data-uptime]:not([data-uptime=""])');
    const uptime = Number(await page.getAttribute('[data-testid="site-uptime"]', 'data-uptime'));
    expect(uptime).toBeGreaterThanOrEqual(0);
    expect(uptime).toBeLessThanOrEqual(1);
    expect(await page.textContent('[data-testid="site-uptime"]')).toMatch(/^本校设备在线率（近 24 小时）：\d+\.\d%$/);
    // The picture: the whole page on a tall screen, a tooltip open on the signal of the button that reported all day.
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.setViewportSize({ width: 1920, height: 2000 });
    const rssi = await page.locator(`${chart(DENSE, 'rssi')} .u-over`).boundingBox();
    if (rssi) await page.mouse.move(rssi.x + rssi.width * 0.62, rssi.y + rssi.height / 2);
    await page.waitForSelector(`${chart(DENSE, 'rssi')} .chart-tip:not([hidden])`);
    await screenshot('school-charts.png');
    await page.mouse.move(0, 0);
    await page.setViewportSize({ width: 1920, height: 1080 });

    // Seven days: hourly buckets asked for, still one bucket per reading.
    const weekly = page.waitForRequest((r) => r.url().includes(`/api/devices/${SPARSE}/telemetry`) && r.url().includes('every=1h'));
    await page.click('[data-testid="history"] button[data-range="7d"]');
    await weekly;
    await page.waitForSelector('[data-testid="history"] button[data-range="7d"][aria-pressed="true"]');
    await page.waitForSelector(`${chart(SPARSE, 'battery')}[data-state="ready"][data-points="12"]`);
    expect(await page.textContent(`${chart(SPARSE, 'battery')} figcaption`)).toBe('电量 (%) · 每 1 小时的平均值');
  });

  it('says 暂无数据 / No data yet for a device that never reported, in both languages', async () => {
    // sch-03's first button is dead in the simulated district: it has never sent a reading.
    await page.goto(`${t.baseUrl}/#/schools/sch-03`);
    await page.waitForSelector(`${chart('sch-03-btn-1', 'battery')}[data-state="empty"]`);
    expect(await page.textContent(`${chart('sch-03-btn-1', 'battery')} .chart-empty`)).toBe('暂无数据');
    expect(await page.$(`${chart('sch-03-btn-1', 'battery')} canvas`)).toBeNull();
    await page.click('button[data-action="lang"]');
    await page.waitForFunction(() => document.documentElement.lang === 'en-GB');
    expect(await page.textContent(`${chart('sch-03-btn-1', 'battery')} .chart-empty`)).toBe('No data yet');
    expect(await page.textContent(`${chart('sch-03-btn-1', 'battery')} figcaption`)).toBe('Battery (%) · mean per 15 min');
    expect(await page.textContent('[data-testid="history"] button[data-range="7d"]')).toBe('Last 7 days');
    await page.click('button[data-action="lang"]');
    await page.waitForFunction(() => document.documentElement.lang === 'zh-CN');
  });

  it('puts all 34 sites on the map for the duty officer, a school with an open panic pulsing; a click opens it', async () => {
    const alarm = await pressButton(t, 'sch-05-btn-1', clients);
    await page.goto(`${t.baseUrl}/#/schools`);
    await page.click('[data-testid="schools-layout"] button[data-layout="map"]');
    await page.waitForSelector('[data-view="schools"][data-layout="map"]');
    expect(await page.$$eval('[data-testid="school-map"] a.map-marker', (m) => m.length)).toBe(34);
    expect(await page.isHidden('[data-testid="map-unlocated"]')).toBe(true);
    expect(await page.isHidden('.school-grid')).toBe(true);

    // The open panic: a red ring that pulses (a CSS animation), and the alarm counted in the dot.
    await page.waitForSelector(`${marker('sch-05')}.has-critical[data-critical="true"][data-alarms="1"]`);
    expect(await page.$eval(`${marker('sch-05')} .marker-pulse`, (el) => getComputedStyle(el).animationName)).toBe('map-pulse');
    expect(await page.$eval(`${marker('sch-05')} .marker-pulse`, (el) => getComputedStyle(el).visibility)).toBe('visible');
    expect(await page.$eval(`${marker('sch-06')} .marker-pulse`, (el) => getComputedStyle(el).visibility)).toBe('hidden');
    expect(await page.getAttribute(marker('sch-05'), 'aria-label')).toContain('东湖小学');
    // Coloured by the worst state, like its tile: the dead button makes sch-03 not OK.
    const sch03 = await page.getAttribute(marker('sch-03'), 'data-status');
    expect(sch03).not.toBe('ok');
    expect(await page.$eval(`${marker('sch-03')} .marker-dot`, (el) => getComputedStyle(el).fill)).toBe(
      // The theme's colour for that state (base.css), as the tiles' badges use it.
      await page.evaluate((s) => {
        const probe = document.body.appendChild(document.createElement('span'));
        probe.style.color = `var(--${s})`;
        const rgb = getComputedStyle(probe).color;
        probe.remove();
        return rgb;
      }, sch03 ?? ''),
    );
    // Markers sit where their coordinates put them: sch-06 (120.33° E) east of sch-29 (120.19° E), sch-18 (30.358° N) north of sch-23 (30.27° N).
    const at = (id: string) => page.$eval(`${marker(id)} .marker-dot`, (el) => el.getBoundingClientRect());
    expect((await at('sch-06')).x).toBeGreaterThan((await at('sch-29')).x);
    expect((await at('sch-18')).y).toBeLessThan((await at('sch-23')).y);
    await page.mouse.move(0, 0);
    await screenshot('schools-map.png');

    await page.click(`${marker('sch-05')} .marker-dot`);
    await page.waitForSelector('[data-view="school"][data-site-id="sch-05"]');
    expect(await page.evaluate(() => location.hash)).toBe('#/schools/sch-05');
    await page.waitForSelector(`.mini-alarms li[data-alarm-id="${alarm.id}"]`);

    // Remembered: back to the schools, the map again. Keyboard: Tab reaches a marker, Enter opens it.
    await page.goto(`${t.baseUrl}/#/schools`);
    await page.waitForSelector('[data-view="schools"][data-layout="map"]');
    await page.focus('[data-testid="schools-layout"] button[data-layout="map"]');
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => document.activeElement?.getAttribute('data-site-id') ?? '');
    expect(focused).toMatch(/^sch-\d\d$|^psb-/);
    await page.focus(marker('sch-12'));
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-view="school"][data-site-id="sch-12"]');
  });

  it('shows a school user its one school on the map and charts only its own devices', async () => {
    const telemetryAsked: string[] = [];
    page.on('request', (r) => {
      const m = /\/api\/(devices|sites)\/([^/]+)\/(telemetry|availability)/.exec(r.url());
      if (m?.[2]) telemetryAsked.push(m[2]);
    });
    // The map layout is the browser's preference, kept from the officer's session.
    await login(page, 'sch-02', `${t.baseUrl}/#/schools`);
    await page.waitForSelector('[data-view="schools"][data-layout="map"]');
    await page.waitForSelector(marker('sch-02'));
    expect(await page.$$eval('[data-testid="school-map"] a.map-marker', (m) => m.map((a) => a.getAttribute('data-site-id')))).toStrictEqual(['sch-02']);
    await page.click(`${marker('sch-02')} .marker-dot`);
    await page.waitForSelector(`${chart('sch-02-btn-1', 'battery')}[data-state="ready"]`);
    await page.waitForSelector('[data-testid="site-uptime"][data-uptime]:not([data-uptime=""])');
    // Another school's page is "not found" for this user: nothing of it is asked.
    await page.goto(`${t.baseUrl}/#/schools/sch-01`);
    await page.waitForSelector('[data-view="school"][data-site-id="sch-01"] .school-title');
    await eventually(() => (telemetryAsked.length >= 3 ? true : undefined));
    expect(telemetryAsked.length).toBeGreaterThanOrEqual(3);
    expect(telemetryAsked.filter((id) => id !== 'sch-02' && !id.startsWith('sch-02-'))).toStrictEqual([]);
    expect(await page.isHidden('[data-testid="history"]')).toBe(true);
  });
});
