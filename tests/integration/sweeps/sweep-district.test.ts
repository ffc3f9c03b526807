import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../../gateway/contract/clock.js';
import type { SweepView } from '../../../gateway/core/sweeps/schemas.js';
import { BUTTON_SELF_TEST, createButtonSelfTest } from '../../../gateway/core/sweeps/self-test.js';
import { DistrictSimulator } from '../../../simulators/district.js';
import { eventually, startGateway, type TestGateway } from '../../helpers/gateway.js';
import { json, post, startSweepApi, type SweepApi } from './harness.js';

const NEVER_LINKED = { code: 'not-linked-110', detail: 'no end-to-end 110 test on record' };

/** The field's failures, seeded through config simulation.faults (DESIGN: "7 of 33 schools"). */
const EXPECTED_FAILING = {
  // Detail not pinned: the tracker says 'never reported' only while no condition was ever set on
  // the device, and the link-test monitor sets not-linked-110 at start (reported to the lead).
  'sch-03-btn-1': { status: 'offline', reasons: [expect.objectContaining({ code: 'no-heartbeat' }) as unknown, NEVER_LINKED] },
  'sch-07-btn-1': { status: 'degraded', reasons: [{ code: 'sim-suspended', detail: 'suspended' }] },
  'sch-10-btn-2': { status: 'degraded', reasons: [{ code: 'fault', detail: 'E12-hardware' }] },
  'sch-15-btn-1': { status: 'degraded', reasons: [NEVER_LINKED] },
  'sch-19-btn-1': { status: 'degraded', reasons: [{ code: 'low-battery', detail: '12%' }] },
  'sch-23-btn-1': { status: 'degraded', reasons: [{ code: 'tamper', detail: 'enclosure opened' }] },
  'sch-28-btn-1': { status: 'degraded', reasons: [{ code: 'sim-expiring', detail: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/) as string }] },
  // A DC-09 panel button that never sends a test report.
  'sch-31-btn-3': { status: 'degraded', reasons: [NEVER_LINKED] },
};

describe('sweep of the simulated district', () => {
  let t: TestGateway;
  let sim: DistrictSimulator;
  let api: SweepApi;

  beforeAll(async () => {
    // The default district with its seeded faults; buttons heartbeat every 0.3 s and time out after 3 s.
    t = await startGateway({ health: { heartbeatTimeout: { 'alarm-button': 3 } }, simulation: { heartbeatSeconds: 0.3 } });
    const buttons = t.gw.loaded.devices.filter((d) => d.kind === 'alarm-button');
    // The DC-09 panel button reports to the panel-dc09 receiver, listening on an ephemeral port here.
    const { config } = t.gw.loaded;
    const panelPort = (t.gw.adapters.get('panel-dc09') as unknown as { port?: number } | undefined)?.port;
    const simConfig = panelPort ? { ...config, adapters: { ...config.adapters, 'panel-dc09': { ...(config.adapters['panel-dc09'] as object), port: panelPort } } } : config;
    sim = new DistrictSimulator({ url: t.mqttUrl, config: simConfig, devices: buttons, log: pino({ level: 'silent' }), ...(panelPort ? { panelPort } : {}) });
    await sim.start();
    const selfTest = createButtonSelfTest({
      publish: (topic, payload) => t.gw.broker.bus.publish(topic, payload, { qos: 1 }),
      lastLinkTest: (id) => t.gw.linkTests.last(id),
      health: t.gw.health,
      clock: systemClock,
      waitMs: 3000,
    });
    api = await startSweepApi(t, { extras: new Map([[BUTTON_SELF_TEST, selfTest]]) });
    // Settled: every live button has reported, its power-up test reached the 110 centre (but
    // the never-linked one's), and the dead one has timed out.
    const unlinked = new Set(['sch-03-btn-1', 'sch-15-btn-1', 'sch-31-btn-3']);
    const buttonCount = buttons.length;
    await eventually(
      () => {
        const all = t.gw.health.all().filter((h) => h.kind === 'alarm-button');
        const dead = all.find((h) => h.deviceId === 'sch-03-btn-1');
        const seeded = ['sch-07-btn-1', 'sch-10-btn-2', 'sch-19-btn-1', 'sch-23-btn-1', 'sch-28-btn-1'].every((id) => (t.gw.health.get(id)?.reasons.length ?? 0) > 0);
        const live = all.filter((h) => h.deviceId !== 'sch-03-btn-1');
        const linked = all.filter((h) => !unlinked.has(h.deviceId)).every((h) => !h.reasons.some((r) => r.code === 'not-linked-110'));
        return all.length === buttonCount && dead?.status === 'offline' && seeded && linked && live.every((h) => h.lastSeen !== undefined);
      },
      { timeoutMs: 25_000 },
    ).catch((err: unknown) => {
      const bad = t.gw.health.all().filter((h) => h.kind === 'alarm-button' && (h.lastSeen === undefined || h.reasons.length > 0));
      throw new Error(`${(err as Error).message}: ${JSON.stringify(bad.map((h) => [h.deviceId, h.status, h.reasons.map((r) => r.code)]))}`);
    });
  });
  afterAll(async () => {
    await api?.close();
    await sim?.stop();
    await t?.close();
  });

  it('finds exactly the seeded faulty buttons, with their reasons, and no healthy button failing', async () => {
    const res = await post(`${api.baseUrl}/api/sweeps`, { kinds: ['alarm-button'], name: '按钮巡检' });
    expect(res.status).toBe(202);
    const { id, total } = await json<{ id: string; total: number }>(res);
    const buttons = t.gw.registry.list({ kind: 'alarm-button' }).length; // 47 on MQTT, 2 on DC-09 panels
    expect(total).toBe(buttons);
    const view = await eventually(async () => {
      const v = await json<SweepView>(await fetch(`${api.baseUrl}/api/sweeps/${id}`));
      return v.state === 'running' ? undefined : v;
    });
    expect(view.state).toBe('done');
    expect(view.progress).toStrictEqual({ done: buttons, total: buttons });
    const results = view.results ?? [];
    const failing = Object.fromEntries(results.filter((r) => r.status !== 'ok' || r.reasons.length > 0).map((r) => [r.deviceId, { status: r.status, reasons: r.reasons }]));
    expect(failing).toStrictEqual(EXPECTED_FAILING);
    const healthy = results.filter((r) => !(r.deviceId in EXPECTED_FAILING));
    expect(healthy).toHaveLength(buttons - 8);
    for (const r of healthy) expect(r).toMatchObject({ status: 'ok', reasons: [], method: 'passive', kind: 'alarm-button' });
    expect(healthy.map((r) => r.deviceId)).toContain('sch-33-btn-2');
    expect(view.summary).toMatchObject({ total: buttons, done: buttons, ok: buttons - 8, failing: 8, sites: { total: 33, failing: 8 } });
    expect(view.summary?.byReason.map((r) => [r.code, r.devices, r.sites])).toStrictEqual([
      ['not-linked-110', 3, 3], ['fault', 1, 1], ['low-battery', 1, 1], ['no-heartbeat', 1, 1], ['sim-expiring', 1, 1], ['sim-suspended', 1, 1], ['tamper', 1, 1],
    ]);

    const csv = await fetch(`${api.baseUrl}/api/sweeps/${id}/report.csv`);
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(csv.headers.get('content-disposition')).toBe(`attachment; filename="sweep-${id}.csv"`);
    const bytes = new Uint8Array(await csv.arrayBuffer());
    expect([...bytes.slice(0, 3)]).toStrictEqual([0xef, 0xbb, 0xbf]);
    expect(new TextDecoder().decode(bytes)).toContain('sch-07-btn-1,一键报警 门卫室');

    const html = await (await fetch(`${api.baseUrl}/api/sweeps/${id}/report.html`)).text();
    expect(html).toContain('33 所学校中 <span class="bad">8 所</span>有设备故障');
    expect(html).toContain('城东区实验小学<span class="en code">sch-03</span>');

    const verdict = await json<{ ok: boolean; checked: number }>(await fetch(`${api.baseUrl}/api/sweeps/chain/verify`));
    expect(verdict).toMatchObject({ ok: true, checked: 1 });
  });

  it('with the self-test extra, asks each button for a fresh end-to-end test and judges by the 110 centre\'s ACK', async () => {
    const devices = ['sch-01-btn-1', 'sch-10-btn-2', 'sch-15-btn-1', 'sch-03-btn-1'];
    const res = await post(`${api.baseUrl}/api/sweeps`, { devices, extras: [BUTTON_SELF_TEST], timeoutMs: 10_000 });
    expect(res.status).toBe(202);
    const { id } = await json<{ id: string }>(res);
    const view = await eventually(async () => {
      const v = await json<SweepView>(await fetch(`${api.baseUrl}/api/sweeps/${id}`));
      return v.state === 'running' ? undefined : v;
    }, { timeoutMs: 15_000 });
    const byId = Object.fromEntries((view.results ?? []).map((r) => [r.deviceId, r]));
    const noAck = 'no 110-acknowledged test within 3000 ms of the self-test command';
    expect(byId['sch-01-btn-1']).toMatchObject({ status: 'ok', reasons: [], evidence: { selfTest: 'passed', linkTestReceiver: 'primary' } });
    // A faulty button does not run its self-test; a never-linked one runs it but nothing reaches 110.
    expect(byId['sch-10-btn-2']).toMatchObject({ status: 'degraded', reasons: [{ code: 'fault', detail: 'E12-hardware' }, { code: 'not-linked-110', detail: noAck }], evidence: { selfTest: 'no-ack' } });
    expect(byId['sch-15-btn-1']).toMatchObject({ status: 'degraded', reasons: [{ code: 'not-linked-110', detail: noAck }] });
    expect(byId['sch-03-btn-1']).toMatchObject({ status: 'offline', reasons: [{ code: 'no-heartbeat' }, { code: 'not-linked-110', detail: `${noAck}; the button sent nothing since` }] });
  });
});
