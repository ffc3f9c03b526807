/**
 * The dashboard over HTTPS end to end (issue 18 item 7): the gateway with `http.tls` (an
 * openssl-made certificate), Debian's Chromium told to accept the test CA's certificate. The
 * page loads over https:, logs in, its live feed connects over wss:, and a real press reaches
 * the board through it.
 */
import type { MqttClient } from 'mqtt';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestPki, type TestPki } from '../helpers/certificates.js';
import { connectAs, eventually, startGateway, type TestGateway } from '../helpers/gateway.js';
import { closeAll, ensureDashboardBuilt, launchChromium, login, type Browser } from './browser.js';

describe('the dashboard over HTTPS', () => {
  let pki: TestPki;
  let t: TestGateway;
  let browser: Browser;
  let page: Page;
  const sockets: string[] = [];
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    await ensureDashboardBuilt();
    pki = await makeTestPki();
    const cert = await pki.server('e2e');
    t = await startGateway({ http: { tls: { certFile: cert.cert, keyFile: cert.key, caFile: pki.intermediate } } });
    browser = await launchChromium(undefined, { ignoreHTTPSErrors: true });
    page = await browser.context.newPage();
    page.setDefaultTimeout(15_000);
    page.on('websocket', (ws) => sockets.push(ws.url()));
  }, 180_000);

  afterAll(async () => {
    await closeAll({ browser, clients, then: [t] });
    pki?.remove();
  }, 60_000);

  it('logs in over https:, feeds the board over wss:, and shows a press', async () => {
    await login(page, 'duty', `https://127.0.0.1:${t.httpPort}/#/board`);
    await page.waitForSelector('[data-testid="connection"][data-state="live"]');
    expect(await page.evaluate(() => location.protocol)).toBe('https:');
    expect(sockets).toContain(`wss://127.0.0.1:${t.httpPort}/api/live`);

    const button = await connectAs(t.mqttUrl, 'sch-05-btn-1', { clientId: 'e2e-https-sch-05-btn-1' });
    clients.push(button);
    await button.publishAsync('campus/v1/sch-05/sch-05-btn-1/event', JSON.stringify({ type: 'press' }), { qos: 1 });
    const alarm = await eventually(() => t.gw.alarms.openAlarms().find((a) => a.deviceId === 'sch-05-btn-1'));
    await page.waitForSelector(`.alarm-row[data-alarm-id="${alarm.id}"][data-state="active"]`);
  }, 60_000);
});
