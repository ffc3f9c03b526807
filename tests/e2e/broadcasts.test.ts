/**
 * Broadcasts on the duty-officer dashboard end to end: the real gateway with its SMS centre
 * simulator (SMPP, receipts, replies), the radio dispatch box simulator of the district over
 * MQTT, real button presses, and Debian's Chromium signed in as the demo duty officer.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import pino from 'pino';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Broadcast, BroadcastSummary } from '../../gateway/core/broadcast/types.js';
import { DistrictSimulator } from '../../simulators/district.js';
import { eventually, startGateway, type TestGateway } from '../helpers/gateway.js';
import { ensureDashboardBuilt, openPage, closeAll, login, screenshotDir, type Browser } from './browser.js';
import { apiJson, pageTally, pressButton, routeLive, type LiveRoute } from './gateway-actions.js';

/** The demo duty officer (`duty`): broadcasts go out in this name. */
const OFFICER = '值班民警 王建国';
/** The default patrol group (gateway/core/broadcast/config.ts): six officers, 13805719001…6. */
const PATROL_PHONES = ['13805719001', '13805719002', '13805719003', '13805719004', '13805719005', '13805719006'];
const TEXT = '【城东区校园安全】今晚20:00起东湖小学周边联合巡查，请各巡逻组按时到岗。收到请回复1。';

describe('broadcasts on the dashboard, over the SMS centre and radio simulators', () => {
  let t: TestGateway;
  let district: DistrictSimulator;
  let browser: Browser;
  let page: Page;
  const clients: MqttClient[] = [];
  const shots = screenshotDir();
  /** The page's live socket, routed so that a test can cut it and keep it cut. */
  let live: LiveRoute;
  const api = <T>(path: string) => apiJson<T>(t, path);
  const screenshot = (name: string) => page.screenshot({ path: join(shots, name) });
  /** Text of the elements matching `selector`, in page order. */
  const texts = (selector: string) => page.$$eval(selector, (els) => els.map((e) => e.textContent ?? ''));

  beforeAll(async () => {
    await ensureDashboardBuilt();
    mkdirSync(shots, { recursive: true });
    t = await startGateway();
    // The whole district with its radio dispatch box, as a duty officer sees it (and the screenshots show).
    district = new DistrictSimulator({ url: t.mqttUrl, config: t.gw.loaded.config, devices: t.gw.loaded.devices, log: pino({ level: 'silent' }), heartbeatMs: 1000 });
    await district.start();
    // Both channels up before anything is broadcast: SMS bound to the SMSC, the radio box announced.
    await eventually(
      async () => {
        const devices = await api<{ id: string; health: { status: string } }[]>('/api/devices?site=psb-chengdong');
        return ['sms-gw-1', 'radio-gw-1'].every((id) => devices.find((d) => d.id === id)?.health.status === 'ok') || undefined;
      },
      { timeoutMs: 20_000, everyMs: 100 },
    );
    ({ browser, page } = await openPage());
    live = await routeLive(page);
  }, 180_000);

  afterAll(async () => {
    await closeAll({ browser, clients, then: [district, t], shots });
  }, 60_000);

  it('shows the broadcast a press started beside the alarm, its roll-call filling in, and whom to call', async () => {
    const alarm = await pressButton(t, 'sch-05-btn-1', clients);
    await login(page, 'duty', `${t.baseUrl}/#/board/${alarm.id}`);
    await page.waitForSelector(`.alarm-detail [data-alarm-id="${alarm.id}"]`);

    // The guard post's phone and radio talkgroup, and the safety officer's phone, from the site's contacts.
    await page.waitForSelector('.detail-contacts [data-role="guard-post"] [data-phone="13805710501"]');
    expect(await page.textContent('.detail-contacts [data-role="guard-post"] [data-radio]')).toBe('tg-sch-05');
    expect(await page.getAttribute('.detail-contacts [data-role="school-contact"] a', 'href')).toBe('tel:13805710502');

    // The policy for panics: the patrol (radio first), the school's guard post (radio) and safety officer (SMS only).
    const [summary] = await eventually(async () => {
      const list = await api<BroadcastSummary[]>(`/api/broadcasts?alarmId=${alarm.id}`);
      return list.length > 0 ? list : undefined;
    });
    if (!summary) throw new Error('no broadcast for the alarm');
    const item = `.detail-broadcasts [data-broadcast-id="${summary.id}"]`;
    await page.waitForSelector(`${item} [data-tally="total"]`);
    expect(await page.textContent('.timeline [data-action="broadcast"] .tl-action')).toBe('已发起广播');

    // The safety officer's SMS is delivered by the SMSC; both answer the roll-call: by SMS and by radio.
    await t.centre.sms.waitFor((r) => r.type === 'receipt' && r.to === '13805710502');
    t.centre.sms.reply('13805710502', '收到，已通知门卫');
    await district.radio('radio-gw-1').rollCall(summary.id, 'P-01', 'tg-patrol');
    const done = await eventually(async () => {
      const b = await api<Broadcast>(`/api/broadcasts/${summary.id}`);
      return b.tally.confirmed === 2 ? b : undefined;
    });
    expect(done.tally).toStrictEqual({ total: 8, sent: 8, delivered: 2, confirmed: 2, failed: 0 });
    await eventually(async () => {
      const shown = await pageTally(page, item);
      return JSON.stringify(shown) === JSON.stringify(done.tally) || undefined;
    });
    await screenshot('alarm-broadcast.png');

    // Its recipients, one row each, with their states.
    await page.click(`${item} [data-testid="broadcast-recipients"]`);
    await page.waitForSelector(`.bc-detail[data-broadcast-id="${summary.id}"] tr[data-recipient-id]`);
    const rows = await page.$$eval('.bc-detail tr[data-recipient-id]', (trs) =>
      trs.map((tr) => ({ name: tr.querySelector('.cell-name')?.firstChild?.textContent ?? '', state: (tr as HTMLElement).dataset.state ?? '', channel: (tr as HTMLElement).dataset.channel ?? '' })),
    );
    expect(rows).toStrictEqual(
      done.recipients.map((r) => ({ name: r.name, state: r.state, channel: r.channel ?? '' })),
    );
    expect(rows.filter((r) => r.state === 'confirmed').map((r) => r.channel).sort()).toStrictEqual(['radio', 'sms']);
  });

  it('sends a broadcast composed in the page to every patrol phone through the SMS centre, and shows each delivered', async () => {
    await page.goto(`${t.baseUrl}/#/broadcasts`);
    await page.waitForSelector('[data-testid="composer"]');
    expect(await page.textContent('[data-testid="compose-operator"]')).toBe(`操作人：${OFFICER}`);
    await page.check('input[name="group"][value="station-patrol"]');
    await page.uncheck('input[name="channel"][value="radio"]');
    await page.fill('#compose-text', TEXT);
    expect(await page.textContent('.composer-count')).toBe(`${TEXT.length} 字 · 约 1 条短信`);

    // Two steps: the summary first, then the confirmation.
    await page.click('button[data-action="send"]');
    await page.waitForSelector('[data-testid="compose-confirm"]:not([hidden])');
    expect(await texts('.composer-summary dd')).toStrictEqual(['派出所巡逻民警', '短信', OFFICER]);
    await page.click('button[data-action="confirm"]');
    await page.waitForFunction(() => /^#\/broadcasts\/[0-9a-f-]{36}$/.test(location.hash));
    const id = decodeURIComponent(new URL(page.url()).hash.slice('#/broadcasts/'.length));

    // Every patrol officer's phone got the text from the SMS centre, once.
    await page.waitForFunction(() => document.querySelectorAll('.bc-detail tr[data-recipient-id][data-state="delivered"]').length === 6);
    const sent = t.centre.sms.messages().filter((m) => m.text === TEXT);
    expect(sent.map((m) => m.to).sort()).toStrictEqual(PATROL_PHONES);
    const b = await api<Broadcast>(`/api/broadcasts/${id}`);
    expect({ by: b.createdBy, groups: b.groups, channels: b.channels, text: b.text, tally: b.tally }).toStrictEqual({
      by: OFFICER,
      groups: ['station-patrol'],
      channels: ['sms'],
      text: TEXT,
      tally: { total: 6, sent: 6, delivered: 6, confirmed: 0, failed: 0 },
    });
    expect(await pageTally(page, '.bc-detail')).toStrictEqual(b.tally);
    expect(await page.getAttribute(`.bc-list .bc-item[data-broadcast-id="${id}"]`, 'class')).toContain('is-selected');

    // Two officers answer: the roll-call count moves on the page as the replies come in.
    t.centre.sms.reply(PATROL_PHONES[0] as string, '1');
    t.centre.sms.reply(PATROL_PHONES[1] as string, '收到，马上到');
    await page.waitForFunction(() => document.querySelector('.bc-detail [data-tally="confirmed"]')?.textContent === '2');
    expect(await texts('.bc-detail tr[data-state="confirmed"] .cell-reply')).toStrictEqual(['1', '收到，马上到']);

    // The live feed goes down: the roll-call keeps moving, asked of GET /api/broadcasts/:id.
    live.blocked = true;
    await live.page?.close({ code: 4000, reason: 'e2e: network cut' });
    await live.server?.close();
    await page.waitForSelector('.bc-detail .bc-polling:not([hidden])');
    t.centre.sms.reply(PATROL_PHONES[2] as string, '收到');
    await page.waitForFunction(() => document.querySelector('.bc-detail [data-tally="confirmed"]')?.textContent === '3');
    expect(await page.getAttribute('[data-testid="connection"]', 'data-state')).toBe('reconnecting');
    live.blocked = false;
    await page.waitForSelector('[data-testid="connection"][data-state="live"]', { timeout: 30_000 });
    await page.waitForSelector('.bc-detail .bc-polling', { state: 'hidden' });

    // The next message being drafted beside the live roll-call.
    await page.check('input[name="group"][value="all-guard-posts"]');
    await page.fill('#compose-text', '【城东区校园安全】全区学校请于今晚 20:00 前完成校门防冲撞装置自检。收到请回复1。');
    // Filling scrolled the page: the picture shows it from the header down.
    await page.evaluate(() => window.scrollTo(0, 0));
    await screenshot('broadcast-composer.png');

    // In English, the same page in English words.
    await page.click('button[data-action="lang"]');
    await page.waitForFunction(() => document.documentElement.lang === 'en-GB');
    expect(await page.textContent('[data-nav="broadcasts"]')).toContain('Broadcasts');
    expect(await page.textContent('.bc-detail .tally-delivered dt')).toBe('Delivered');
    expect(await texts('.bc-detail tr[data-state="confirmed"] .rstate')).toStrictEqual(['Confirmed', 'Confirmed', 'Confirmed']);
    expect(await page.textContent('.composer h2')).toBe('New broadcast');
    await page.click('button[data-action="lang"]');
    await page.waitForFunction(() => document.documentElement.lang === 'zh-CN');
  });
});
