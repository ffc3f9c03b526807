/**
 * The panel-dc09 adapter finds a report's panels by account in an index of the registry (not a
 * scan per report). A report naming an account the index does not hold makes it again, at most
 * once a second: a panel added since is found, and a burst naming unknown accounts does not
 * rescan the registry per frame. Real TCP from the DC-09 panel simulator on 127.0.0.1.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PanelDc09Adapter } from '../../../../adapters/panel-dc09/index.js';
import { systemClock, type Clock } from '../../../../gateway/contract/clock.js';
import type { Device, Site } from '../../../../gateway/contract/types.js';
import { Dc09PanelSimulator } from '../../../../simulators/alarm-centre/panel.js';
import { fakeContext, type FakeContext } from '../../../helpers/fake-context.js';

const SITE: Site = { id: 'sch-01', name: 'sch-01', district: 'd', timeZone: 'Asia/Shanghai', protectionWindows: [], holidays: [], contacts: [] };
const panel = (id: string, account: string): Device => ({ id, siteId: SITE.id, kind: 'alarm-button', adapter: 'panel-dc09', name: id, options: { account, zone: 1 } });

describe('panel-dc09: panels by account', () => {
  let offset = 0;
  /** The system clock, moved on by the test (the 1 s rule), timers as they are. */
  const clock: Clock = { ...systemClock, now: () => Date.now() + offset };
  let ctx: FakeContext;
  let adapter: PanelDc09Adapter;
  let lists = 0;
  /** One simulated panel per account: its sequence numbers go on, so no report is a retransmission. */
  const panels = new Map<string, Dc09PanelSimulator>();

  const report = async (account: string) => {
    let p = panels.get(account);
    if (!p) {
      p = new Dc09PanelSimulator({ host: '127.0.0.1', port: adapter.port as number, account, ackTimeoutMs: 5000 });
      panels.set(account, p);
      await p.start();
    }
    return (await p.panic(1)).reply;
  };

  beforeAll(async () => {
    ctx = fakeContext({ sites: [SITE], devices: [panel('p-1001', '1001')], clock, adapter: 'panel-dc09' });
    const list = ctx.devices.list.bind(ctx.devices);
    ctx.devices.list = (filter) => {
      lists++;
      return list(filter);
    };
    adapter = new PanelDc09Adapter({ host: '127.0.0.1', port: 0, tcp: true, udp: false, keys: {}, pastSeconds: 40, futureSeconds: 20 }, ctx);
    await adapter.start();
  });

  afterAll(async () => {
    for (const p of panels.values()) await p.stop();
    await adapter?.stop();
  });

  it('answers known accounts from the index, refuses unknown ones without a scan per frame, and finds a panel added since once a second has passed', async () => {
    expect(await report('1001')).toBe('ack');
    expect(await report('1001')).toBe('ack');
    expect(ctx.events.filter((e) => e.deviceId === 'p-1001' && e.type === 'press')).toHaveLength(2);
    // One scan for both reports.
    expect(lists).toBe(1);

    // Unknown: refused with DUH and counted; within the second, no further scan.
    expect(await report('2002')).toBe('duh');
    expect(ctx.rejects.map((r) => r.reason)).toContain('dc09-unknown-account');
    const scans = lists;
    expect(scans).toBeLessThanOrEqual(2);
    ctx.addDevice?.({ id: 'p-2002', siteId: SITE.id, kind: 'alarm-button', name: 'p-2002', options: { account: '2002', zone: 1 } });
    for (let i = 0; i < 5; i++) expect(await report('2002')).toBe('duh');
    expect(lists).toBe(scans);

    // A second later the next unknown account makes the index again: the new panel is found.
    offset += 1000;
    expect(await report('2002')).toBe('ack');
    expect(lists).toBe(scans + 1);
    expect(ctx.events.some((e) => e.deviceId === 'p-2002' && e.type === 'press')).toBe(true);
  }, 30_000);
});
