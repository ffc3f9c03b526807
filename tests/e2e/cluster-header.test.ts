/**
 * The dashboard header in cluster mode (issue 17, "The cluster is visible"): two gateway nodes
 * in this process on a real PostgreSQL, Debian's Chromium on the node that does not hold the
 * lease. The header names the nodes and the one holding the 110 link, in Chinese and in
 * English, and names a node whose heartbeat stopped.
 */
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import pg from 'pg';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEphemeralFarEnds, type EphemeralFarEnds } from '../../simulators/ephemeral-far-ends.js';
import { connectAs, eventually, startGateway, type TestGateway } from '../helpers/gateway.js';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres.js';
import { closeAll, ensureDashboardBuilt, login, openPage, screenshotDir, type Browser } from './browser.js';

describe('the dashboard header in cluster mode', () => {
  let server: TestPostgres;
  let farEnds: EphemeralFarEnds;
  let sql: pg.Pool;
  const nodes: TestGateway[] = [];
  let browser: Browser;
  let page: Page;
  const shots = screenshotDir();

  beforeAll(async () => {
    await ensureDashboardBuilt();
    server = await startTestPostgres();
    farEnds = await startEphemeralFarEnds();
    const url = await server.freshDatabase('header');
    sql = new pg.Pool({ connectionString: url, max: 1 });
    // Its idle connection may be ended by the server (a node's teardown, the server stopping):
    // an idle pool's 'error' without a listener is an uncaught exception (seen in a full run).
    sql.on('error', () => undefined);
    for (const id of ['node-a', 'node-b']) {
      nodes.push(await startGateway({ cluster: { databaseUrl: url, nodeId: id, takeoverSeconds: 6 } }, { centre: { ...farEnds, stop: async () => undefined } }));
    }
    ({ browser, page } = await openPage());
  }, 240_000);

  afterAll(async () => {
    await closeAll({ browser, then: nodes, shots });
    await sql?.end();
    await farEnds?.stop();
    await server?.stop();
  }, 60_000);

  it('shows the nodes and the 110 link holder, in Chinese and English, and a node that stopped heart-beating', async () => {
    const holder = await eventually(() => nodes.find((n) => n.gw.cluster?.duties.active()), { timeoutMs: 30_000 });
    const other = nodes.find((n) => n !== holder) as TestGateway;
    const holderId = holder.gw.cluster?.nodeId as string;
    await login(page, 'duty', `${other.baseUrl}/#/board`);
    const chip = '[data-testid="cluster"]';
    await page.waitForSelector(`${chip}:not([hidden])[data-holder="${holderId}"]`, { timeout: 30_000 });
    expect(await page.textContent(chip)).toBe(`节点 2/2110 联网在 ${holderId}`);
    expect(await page.getAttribute(chip, 'data-status')).toBe('ok');

    await page.click('button[data-action="lang"]');
    await page.waitForFunction((sel) => document.querySelector(sel)?.textContent?.includes('110 link on'), chip);
    expect(await page.textContent(chip)).toBe(`Nodes 2/2110 link on ${holderId}`);

    // A third node that registered and then went silent (its heartbeat an hour old) is named down.
    await sql.query(`INSERT INTO cluster_nodes (id, pid, roles, clients, started_at, last_seen) VALUES ('node-z', 1, '{}', 0, now() - interval '2 hours', now() - interval '1 hour')`);
    await page.waitForSelector(`${chip}[data-status="degraded"] [data-node="node-z"]`, { timeout: 30_000 });
    expect(await page.textContent(chip)).toBe(`Nodes 2/3110 link on ${holderId}node-z down`);
    // And the holder raises node-down for it.
    await eventually(() => holder.gw.alarms.openAlarms().find((a) => a.type === 'node-down' && a.deviceId === 'node-z'), { timeoutMs: 30_000 });
  }, 180_000);

  it("the clock page lists the clocks measured on every node, names the node that measured each, and says which node's part is missing", async () => {
    const holder = nodes.find((n) => n.gw.cluster?.duties.active()) as TestGateway;
    const other = nodes.find((n) => n !== holder) as TestGateway;
    // A button's clock is measured by the node its connection landed on.
    const onHolder = await connectAs(holder.mqttUrl, 'sch-02-btn-1');
    const onOther = await connectAs(other.mqttUrl, 'sch-03-btn-1');
    try {
      await onHolder.publishAsync('campus/v1/sch-02/sch-02-btn-1/telemetry', JSON.stringify({ at: Date.now() - 300_000, battery: 90 }), { qos: 1 });
      await onOther.publishAsync('campus/v1/sch-03/sch-03-btn-1/telemetry', JSON.stringify({ at: Date.now(), battery: 90 }), { qos: 1 });
    } finally {
      await onHolder.endAsync();
      await onOther.endAsync();
    }
    // A node registered as up whose HTTP does not answer (nothing listens on its port).
    const closed = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const port = (probe.address() as AddressInfo).port;
        probe.close(() => resolve(port));
      });
    });
    await sql.query(`INSERT INTO cluster_nodes (id, pid, http_url, roles, clients, started_at, last_seen) VALUES ('node-y', 1, $1, '{}', 0, now(), now() + interval '1 hour')`, [`http://127.0.0.1:${closed}`]);
    try {
      await page.goto(`${other.baseUrl}/#/clock`);
      const row = (id: string) => `.clock-table tr[data-device-id="${id}"]`;
      await page.waitForSelector(row('sch-02-btn-1'), { timeout: 30_000 });
      await page.waitForSelector(row('sch-03-btn-1'), { timeout: 30_000 });
      // The language the last test left: English.
      expect(await page.textContent('.clock-table thead')).toContain('Measured by');
      expect(await page.textContent(`${row('sch-02-btn-1')} .cell-node`)).toBe(holder.gw.cluster?.nodeId);
      expect(await page.textContent(`${row('sch-03-btn-1')} .cell-node`)).toBe(other.gw.cluster?.nodeId);
      expect(await page.getAttribute(row('sch-02-btn-1'), 'data-over')).toBe('true');
      const partial = '[data-testid="clock-partial"]';
      await page.waitForSelector(`${partial}:not([hidden])`, { timeout: 30_000 });
      expect(await page.textContent(partial)).toBe('Cluster node-y did not answer: the clocks of devices connected there are missing below');
      await page.click('button[data-action="lang"]');
      await page.waitForFunction((sel) => document.querySelector(sel)?.textContent?.includes('未应答'), partial);
      expect(await page.textContent(partial)).toBe('集群节点 node-y 未应答：以下列表缺少其连接设备的时钟');
      expect(await page.textContent('.clock-table thead')).toContain('测量节点');
      await page.screenshot({ path: join(shots, 'clock-cluster.png') });
    } finally {
      await sql.query(`DELETE FROM cluster_nodes WHERE id = 'node-y'`);
    }
    // Without it, the next refresh (every 10 s) says nothing is missing.
    await page.waitForSelector('[data-testid="clock-partial"][hidden]', { state: 'attached', timeout: 30_000 });
  }, 120_000);
});
