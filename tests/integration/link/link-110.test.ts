/**
 * The 110 link end to end: real MQTT button, real gateway, two real DC-09 receiver simulators.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Alarm, Health } from '../../../gateway/contract/types.js';
import { SimulatedButton } from '../../../simulators/alarm-button.js';
import { connectAs, eventually, startGateway, type TestGateway } from '../../helpers/gateway.js';

const press = (site: string, dev: string, seq?: number) => [`campus/v1/${site}/${dev}/event`, JSON.stringify({ type: 'press', ...(seq ? { seq } : {}) })] as const;

async function getJson<T>(t: TestGateway, path: string): Promise<T> {
  return (await (await t.api(`${path}`)).json()) as T;
}

const forwardActions = (a: Alarm) => a.timeline.filter((e) => e.action.startsWith('forward-')).map((e) => [e.action, e.data?.receiver ?? null]);

describe('110 link', () => {
  let t: TestGateway | undefined;
  const sims: SimulatedButton[] = [];
  afterEach(async () => {
    await Promise.all(sims.splice(0).map((s) => s.stop()));
    await t?.close();
    t = undefined;
  });

  it('delivers a press exactly once after the centre was down for a while', async () => {
    t = await startGateway();
    await t.centre.primary.setMode('down');
    await t.centre.secondary.setMode('down');
    const c = await connectAs(t.mqttUrl, 'sch-02-btn-1');
    await c.publishAsync(...press('sch-02', 'sch-02-btn-1'), { qos: 1 });
    const alarm = t.gw.alarms.openAlarms().find((a) => a.deviceId === 'sch-02-btn-1');
    // Both paths down: retries pile up on the timeline and the duty officer gets a link-down alarm.
    await eventually(async () => (((await t?.gw.alarms.get(alarm?.id ?? ''))?.timeline.filter((e) => e.action === 'forward-failed').length ?? 0) >= 2 ? true : undefined));
    const linkDown = await eventually(() => t?.gw.alarms.openAlarms().find((a) => a.type === 'link-down'));
    expect([linkDown.severity, linkDown.deviceId, linkDown.siteId]).toStrictEqual(['critical', 'arc-110', 'psb-chengdong']);
    expect(t.gw.health.get('arc-110')?.reasons.map((r) => r.code)).toStrictEqual(['link-down']);

    await t.centre.primary.setMode('normal');
    await t.centre.secondary.setMode('normal');
    const acked = await eventually(async () => {
      const a = await t?.gw.alarms.get(alarm?.id ?? '');
      return a?.timeline.some((e) => e.action === 'forward-acked') ? a : undefined;
    });
    expect(forwardActions(acked).filter(([a]) => a !== 'forward-failed')).toStrictEqual([
      ['forward-queued', null],
      ['forward-sent', null],
      ['forward-acked', 'primary'],
    ]);
    // The link recovers and its alarm clears itself (the supervision NULLs get through again).
    await eventually(async () => ((await t?.gw.alarms.get(linkDown.id))?.state === 'resolved' ? true : undefined));
    // Give any stray retry a chance to show up before counting.
    await c.publishAsync(...press('sch-02', 'sch-02-btn-1'), { qos: 1 });
    const panics = [...t.centre.primary.messages({ account: '1002' }), ...t.centre.secondary.messages({ account: '1002' })].filter((m) => m.data.includes('PA'));
    expect(panics).toHaveLength(1);
    await c.endAsync();
  });

  it('fails over to the secondary receiver when the primary is down, and back when it returns', async () => {
    t = await startGateway();
    await t.centre.primary.setMode('down');
    const c = await connectAs(t.mqttUrl, 'sch-04-btn-1');
    await c.publishAsync(...press('sch-04', 'sch-04-btn-1'), { qos: 1 });
    const m = await t.centre.secondary.waitForMessage((x) => x.account === '1004' && x.data.includes('PA'), 10_000);
    expect(m.data).toBe('#1004|NPA1');
    const health = await eventually(() => {
      const h = t?.gw.health.get('arc-110');
      return h?.reasons.some((r) => r.code === 'receiver-down') ? h : undefined;
    });
    expect([health.status, health.reasons.map((r) => r.code)]).toStrictEqual(['degraded', ['receiver-down']]);
    expect(t.centre.primary.messages({ account: '1004' })).toStrictEqual([]);

    await t.centre.primary.setMode('normal');
    await eventually(() => (t?.gw.health.get('arc-110')?.status === 'ok' ? true : undefined));
    await c.endAsync();
    const b = await connectAs(t.mqttUrl, 'sch-06-btn-1');
    await b.publishAsync(...press('sch-06', 'sch-06-btn-1'), { qos: 1 });
    const back = await t.centre.primary.waitForMessage((x) => x.account === '1006' && x.data.includes('PA'), 10_000);
    expect(back.data).toBe('#1006|NPA1');
    await b.endAsync();
  });

  it('sends one 110 message for 20 presses in 2 s from one button', async () => {
    t = await startGateway();
    const c = await connectAs(t.mqttUrl, 'sch-08-btn-1');
    for (let i = 1; i <= 20; i++) await c.publishAsync(...press('sch-08', 'sch-08-btn-1', i), { qos: 1 });
    const alarm = t.gw.alarms.openAlarms().find((a) => a.deviceId === 'sch-08-btn-1');
    expect(alarm?.repeats).toBe(19);
    await eventually(async () => ((await t?.gw.alarms.get(alarm?.id ?? ''))?.timeline.some((e) => e.action === 'forward-acked') ? true : undefined));
    expect(t.centre.primary.messages({ account: '1008' }).filter((m) => m.data.includes('PA')).map((m) => m.data)).toStrictEqual(['#1008|NPA1']);
    await c.endAsync();
  });

  it('links a button by its test press (never a real alarm) and reports the seeded faults with their reasons', async () => {
    t = await startGateway({ health: { heartbeatTimeout: { 'alarm-button': 1.5 } } });
    const gw = t;
    const run = async (id: string, faults: string[]) => {
      const device = gw.gw.registry.get(id);
      if (!device) throw new Error(id);
      const sim = new SimulatedButton({ url: gw.mqttUrl, device, heartbeatMs: 200, faults });
      sims.push(sim);
      await sim.start();
      return sim;
    };
    // A dead button has also never proved its path to 110.
    const seeded: [string, string[], string[]][] = [
      ['sch-03-btn-1', ['dead'], ['no-heartbeat', 'not-linked-110']],
      ['sch-07-btn-1', ['sim-suspended'], ['sim-suspended']],
      ['sch-10-btn-2', ['fault'], ['fault']],
      ['sch-15-btn-1', ['no-link-test'], ['not-linked-110']],
      ['sch-19-btn-1', ['low-battery'], ['low-battery']],
      ['sch-23-btn-1', ['tamper'], ['tamper']],
      ['sch-28-btn-1', ['sim-expiring'], ['sim-expiring']],
    ];
    for (const [id, faults] of seeded) await run(id, faults);
    const healthy = ['sch-01-btn-1', 'sch-01-btn-2', 'sch-11-btn-1'];
    for (const id of healthy) await run(id, []);

    type View = { id: string; health: Health; linkTest?: { latencyMs: number } };
    const views = await eventually(async () => {
      const all = await getJson<View[]>(gw, '/api/devices?kind=alarm-button');
      const ours = all.filter((d) => seeded.some(([id]) => id === d.id) || healthy.includes(d.id));
      const settled = ours.every((d) => {
        const want = seeded.find(([id]) => id === d.id)?.[2];
        return want ? JSON.stringify(d.health.reasons.map((r) => r.code)) === JSON.stringify(want) : d.health.status === 'ok';
      });
      return settled ? ours : undefined;
    });
    expect(Object.fromEntries(views.map((v) => [v.id, v.health.reasons.map((r) => r.code)]))).toStrictEqual({
      'sch-01-btn-1': [],
      'sch-01-btn-2': [],
      'sch-03-btn-1': ['no-heartbeat', 'not-linked-110'],
      'sch-07-btn-1': ['sim-suspended'],
      'sch-10-btn-2': ['fault'],
      'sch-11-btn-1': [],
      'sch-15-btn-1': ['not-linked-110'],
      'sch-19-btn-1': ['low-battery'],
      'sch-23-btn-1': ['tamper'],
      'sch-28-btn-1': ['sim-expiring'],
    });
    // Healthy buttons carry the latency of the test that proved the path.
    expect(views.find((v) => v.id === 'sch-01-btn-1')?.linkTest?.latencyMs).toBeGreaterThan(0);
    // Test presses reached the centre as RX test reports and raised no alarm.
    expect(t.centre.primary.messages({ account: '1001' }).some((m) => m.data.startsWith('#1001|NRX'))).toBe(true);
    expect(t.gw.alarms.openAlarms().filter((a) => a.type === 'panic')).toStrictEqual([]);

    // A self-test asked over the API travels the same way.
    const before = t.centre.primary.messages({ account: '1011' }).length;
    const res = await t.api(`/api/devices/sch-11-btn-1/self-test`, { method: 'POST', body: '{}', as: 'tech' });
    expect(res.status).toBe(202);
    await eventually(() => (t?.centre.primary.messages({ account: '1011' }).length ?? 0) > before || undefined);
  });
});
