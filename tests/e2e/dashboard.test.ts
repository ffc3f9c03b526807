/**
 * The duty officer's dashboard end to end: the real gateway (in process, ephemeral ports), the
 * simulated district over real MQTT, and Debian's Chromium, signed in as the demo duty officer
 * (`duty`). The live WebSocket is routed through playwright so a test can cut it and keep it
 * cut, as a network outage would.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import pino from 'pino';
import type { Page, WebSocketRoute } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alarm } from '../../gateway/contract/types.js';
import { DistrictSimulator } from '../../simulators/district.js';
import { eventually, startGateway, type TestGateway } from '../helpers/gateway.js';
import { ensureDashboardBuilt, openPage, closeAll, login, screenshotDir, type Browser } from './browser.js';
import { apiJson, apiPost, pressButton, routeLive, type LiveRoute } from './gateway-actions.js';

/** The demo duty officer's display name (config/default.yaml): what the gateway records for `duty`. */
const OFFICER = '值班民警 王建国';


describe('duty-officer dashboard on the real gateway', () => {
  let t: TestGateway;
  let district: DistrictSimulator;
  let browser: Browser;
  let page: Page;
  const clients: MqttClient[] = [];
  let live: LiveRoute;
  const shots = screenshotDir();

  const api = <T>(path: string) => apiJson<T>(t, path);
  /** As the administrator: "another officer" acting from another screen. */
  const post = (path: string, body: unknown) => apiPost<Alarm>(t, path, body, 'admin');
  const press = (deviceId: string) => pressButton(t, deviceId, clients);

  const openRowIds = () => page.$$eval('.alarm-list:not(.alarm-list--resolved) > li', (rows) => rows.map((r) => (r as HTMLElement).dataset.alarmId ?? ''));
  /** The documented picture, once the notices of earlier steps (toasts, 6 s) have gone from over the view. */
  const screenshot = async (name: string) => {
    await page.waitForFunction(() => (document.querySelector('.toasts')?.childElementCount ?? 0) === 0, undefined, { timeout: 10_000 });
    await page.screenshot({ path: join(shots, name) });
  };

  beforeAll(async () => {
    await ensureDashboardBuilt();
    mkdirSync(shots, { recursive: true });
    // Buttons time out after 5 s of silence, so a dead one shows as no-heartbeat in the test.
    t = await startGateway({ health: { heartbeatTimeout: { 'alarm-button': 5 } } });
    district = new DistrictSimulator({ url: t.mqttUrl, config: t.gw.loaded.config, devices: t.gw.loaded.devices, log: pino({ level: 'silent' }), heartbeatMs: 1000 });
    await district.start();
    ({ browser, page } = await openPage());
    live = await routeLive(page);
  }, 180_000);

  afterAll(async () => {
    await closeAll({ browser, clients, then: [district, t], shots });
  }, 60_000);

  it('opens on the Chinese login screen, then on the Chinese board connected to the live feed', async () => {
    await page.goto(`${t.baseUrl}/`);
    await page.waitForSelector('[data-testid="login"]');
    expect(await page.textContent('.login-heading')).toBe('值班台登录');
    expect(await page.getAttribute('html', 'lang')).toBe('zh-CN');
    await login(page, 'duty');
    await page.waitForSelector('[data-testid="connection"][data-state="live"]');
    expect(await page.textContent('[data-testid="operator-name"]')).toBe(OFFICER);
    expect(await page.textContent('[data-testid="operator-role"]')).toBe('值班民警');
    expect(await page.textContent('[data-testid="connection"]')).toContain('已连接');
    expect(await page.getAttribute('html', 'lang')).toBe('zh-CN');
    expect(await page.textContent('[data-nav="board"]')).toContain('报警');
    expect(await page.isHidden('[data-testid="stale-banner"]')).toBe(true);
  });

  it('flashes a new critical alarm and sounds until it is acknowledged in the page', async () => {
    const alarm = await press('sch-01-btn-1');
    const row = `.alarm-row[data-alarm-id="${alarm.id}"]`;
    // Pushed over /api/live: the row appears and flashes (the 2 s target is a benchmark's job).
    await page.waitForSelector(`${row}.is-flashing[data-state="active"]`, { timeout: 5000 });
    await page.waitForFunction(() => document.documentElement.dataset.alarmSound === 'sounding');
    await page.click(row);
    await page.waitForSelector(`.alarm-detail [data-alarm-id="${alarm.id}"]`);
    // Whom to call, from the site's contacts; the configured instructions (not the built-in ones).
    await page.waitForSelector('.alarm-detail .detail-contacts [data-role="guard-post"] [data-phone="13805710101"]');
    expect(await page.textContent('.alarm-detail .detail-contacts [data-role="guard-post"]')).toContain('tg-sch-01');
    expect(await page.textContent('.alarm-detail .instructions-text')).toContain('110');
    expect(await page.$('[data-testid="instructions-default"]')).toBeNull();
    expect(await page.textContent('.district')).toBe('城东区');
    expect(await page.$$eval('.alarm-detail .camera-list > li', (li) => li.length)).toBe(4);
    // The broadcast the press started, with its roll-call tally.
    await page.waitForSelector('.alarm-detail .detail-broadcast[data-broadcast-id] [data-tally="total"]');
    await screenshot('board-critical.png');

    await page.click('.alarm-detail button[data-action="ack"]');
    await page.waitForSelector('dialog.action-dialog[open][data-kind="ack"]');
    // Done in the signed-in operator's name: nobody types a name any more.
    expect(await page.textContent('[data-testid="action-operator"]')).toBe(`操作人：${OFFICER}`);
    await page.fill('#action-note', '已电话联系门卫室，民警已出发');
    await page.click('dialog.action-dialog button[data-action="confirm"]');

    const acked = await eventually(async () => {
      const a = await api<Alarm>(`/api/alarms/${alarm.id}`);
      return a.state === 'acknowledged' ? a : undefined;
    });
    expect(acked.timeline.filter((e) => e.action === 'acknowledged')).toStrictEqual([
      { at: expect.any(Number), action: 'acknowledged', by: OFFICER, note: '已电话联系门卫室，民警已出发' },
    ]);
    await page.waitForSelector(`${row}[data-state="acknowledged"]:not(.is-flashing)`);
    await page.waitForFunction(() => document.documentElement.dataset.alarmSound === 'off');
    expect(await page.textContent('.alarm-detail .timeline')).toContain(OFFICER);
  });

  it('resolves with a note and moves the alarm to the resolved list', async () => {
    const [alarm] = (await api<Alarm[]>('/api/alarms?state=acknowledged&site=sch-01')).filter((a) => a.deviceId === 'sch-01-btn-1');
    if (!alarm) throw new Error('no acknowledged alarm');
    await page.click(`.alarm-row[data-alarm-id="${alarm.id}"]`);
    // Keyboard: R opens the resolve dialog for the selected alarm.
    await page.keyboard.press('r');
    await page.waitForSelector('dialog.action-dialog[open][data-kind="resolve"]');
    await page.fill('#action-note', '误报，已核实');
    await page.press('#action-note', 'Control+Enter');
    const resolved = await eventually(async () => {
      const a = await api<Alarm>(`/api/alarms/${alarm.id}`);
      return a.state === 'resolved' ? a : undefined;
    });
    // The button's acknowledgements (ack-sent) run on their own: the resolution is found by its action.
    expect(resolved.timeline.filter((e) => e.action === 'resolved')).toStrictEqual([{ at: expect.any(Number), action: 'resolved', by: OFFICER, note: '误报，已核实' }]);
    await page.waitForSelector(`.alarm-list--resolved .alarm-row[data-alarm-id="${alarm.id}"][data-state="resolved"]`);
  });

  it('lists an offline device under outages with its reason, and counts schools per reason', async () => {
    district.drop('sch-09-btn-1');
    await page.goto(`${t.baseUrl}/#/outages?site=sch-09`);
    const row = 'tr[data-device-id="sch-09-btn-1"][data-status="offline"]';
    await page.waitForSelector(row);
    expect(await page.textContent(`${row} [data-reason="offline"]`)).toContain('离线');

    // The dead button of sch-03 never reported: no-heartbeat once its 5 s are up.
    await page.goto(`${t.baseUrl}/#/outages`);
    await page.waitForSelector('tr[data-device-id="sch-03-btn-1"] [data-reason="no-heartbeat"]');
    await page.selectOption('select[data-filter="reason"]', 'no-heartbeat');
    await page.waitForFunction(() => location.hash === '#/outages?reason=no-heartbeat');
    const shown = await page.$$eval('.outages-table tbody tr', (rows) => rows.map((r) => (r as HTMLElement).dataset.deviceId));
    expect(shown).toContain('sch-03-btn-1');
    expect(await page.textContent('.reason-card[data-reason="no-heartbeat"] .card-schools')).toMatch(/33 所学校中 \d+ 所受影响/);

    // The page and /api/devices?status=not-ok agree on what is not OK.
    await page.goto(`${t.baseUrl}/#/outages`);
    await eventually(async () => {
      const fromApi = (await api<{ id: string }[]>('/api/devices?status=not-ok')).map((d) => d.id).sort();
      const onPage = (await page.$$eval('.outages-table tbody tr', (rows) => rows.map((r) => (r as HTMLElement).dataset.deviceId ?? ''))).sort();
      return JSON.stringify(fromApi) === JSON.stringify(onPage) || undefined;
    });
    expect(await page.textContent('[data-testid="outage-summary"]')).toMatch(/涉及 \d+ \/ 33 所学校/);
    await screenshot('outages.png');
  });

  it('shows every school as a tile coloured by its worst state, and a school with its devices', async () => {
    await page.goto(`${t.baseUrl}/#/schools`);
    await page.waitForSelector('.school-grid .tile[data-site-id="sch-09"][data-status="offline"]');
    expect(await page.$$eval('.school-grid:not(.school-grid--others) > .tile', (tiles) => tiles.length)).toBe(33);
    await screenshot('schools.png');
    await page.click('.tile[data-site-id="sch-09"] a');
    await page.waitForSelector('[data-view="school"] tr[data-device-id="sch-09-btn-1"][data-status="offline"]');
    expect(await page.textContent('[data-view="school"] tr[data-device-id="sch-09-btn-1"]')).toContain('离线');
    await screenshot('school-detail.png');
  });

  it('switches to English and back, and remembers the choice', async () => {
    const alarm = await press('sch-02-btn-1');
    await page.goto(`${t.baseUrl}/#/board`);
    await page.waitForSelector(`.alarm-row.is-flashing[data-alarm-id="${alarm.id}"]`);
    await page.click('button[data-action="lang"]');
    await page.waitForFunction(() => document.documentElement.lang === 'en-GB');
    expect(await page.textContent('[data-nav="board"]')).toContain('Alarms');
    expect(await page.textContent('[data-testid="operator-role"]')).toBe('Duty officer');
    expect(await page.textContent('button[data-action="logout"]')).toBe('Sign out');
    expect(await page.textContent(`.alarm-row[data-alarm-id="${alarm.id}"] .row-title`)).toContain('Panic button');
    expect(await page.textContent(`.alarm-row[data-alarm-id="${alarm.id}"] .row-where`)).toContain('Chengdong No.2 Middle School');
    expect(await page.textContent('.district')).toBe('Chengdong District');
    await page.reload();
    await page.waitForSelector(`.alarm-row[data-alarm-id="${alarm.id}"]`);
    expect(await page.textContent('[data-testid="connection"]')).toContain('Connected');
    await page.click(`.alarm-row[data-alarm-id="${alarm.id}"]`);
    await screenshot('board-en.png');
    await page.click('button[data-action="lang"]');
    await page.waitForFunction(() => document.documentElement.lang === 'zh-CN');
    expect(await page.textContent('[data-nav="board"]')).toContain('报警');
  });

  it('resyncs after the live socket drops: changes made meanwhile show, no row missing or doubled', async () => {
    await page.goto(`${t.baseUrl}/#/board`);
    await page.waitForSelector('[data-testid="connection"][data-state="live"]');
    const before = live.connects;
    live.blocked = true;
    await live.page?.close({ code: 4000, reason: 'e2e: network cut' });
    await live.server?.close();
    await page.waitForSelector('[data-testid="connection"][data-state="reconnecting"]');
    expect(await page.textContent('[data-testid="connection"]')).toContain('重连中');
    // The header's clock tick may show the state before the next render shows the banner (≤ one render delay).
    await page.waitForSelector('[data-testid="stale-banner"]', { state: 'visible', timeout: 5000 });
    expect(await page.isVisible('[data-testid="stale-banner"]')).toBe(true);

    // While the screen is cut off: a new alarm, and another officer acknowledges one.
    const fresh = await press('sch-04-btn-1');
    const [other] = (await api<Alarm[]>('/api/alarms?state=active&site=sch-02')).filter((a) => a.deviceId === 'sch-02-btn-1');
    if (!other) throw new Error('no active alarm at sch-02');
    await post(`/api/alarms/${other.id}/ack`, { note: '已在另一台值班台处理' });
    await eventually(() => (live.connects > before ? true : undefined));

    live.blocked = false;
    await page.waitForSelector('[data-testid="connection"][data-state="live"]', { timeout: 30_000 });
    await page.waitForSelector(`.alarm-row[data-alarm-id="${fresh.id}"].is-flashing`);
    await page.waitForSelector(`.alarm-row[data-alarm-id="${other.id}"][data-state="acknowledged"]`);
    const open = (await api<Alarm[]>('/api/alarms?state=open')).map((a) => a.id).sort();
    const rows = await openRowIds();
    expect(new Set(rows).size).toBe(rows.length);
    expect([...rows].sort()).toStrictEqual(open);
    expect(await page.isHidden('[data-testid="stale-banner"]')).toBe(true);
  });

  it('replaces a live socket that has gone silent for 40 s (no ping), not earlier', async () => {
    // A half-open socket: open on both ends as far as the page knows, but nothing arrives.
    const quiet = await browser.context.newPage();
    try {
      await quiet.clock.install();
      let connects = 0;
      let current: WebSocketRoute | undefined;
      const silenced = new Set<WebSocketRoute>();
      await quiet.routeWebSocket(/\/api\/live$/, (ws) => {
        connects++;
        current = ws;
        const server = ws.connectToServer();
        server.onMessage((m) => {
          if (!silenced.has(ws)) ws.send(m);
        });
      });
      // A new tab has its own session (sessionStorage): it signs in on its own.
      await login(quiet, 'duty', `${t.baseUrl}/#/board`);
      await quiet.waitForSelector('[data-testid="connection"][data-state="live"]');
      expect(connects).toBe(1);

      if (!current) throw new Error('no live socket');
      silenced.add(current);
      await quiet.clock.fastForward(30_000);
      expect(await quiet.getAttribute('[data-testid="connection"]', 'data-state')).toBe('live');
      expect(connects).toBe(1);

      // Past 40 s without a message (the gateway pings every 15 s): dropped and replaced.
      await quiet.clock.fastForward(11_000);
      await eventually(() => (connects === 2 ? true : undefined));
      await quiet.waitForSelector('[data-testid="connection"][data-state="live"]');
      expect(await quiet.isHidden('[data-testid="stale-banner"]')).toBe(true);
    } finally {
      await quiet.close();
    }
  });
});
