/**
 * Camera live view end to end (issue 7, issue 9 item 2): the real gateway with the default
 * district, its NVR endpoint pointed at a camera fleet simulator (RTSP test pattern with a
 * running clock), Debian's Chromium under the gateway's CSP. A duty officer opens a camera on a
 * school's page and beside an alarm; the canvas shows a picture that is not blank and changes;
 * closing it ends the stream on the gateway; a full stream table and an offline camera are said
 * in words.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { CameraFleetSimulator } from '../../simulators/camera-onvif/index.js';
import { eventually, startGateway, type TestGateway } from '../helpers/gateway.js';
import { ensureDashboardBuilt, openPage, closeAll, login, screenshotDir, type Browser } from './browser.js';
import { apiJson, pressButton } from './gateway-actions.js';

interface LiveViews {
  inUse: number;
  maxStreams: number;
  cameras: { deviceId: string; streaming: boolean; viewers: number; busy: boolean }[];
}

/** A small grey picture of the canvas as the screen shows it, and its spread of brightness. */
interface Sample {
  gray: number[];
  mean: number;
  stddev: number;
}

const CAMERAS = ['sch-01-cam-1', 'sch-01-cam-2', 'sch-01-cam-3', 'sch-01-cam-4'];

describe('camera live view in the dashboard', () => {
  const fleet = new CameraFleetSimulator({
    cameras: CAMERAS.map((id) => ({ id, username: 'admin', password: 'demo-pass-camera' })),
    width: 320,
    height: 240,
    fps: 10,
  });
  let t: TestGateway;
  let browser: Browser;
  let page: Page;
  const clients: MqttClient[] = [];
  const cspViolations: string[] = [];
  const shots = screenshotDir();

  const panel = (scope: string) => `${scope} [data-camera-live]`;
  const liveViews = () => apiJson<LiveViews>(t, '/api/cameras/live-views?site=sch-01');

  /**
   * What the screen shows of the canvas: an element screenshot (whatever renders it, WebGL or
   * 2D), decoded by the browser and reduced to 32×24 grey levels.
   */
  const sample = async (selector: string): Promise<Sample> => {
    const png = (await page.locator(selector).screenshot()).toString('base64');
    return page.evaluate(async (b64: string) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
      const canvas = new OffscreenCanvas(32, 24);
      const g = canvas.getContext('2d');
      if (!g) throw new Error('no 2d context');
      g.drawImage(bitmap, 0, 0, 32, 24);
      const data = g.getImageData(0, 0, 32, 24).data;
      const gray: number[] = [];
      for (let i = 0; i < data.length; i += 4) gray.push(Math.round(0.299 * (data[i] ?? 0) + 0.587 * (data[i + 1] ?? 0) + 0.114 * (data[i + 2] ?? 0)));
      const mean = gray.reduce((s, v) => s + v, 0) / gray.length;
      const stddev = Math.sqrt(gray.reduce((s, v) => s + (v - mean) ** 2, 0) / gray.length);
      return { gray, mean, stddev };
    }, png);
  };
  const largestChange = (a: Sample, b: Sample) => Math.max(...a.gray.map((v, i) => Math.abs(v - (b.gray[i] ?? v))));

  /** A viewer outside the page (another duty screen), holding a stream slot. */
  const holdStream = async (deviceId: string): Promise<WebSocket> => {
    const ws = new WebSocket(`ws://127.0.0.1:${t.httpPort}/api/cameras/${deviceId}/live`, ['campus-camera.v1', `bearer.${await t.login('admin')}`]);
    await new Promise<void>((resolve, reject) => {
      ws.once('message', () => resolve());
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      ws.once('error', reject);
    });
    return ws;
  };

  beforeAll(async () => {
    await ensureDashboardBuilt();
    mkdirSync(shots, { recursive: true });
    await fleet.start();
    t = await startGateway({
      adapters: {
        'camera-onvif': {
          endpoints: { 'district-nvr': { host: '127.0.0.1', port: fleet.httpPort } },
          events: false,
          requestTimeoutMs: 1000,
          liveView: { maxStreams: 2, width: 320, height: 240, idleSeconds: 1 },
        },
      },
    });
    ({ browser, page } = await openPage(15_000));
    page.on('console', (msg) => {
      if (/Content[- ]Security[- ]Policy|wasm-unsafe-eval|unsafe-eval/i.test(msg.text())) cspViolations.push(msg.text());
    });
  }, 180_000);

  afterAll(async () => {
    await closeAll({ browser, clients, then: [t, fleet], shots });
  }, 60_000);

  it('plays a camera on a school page: a picture that is not blank and changes; closing it stops the stream', async () => {
    await login(page, 'duty', `${t.baseUrl}/#/schools/sch-01`);
    const button = '[data-view="school"] button[data-action="live-view"][data-device-id="sch-01-cam-1"]:not([hidden])';
    await page.waitForSelector(button);
    expect(await page.textContent(button)).toBe('实时画面');
    await page.click(button);
    const school = panel('[data-view="school"]');
    await page.waitForSelector(`${school}[data-state="connecting"], ${school}[data-state="waiting"], ${school}[data-state="playing"]`);
    await page.waitForSelector(`${school}[data-state="playing"]`);
    expect(await page.textContent(`${school} .camera-live-title`)).toBe('实时画面：摄像机 校门');
    expect(await page.textContent(`${school} .camera-live-status`)).toBe('实时');
    expect(await page.getAttribute(button, 'aria-pressed')).toBe('true');
    expect((await liveViews()).cameras.find((c) => c.deviceId === 'sch-01-cam-1')).toMatchObject({ streaming: true, viewers: 1 });

    const canvas = `${school} canvas`;
    const first = await sample(canvas);
    await page.waitForTimeout(1500); // the simulator's clock and pattern move on between the two samples
    const second = await sample(canvas);
    // Not blank: a test pattern has strong contrast (a black or grey canvas has none).
    expect(first.stddev).toBeGreaterThan(20);
    expect(second.stddev).toBeGreaterThan(20);
    // Changing: some part of the picture moved between the samples.
    expect(largestChange(first, second)).toBeGreaterThan(25);
    await page.screenshot({ path: join(shots, 'camera-live-school.png') });

    await page.click(`${school} button[data-action="live-close"]`);
    await page.waitForSelector(`${school}[data-state="idle"]`, { state: 'attached' });
    expect(await page.isHidden(school)).toBe(true);
    // The gateway stops the stream (idleSeconds: 1 here) once its last viewer has left.
    await eventually(async () => ((await liveViews()).inUse === 0 ? true : undefined), { timeoutMs: 10_000, everyMs: 200 });
    expect(cspViolations).toStrictEqual([]);
  });

  it('shows the school\'s cameras beside an alarm, with their live picture', async () => {
    const alarm = await pressButton(t, 'sch-01-btn-1', clients);
    await page.goto(`${t.baseUrl}/#/board/${alarm.id}`);
    const button = '.alarm-detail .detail-cameras button[data-action="live-view"][data-device-id="sch-01-cam-2"]:not([hidden])';
    await page.waitForSelector(button);
    await page.click(button);
    const detail = panel('.alarm-detail');
    await page.waitForSelector(`${detail}[data-state="playing"]`);
    const shot = await sample(`${detail} canvas`);
    expect(shot.stddev).toBeGreaterThan(20);
    await page.screenshot({ path: join(shots, 'camera-live-alarm.png') });
    // English on a click, the picture goes on.
    await page.click('button[data-action="lang"]');
    await page.waitForFunction(() => document.documentElement.lang === 'en-GB');
    await page.waitForSelector(`${detail} .camera-live-status:text-is("Live")`);
    expect(await page.textContent(`${detail} button[data-action="live-close"]`)).toBe('Close');
    await page.click('button[data-action="lang"]');
    await page.waitForFunction(() => document.documentElement.lang === 'zh-CN');
    await page.click(`${detail} button[data-action="live-close"]`);
    await eventually(async () => ((await liveViews()).inUse === 0 ? true : undefined), { timeoutMs: 10_000, everyMs: 200 });
  });

  it('says when every stream is in use, and when the camera is offline', async () => {
    await page.goto(`${t.baseUrl}/#/schools/sch-01`);
    const school = panel('[data-view="school"]');
    const held = [await holdStream('sch-01-cam-1'), await holdStream('sch-01-cam-2')];
    try {
      await page.click('[data-view="school"] button[data-action="live-view"][data-device-id="sch-01-cam-3"]:not([hidden])');
      await page.waitForSelector(`${school}[data-state="busy"]`);
      expect(await page.textContent(`${school} .camera-live-status`)).toBe('同时播放路数已满（2 路）：请先关闭其他画面再试');
    } finally {
      for (const ws of held) ws.close();
    }
    await eventually(async () => ((await liveViews()).inUse === 0 ? true : undefined), { timeoutMs: 10_000, everyMs: 200 });

    await fleet.setFault('sch-01-cam-4', 'offline');
    try {
      await page.click('[data-view="school"] button[data-action="live-view"][data-device-id="sch-01-cam-4"]:not([hidden])');
      await page.waitForSelector(`${school}[data-state="offline"]`);
      expect(await page.textContent(`${school} .camera-live-status`)).toBe('摄像机离线：无法连接摄像机');
    } finally {
      await fleet.restore('sch-01-cam-4');
    }
    // 重试 once the camera answers again.
    await page.click(`${school} button[data-action="live-retry"]`);
    await page.waitForSelector(`${school}[data-state="playing"]`);
    await page.click(`${school} button[data-action="live-close"]`);
    expect(cspViolations).toStrictEqual([]);
  });
});
