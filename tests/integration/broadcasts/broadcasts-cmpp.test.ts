/**
 * Broadcasts over CMPP end to end: the broadcast service sends its 'sms' channel through the
 * real sms-cmpp adapter to the simulated ISMG, exactly as it does through sms-smpp; and the
 * whole gateway, configured to carry 'sms' over CMPP, takes a duty officer's broadcast over
 * HTTP and ends every recipient `delivered` by the ISMG's status reports, each exactly once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { smsCmppAdapter, type LinkEvent, type SmsCmppAdapter } from '../../../adapters/sms-cmpp/index.js';
import { loadConfig } from '../../../gateway/config/load.js';
import { systemClock } from '../../../gateway/contract/clock.js';
import { AlarmService } from '../../../gateway/core/alarms/service.js';
import { EventBus } from '../../../gateway/core/bus.js';
import { resolveBroadcastConfig } from '../../../gateway/core/broadcast/config.js';
import { BroadcastService } from '../../../gateway/core/broadcast/service.js';
import type { Broadcast } from '../../../gateway/core/broadcast/types.js';
import { Registry } from '../../../gateway/core/devices/registry.js';
import { SqliteStateStore } from '../../../gateway/store/sqlite/state-store.js';
import { startEphemeralFarEnds } from '../../../simulators/ephemeral-far-ends.js';
import { CmppIsmgSimulator } from '../../../simulators/sms-cmpp/ismg-simulator.js';
import { fakeContext } from '../../helpers/fake-context.js';
import { eventually, startGateway, type TestGateway } from '../../helpers/gateway.js';
import { adapterConfig, nextEvent, SECRET, SP_ID } from '../adapters/sms-cmpp/harness.js';

const sorted = (xs: string[]) => [...xs].sort();

interface Service {
  ismg: CmppIsmgSimulator;
  sms: SmsCmppAdapter;
  svc: BroadcastService;
  alarms: AlarmService;
  until(id: string, pred: (b: Broadcast) => boolean, timeoutMs?: number): Promise<Broadcast>;
  stop(): Promise<void>;
}

/** The broadcast service of the default district with its 'sms' channel carried by sms-cmpp. */
async function startService(broadcast: Record<string, unknown> = {}): Promise<Service> {
  const log = pino({ level: process.env.TEST_LOG ?? 'silent' });
  const dir = mkdtempSync(join(tmpdir(), 'gw-broadcast-cmpp-'));
  const ismg = new CmppIsmgSimulator();
  const { port } = await ismg.start({ spId: SP_ID, sharedSecret: SECRET, reportDelayMs: 20 });
  const sms = smsCmppAdapter.create(adapterConfig(port, { version: '3.0' }), fakeContext({ dataDir: join(dir, 'cmpp') }));
  const up = nextEvent<LinkEvent>((cb) => sms.onLink(cb), (e) => e.connected);
  await sms.start();
  await up;
  const { sites, devices } = loadConfig({ env: {} });
  const store = new SqliteStateStore(dir);
  const bus = new EventBus(log);
  const alarms = new AlarmService(store, bus, systemClock);
  const svc = new BroadcastService({ config: resolveBroadcastConfig(broadcast), repo: store.broadcasts, audit: store, alarms, registry: new Registry(sites, devices), bus, clock: systemClock, log });
  svc.bindChannel(sms.channel());
  await svc.start();
  const watchers = new Set<() => void>();
  svc.onChange(() => {
    for (const w of [...watchers]) w();
  });
  return {
    ismg,
    sms,
    svc,
    alarms,
    until(id, pred, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = async () => {
          const b = await svc.get(id);
          if (b && pred(b)) {
            cleanup();
            resolve(b);
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          void svc.get(id).then((b) => reject(new Error(`timed out after ${timeoutMs} ms; tally ${JSON.stringify(b?.tally)}`)));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          watchers.delete(watch);
        };
        const watch = () => void check();
        watchers.add(watch);
        watch();
      });
    },
    async stop() {
      await svc.stop();
      await sms.stop();
      await ismg.stop();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

let s: Service | undefined;
let t: TestGateway | undefined;
afterEach(async () => {
  await s?.stop();
  await t?.close();
  s = undefined;
  t = undefined;
});

describe('broadcasts over CMPP (simulated ISMG)', () => {
  it('a broadcast to 60 people: every one submitted once, every one delivered by a status report', async () => {
    s = await startService({ rateLimits: { sms: { perSecond: 200, burst: 60 }, radio: { perSecond: 1, burst: 1 } } });
    const people = Array.from({ length: 60 }, (_, i) => `1390571${String(i).padStart(4, '0')}`);
    const b = await s.svc.create({ text: '全区演练通知：今天15:00开始，请各校门卫室做好准备。', recipients: people.map((phone, i) => ({ name: `门卫${i + 1}`, phone })), channels: ['sms'] });
    const done = await s.until(b.id, (x) => x.tally.delivered === people.length);
    expect(done.tally).toStrictEqual({ total: 60, sent: 60, delivered: 60, confirmed: 0, failed: 0 });
    expect(done.recipients.every((r) => r.channel === 'sms' && r.state === 'delivered' && typeof r.at.delivered === 'number')).toBe(true);
    expect(sorted(s.ismg.submits().map((x) => x.to))).toStrictEqual(people);
    expect(sorted(s.ismg.messages().map((m) => m.to))).toStrictEqual(people);
    expect(new Set(s.ismg.submits().map((x) => x.version))).toStrictEqual(new Set(['3.0']));
  });

  it('a panic alarm reaches the school by CMPP, a failed number is reported failed, and a reply confirms in the roll-call', async () => {
    s = await startService({ policies: [{ id: 'panic', alarmTypes: ['panic'], groups: ['station-patrol', 'guard-posts', 'school-contacts'], channels: ['sms'], template: 'panic' }] });
    s.ismg.setMode({ failNumbers: ['13805710102'] });
    const { alarm } = await s.alarms.raise({ type: 'panic', severity: 'critical', siteId: 'sch-01', deviceId: 'sch-01-btn-1', summary: '城东区第一中学 · 一键报警', by: 'sch-01-btn-1' });
    const id = await eventually(async () => (await s?.svc.list({ alarmId: alarm.id }))?.[0]?.id);
    const b = await s.until(id, (x) => x.tally.delivered + x.tally.failed === 8);
    // The tally counts a failed person as failed only (not also as sent).
    expect(b.tally).toStrictEqual({ total: 8, sent: 7, delivered: 7, confirmed: 0, failed: 1 });
    expect(b.recipients.filter((r) => r.state === 'failed').map((r) => [r.address, r.reason])).toStrictEqual([['13805710102', 'UNDELIV']]);
    // A long text: the ISMG joined each recipient's parts into one message.
    expect(s.ismg.messages().every((m) => m.text === b.text && m.parts === Math.ceil(b.text.length / 67))).toBe(true);
    s.ismg.reply('8613805710101', '收到');
    const confirmed = await s.until(id, (x) => x.tally.confirmed === 1);
    expect(confirmed.recipients.filter((r) => r.state === 'confirmed').map((r) => [r.address, r.reply?.text])).toStrictEqual([['13805710101', '收到']]);
  });
});

describe('the gateway carrying sms over CMPP (broadcast.channelAdapters)', () => {
  it('refuses a configuration where two adapters offer sms and none is named, with the path', async () => {
    const centre = await startEphemeralFarEnds();
    try {
      await expect(startGateway({ adapters: { 'sms-cmpp': { host: '127.0.0.1', port: 1, spId: SP_ID, sharedSecret: SECRET, srcId: '1065710001' } } }, { centre })).rejects.toMatchObject({
        code: 'GW_ERR_CONFIG_INVALID',
        details: ["/broadcast/channelAdapters/sms: both sms-smpp and sms-cmpp offer the 'sms' channel; name the one that carries it"],
      });
    } finally {
      await centre.stop();
    }
  });

  it('a duty officer broadcasts over HTTP; the ISMG gets each message once, the SMSC none, and every recipient ends delivered', async () => {
    const ismg = new CmppIsmgSimulator();
    const { port } = await ismg.start({ spId: SP_ID, sharedSecret: SECRET, reportDelayMs: 20 });
    try {
      t = await startGateway({
        adapters: { 'sms-cmpp': { host: '127.0.0.1', port, spId: SP_ID, sharedSecret: SECRET, srcId: '1065710001', reconnectMinMs: 20, reconnectMaxMs: 200 } },
        broadcast: { channelAdapters: { sms: 'sms-cmpp' }, rateLimits: { sms: { perSecond: 200, burst: 100 } } },
      });
      const people = Array.from({ length: 30 }, (_, i) => ({ name: `P${i}`, phone: `1360571${String(i).padStart(4, '0')}` }));
      const res = await t.api('/api/broadcasts', { method: 'POST', as: 'duty', body: JSON.stringify({ text: '北门临时封闭，请绕行。收到请回复1', recipients: people, channels: ['sms'] }) });
      expect(res.status).toBe(201);
      const { id } = (await res.json()) as { id: string };
      const gw = t;
      const tally = await eventually(
        async () => {
          const b = (await (await gw.api(`/api/broadcasts/${id}`, { as: 'duty' })).json()) as { tally: { delivered: number } };
          return b.tally.delivered === people.length ? b.tally : undefined;
        },
        { timeoutMs: 20_000, everyMs: 100 },
      );
      expect(tally).toStrictEqual({ total: 30, sent: 30, delivered: 30, confirmed: 0, failed: 0 });
      expect(sorted(ismg.submits().map((x) => x.to))).toStrictEqual(sorted(people.map((p) => p.phone)));
      expect(t.centre.sms.submits()).toStrictEqual([]);
    } finally {
      await t?.close();
      t = undefined;
      await ismg.stop();
    }
  });

  it('status reports that arrive after a gateway restart still end their recipients delivered, and nothing is sent twice', async () => {
    const ismg = new CmppIsmgSimulator();
    const { port } = await ismg.start({ spId: SP_ID, sharedSecret: SECRET, reportDelayMs: 20 });
    ismg.setMode({ holdReports: true });
    try {
      t = await startGateway({
        adapters: { 'sms-cmpp': { host: '127.0.0.1', port, spId: SP_ID, sharedSecret: SECRET, srcId: '1065710001', reconnectMinMs: 20, reconnectMaxMs: 200 } },
        broadcast: { channelAdapters: { sms: 'sms-cmpp' } },
      });
      const people = Array.from({ length: 10 }, (_, i) => ({ name: `P${i}`, phone: `1350571${String(i).padStart(4, '0')}` }));
      const res = await t.api('/api/broadcasts', { method: 'POST', as: 'duty', body: JSON.stringify({ text: '重启测试：收到请回复1', recipients: people, channels: ['sms'] }) });
      const { id } = (await res.json()) as { id: string };
      const tallyOf = async (gw: TestGateway) => ((await (await gw.api(`/api/broadcasts/${id}`, { as: 'duty' })).json()) as { tally: { sent: number; delivered: number } }).tally;
      const before = t;
      await eventually(async () => ((await tallyOf(before)).sent === people.length ? true : undefined), { timeoutMs: 20_000, everyMs: 50 });
      expect((await tallyOf(before)).delivered).toBe(0);
      t = await t.restart();
      expect(ismg.releaseReports()).toBe(people.length);
      const after = t;
      const tally = await eventually(async () => {
        const x = await tallyOf(after);
        return x.delivered === people.length ? x : undefined;
      }, { timeoutMs: 20_000, everyMs: 50 });
      expect(tally).toStrictEqual({ total: 10, sent: 10, delivered: 10, confirmed: 0, failed: 0 });
      expect(ismg.submits()).toHaveLength(people.length);
    } finally {
      await t?.close();
      t = undefined;
      await ismg.stop();
    }
  });
});
