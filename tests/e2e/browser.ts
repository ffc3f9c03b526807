/**
 * What the dashboard's end-to-end tests share: a dashboard build that is never older than its
 * sources, Debian's Chromium driven by playwright-core with a throw-away profile, and logging
 * in on the dashboard's own login screen as one of the demo operators.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MqttClient } from 'mqtt';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export { ensureDashboardBuilt } from '../../scripts/ensure-dashboard.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // A wall screen runs in kiosk mode with this flag; here it lets the alarm sound start.
  '--autoplay-policy=no-user-gesture-required',
];

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Debian's Chromium with a fresh profile directory, removed on close (`ignoreHTTPSErrors`: a test CA's gateway). */
export async function launchChromium(viewport = { width: 1920, height: 1080 }, opts: { ignoreHTTPSErrors?: boolean } = {}): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'e2e-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
    viewport,
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
    ...(opts.ignoreHTTPSErrors ? { ignoreHTTPSErrors: true } : {}),
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** The demo accounts' password (config/default.yaml `auth.users`). */
export const demoPassword = (username: string): string => `demo-pass-${username}`;

/**
 * Logs the page in as demo operator `username` through the login screen, first opening `url`
 * (the dashboard, with the hash of the view to land on) when given. A page already signed in
 * signs out first. Resolves when the dashboard shows the operator in its header.
 */
export async function login(page: Page, username: string, url?: string): Promise<void> {
  if (url) await page.goto(url);
  await page.waitForSelector('[data-testid="login"], [data-testid="session"]');
  if (await page.$('[data-testid="session"]')) {
    await page.click('button[data-action="logout"]');
    await page.waitForSelector('[data-testid="login"]');
  }
  await page.fill('#login-username', username);
  await page.fill('#login-password', demoPassword(username));
  await page.click('button[data-action="login"]');
  await page.waitForSelector('[data-testid="session"] [data-testid="operator-name"]');
}

/** The session token the page keeps (sessionStorage), or undefined when signed out. */
export async function pageToken(page: Page): Promise<string | undefined> {
  const raw = await page.evaluate(() => sessionStorage.getItem('campus-dashboard.session'));
  return raw ? ((JSON.parse(raw) as { token?: string }).token ?? undefined) : undefined;
}

/**
 * Where screenshots go: docs/screenshots when UPDATE_SCREENSHOTS=1 (to refresh the documented
 * views), else a temporary folder, so that an ordinary test run changes no tracked file.
 */
export function screenshotDir(): string {
  return process.env.UPDATE_SCREENSHOTS === '1' ? join(REPO, 'docs', 'screenshots') : mkdtempSync(join(tmpdir(), 'e2e-screenshots-'));
}

/** A fresh Chromium with one page whose waits give up after `timeoutMs`. */
export async function openPage(timeoutMs = 10_000): Promise<{ browser: Browser; page: Page }> {
  const browser = await launchChromium();
  const page = await browser.context.newPage();
  page.setDefaultTimeout(timeoutMs);
  return { browser, page };
}

type Closable = { close(): Promise<unknown> } | { stop(): Promise<unknown> } | undefined;

/**
 * An e2e file's teardown: the browser, then its MQTT clients, then `then` in order (simulators,
 * the gateway), and its screenshots unless UPDATE_SCREENSHOTS=1 keeps them for docs/.
 */
export async function closeAll(o: { browser?: Browser; clients?: readonly MqttClient[]; then?: readonly Closable[]; shots?: string }): Promise<void> {
  await o.browser?.close();
  for (const c of o.clients ?? []) await c.endAsync().catch(() => undefined);
  for (const x of o.then ?? []) if (x) await ('close' in x ? x.close() : x.stop());
  if (o.shots && process.env.UPDATE_SCREENSHOTS !== '1') rmSync(o.shots, { recursive: true, force: true });
}
