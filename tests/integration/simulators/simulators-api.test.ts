/**
 * The simulator control API on the real gateway process started with --simulate (the whole
 * default district and its far ends, ephemeral ports): every action changes what the gateway
 * sees; what does not apply is refused with a clear message; only testers (and admin) may use
 * it; without --simulate the routes do not exist.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../gateway/config/load.js';
import type { Alarm } from '../../../gateway/contract/types.js';
import type { SimDeviceList, SimDeviceView } from '../../../gateway/contract/simulator-port.js';
import { spawnSimulatedGateway, type GatewayProcess } from '../../helpers/gateway-process.js';
import { eventually, tempDir } from '../../helpers/gateway.js';

interface DeviceView {
  health: { status: string; reasons: { code: string }[] };
}

const reasonsOf = (d: DeviceView): string[] => d.health.reasons.map((r) => r.code).sort();

describe('simulator control API (gateway --simulate)', () => {
  let g: GatewayProcess;
  const dir = tempDir('gw-sim-api-');

  const act = async (id: string, body: Record<string, unknown>, as = 'tester') => {
    const res = await g.api(`/api/simulators/${id}/actions`, { as, method: 'POST', body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as SimDeviceView & { message?: string; code?: string } };
  };
  const device = async (id: string) => (await (await g.api(`/api/devices/${id}`, { as: 'tester' })).json()) as DeviceView;
  const sim = async (id: string) => (await (await g.api(`/api/simulators/${id}`, { as: 'tester' })).json()) as SimDeviceView;
  const openAlarms = async (site: string) => (await (await g.api(`/api/alarms?state=active&site=${site}`, { as: 'tester' })).json()) as Alarm[];

  beforeAll(async () => {
    // A 2 s line supervision, so a receiver going down shows on the link quickly; no background
    // camera checks (20 cameras, an ffmpeg each): a sweep checks the one camera the test covers.
    g = await spawnSimulatedGateway(dir, {
      adapters: { 'alarm-centre-dc09': { supervisionSeconds: 2, backoffMinMs: 50, backoffMaxMs: 500 }, 'camera-onvif': { checkIntervalSeconds: 0 } },
    });
  }, 120_000);
  afterAll(async () => {
    await g?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists every simulated device with its state, and the far ends', async () => {
    const res = await g.api('/api/simulators', { as: 'tester' });
    expect(res.status).toBe(200);
    const list = (await res.json()) as SimDeviceList;
    expect(list.farEnds.map((f) => [f.id, f.simulator, f.state])).toStrictEqual([
      ['110-primary', '110-receiver', 'up'],
      ['110-secondary', '110-receiver', 'up'],
      ['sms-centre', 'sms-centre', 'up'],
    ]);
    // Every device of the district but the gateway's own 110 link and SMS channel, in configuration order.
    const expected = loadConfig({ env: {} }).devices.filter((d) => d.adapter !== 'alarm-centre-dc09' && d.adapter !== 'sms-smpp').map((d) => d.id);
    expect(list.devices.map((d) => d.id)).toStrictEqual(expected);
    const seeded = ['sch-03-btn-1', 'sch-07-btn-1', 'sch-01-bar-1', 'sch-02-cam-3', 'sch-05-cam-1', 'sch-06-bar-1', 'radio-gw-1'];
    expect(list.devices.filter((d) => seeded.includes(d.id)).map((d) => [d.id, d.simulator, d.state, d.faults])).toStrictEqual([
      ['radio-gw-1', 'radio-box', 'online', []],
      ['sch-01-bar-1', 'modbus-barrier', 'online', []],
      ['sch-02-cam-3', 'onvif-camera', 'online', ['black']],
      ['sch-03-btn-1', 'mqtt-device', 'dead', ['dead']],
      ['sch-05-cam-1', 'onvif-camera', 'offline', ['offline']],
      ['sch-06-bar-1', 'mqtt-device', 'online', []],
      ['sch-07-btn-1', 'mqtt-device', 'online', ['sim-suspended']],
    ]);
    expect(await sim('sch-04-cam-2')).toStrictEqual({
      id: 'sch-04-cam-2',
      name: '摄像机 操场',
      siteId: 'sch-04',
      kind: 'camera',
      simulator: 'onvif-camera',
      state: 'online',
      faults: ['frozen'],
      actions: ['cover', 'uncover', 'freeze', 'unfreeze', 'drop', 'restore', 'fault'],
      faultKinds: ['offline', 'wrong-password', 'black', 'frozen', 'moved', 'clock-skew', 'stream-down', 'tamper', 'video-loss'],
      camera: { covered: false, frozen: true, offline: false, streamDown: false, picture: 'frozen' },
    });
  });

  it('a press raises the panic alarm, and the action is audited under the tester', async () => {
    const { status, body } = await act('sch-06-btn-1', { action: 'press' });
    expect([status, body.state]).toStrictEqual([200, 'online']);
    const panic = await eventually(async () => (await openAlarms('sch-06')).find((a) => a.type === 'panic' && a.deviceId === 'sch-06-btn-1'));
    expect(panic.drill).toBe(false);
    const audit = (await (await g.api('/api/audit?action=simulator.press', { as: 'admin' })).json()) as { actor: string; target: string; detail: unknown }[];
    expect(audit.map((e) => [e.actor, e.target, e.detail])).toStrictEqual([['tester', 'sch-06-btn-1', { action: 'press', state: 'online', faults: [] }]]);
  });

  it('a SIM suspended by the tester shows as sim-suspended on /api/devices, and clears', async () => {
    const on = await act('sch-08-btn-1', { action: 'fault', fault: 'sim-suspended', on: true });
    expect([on.status, on.body.faults]).toStrictEqual([200, ['sim-suspended']]);
    await eventually(async () => reasonsOf(await device('sch-08-btn-1')).includes('sim-suspended'));
    const off = await act('sch-08-btn-1', { action: 'fault', fault: 'sim-suspended', on: false });
    expect([off.status, off.body.faults]).toStrictEqual([200, []]);
    await eventually(async () => !reasonsOf(await device('sch-08-btn-1')).includes('sim-suspended'));
  });

  it('a covered camera shows image-black after a check', async () => {
    const covered = await act('sch-01-cam-1', { action: 'cover' });
    expect([covered.status, covered.body.faults, covered.body.camera?.covered]).toStrictEqual([200, ['black'], true]);
    const started = (await (await g.api('/api/sweeps', { as: 'tech', method: 'POST', body: JSON.stringify({ devices: ['sch-01-cam-1'] }) })).json()) as { id: string };
    await eventually(async () => reasonsOf(await device('sch-01-cam-1')).includes('image-black'), { timeoutMs: 30_000, everyMs: 200 });
    const sweep = (await (await g.api(`/api/sweeps/${started.id}`, { as: 'tech' })).json()) as { results: { deviceId: string; reasons: { code: string }[] }[] };
    expect(sweep.results.map((r) => [r.deviceId, r.reasons.map((x) => x.code)])).toStrictEqual([['sch-01-cam-1', ['image-black']]]);
    expect((await act('sch-01-cam-1', { action: 'uncover' })).body.faults).toStrictEqual([]);
  }, 45_000);

  it('the demo district seeds its field failures: a barrier left lowered, a motor overload, a camera 5 min off, a panel that never tests', async () => {
    interface Seeded {
      state: Record<string, { value: unknown }>;
      health: { status: string; reasons: { code: string; detail?: string }[] };
    }
    const seeded = async (id: string) => (await (await g.api(`/api/devices/${id}`, { as: 'tester' })).json()) as Seeded;
    await eventually(async () => (await seeded('sch-04-bar-1')).state['position']?.value === 'lowered', { timeoutMs: 15_000, everyMs: 200 });
    await eventually(async () => (await seeded('sch-05-bar-1')).health.reasons.some((r) => r.code === 'barrier-fault' && r.detail === 'motor-overload'), { timeoutMs: 15_000, everyMs: 200 });
    expect((await seeded('sch-31-btn-3')).health.reasons.map((r) => r.code)).toContain('not-linked-110');
    // The panel that tests is linked by its own reports.
    expect((await seeded('sch-33-btn-2')).health.reasons.map((r) => r.code)).not.toContain('not-linked-110');
    await g.api('/api/sweeps', { as: 'tech', method: 'POST', body: JSON.stringify({ devices: ['sch-03-cam-1'] }) });
    await eventually(async () => reasonsOf(await seeded('sch-03-cam-1')).includes('clock-drift'), { timeoutMs: 30_000, everyMs: 200 });
    const clocks = (await (await g.api('/api/clock-drift', { as: 'tester' })).json()) as { clocks: { deviceId: string; source: string; driftSeconds: number; over: boolean }[] };
    const cam = clocks.clocks.find((c) => c.deviceId === 'sch-03-cam-1');
    expect([cam?.source, cam?.over, Math.round((cam?.driftSeconds ?? 0) / 10) * 10]).toStrictEqual(['onvif', true, 300]);
  }, 60_000);

  it('a dropped button goes offline, cannot be pressed, and comes back when restored', async () => {
    expect((await act('sch-09-btn-1', { action: 'drop' })).body.state).toBe('dropped');
    await eventually(async () => (await device('sch-09-btn-1')).health.status === 'offline');
    const press = await act('sch-09-btn-1', { action: 'press' });
    expect([press.status, press.body.code, press.body.message]).toStrictEqual([409, 'GW_ERR_NOT_SUPPORTED', 'the device does not support this: sch-09-btn-1 is dropped, not connected: restore it first']);
    expect((await act('sch-09-btn-1', { action: 'restore' })).body.state).toBe('online');
    await eventually(async () => (await device('sch-09-btn-1')).health.status === 'ok');
  });

  it('barriers: an impact on a Modbus and on an MQTT barrier raises barrier-impact; lower and raise move them', async () => {
    const hit = await act('sch-02-bar-1', { action: 'impact' });
    expect([hit.status, hit.body.barrier?.impactCount]).toStrictEqual([200, 1]);
    await eventually(async () => (await openAlarms('sch-02')).some((a) => a.type === 'barrier-impact' && a.deviceId === 'sch-02-bar-1'), { timeoutMs: 15_000 });
    expect((await act('sch-06-bar-1', { action: 'impact' })).body.barrier).toStrictEqual({ position: 'raised', impactCount: 1 });
    await eventually(async () => (await openAlarms('sch-06')).some((a) => a.type === 'barrier-impact' && a.deviceId === 'sch-06-bar-1'));
    expect((await act('sch-06-bar-1', { action: 'lower' })).body.barrier).toStrictEqual({ position: 'lowered', impactCount: 1 });
    expect((await act('sch-02-bar-1', { action: 'lower' })).status).toBe(200);
    // The controller simulator travels for 3 s.
    await eventually(async () => (await sim('sch-02-bar-1')).barrier?.position === 'lowered', { timeoutMs: 10_000, everyMs: 200 });
    expect((await act('sch-02-bar-1', { action: 'raise' })).status).toBe(200);
  }, 45_000);

  it('far ends: the primary 110 receiver and the SMS centre go down and come back, as the gateway sees it', async () => {
    const down = await act('110-primary', { action: 'down' });
    expect([down.body.state, down.body.receiver?.mode]).toStrictEqual(['down', 'down']);
    await eventually(async () => reasonsOf(await device('arc-110')).includes('receiver-down'), { timeoutMs: 20_000, everyMs: 200 });
    expect((await act('110-primary', { action: 'up' })).body.state).toBe('up');
    await eventually(async () => !reasonsOf(await device('arc-110')).includes('receiver-down'), { timeoutMs: 20_000, everyMs: 200 });

    const smsDown = await act('sms-centre', { action: 'down' });
    expect([smsDown.body.state, smsDown.body.sms?.listening]).toStrictEqual(['down', false]);
    await eventually(async () => reasonsOf(await device('sms-gw-1')).includes('channel-unbound'), { timeoutMs: 20_000, everyMs: 200 });
    expect((await act('sms-centre', { action: 'up' })).body.state).toBe('up');
    await eventually(async () => !reasonsOf(await device('sms-gw-1')).includes('channel-unbound'), { timeoutMs: 30_000, everyMs: 200 });
  }, 90_000);

  it('refuses an action that does not apply (400), an unknown device (404), with clear messages', async () => {
    const wrongKind = await act('sch-01-btn-1', { action: 'lower' });
    expect([wrongKind.status, wrongKind.body.message]).toStrictEqual([
      400,
      "bad request: 'lower' does not apply to sch-01-btn-1 (alarm-button, mqtt-device); it takes: press, test-press, fault, drop, restore, freeze, malformed, flood",
    ]);
    const wrongFault = await act('sch-01-btn-1', { action: 'fault', fault: 'banana' });
    expect([wrongFault.status, wrongFault.body.message]).toStrictEqual([
      400,
      "bad request: 'fault' on sch-01-btn-1 needs a fault, one of: dead, sim-suspended, fault, low-battery, tamper, sim-expiring, no-link-test (got 'banana')",
    ]);
    expect((await act('110-primary', { action: 'press' })).status).toBe(400);
    expect((await act('sch-01-btn-1', { action: 'flood' })).status).toBe(400);
    expect((await act('sch-01-btn-1', { action: 'explode' })).status).toBe(400);
    const unknown = await act('sch-99-btn-1', { action: 'press' });
    expect([unknown.status, unknown.body.code]).toStrictEqual([404, 'GW_ERR_UNKNOWN_DEVICE']);
    // The gateway's own channels are not simulated things.
    expect((await g.api('/api/simulators/arc-110', { as: 'tester' })).status).toBe(404);
  });

  it('is for testers and admin only: 403 for duty, tech and a school, 401 without a login', async () => {
    const statuses: Record<string, number[]> = {};
    for (const who of ['duty', 'tech', 'sch-02', 'admin', 'tester']) {
      statuses[who] = [
        (await g.api('/api/simulators', { as: who })).status,
        (await g.api('/api/simulators/sch-02-btn-1', { as: who })).status,
        (await g.api('/api/simulators/sch-02-btn-1/actions', { as: who, method: 'POST', body: JSON.stringify({ action: 'test-press' }) })).status,
      ];
    }
    statuses.none = [(await g.api('/api/simulators', { as: null })).status];
    expect(statuses).toStrictEqual({ duty: [403, 403, 403], tech: [403, 403, 403], 'sch-02': [403, 403, 403], admin: [200, 200, 200], tester: [200, 200, 200], none: [401] });
  });
});

describe('simulator control API without --simulate', () => {
  let g: GatewayProcess;
  const dir = tempDir('gw-sim-none-');
  beforeAll(async () => {
    // Nothing answers there: this gateway talks to no far end.
    const nowhere = { host: '127.0.0.1', port: 1 };
    const adapters = {
      'alarm-centre-dc09': { primary: nowhere, secondary: nowhere },
      'sms-smpp': nowhere,
      'barrier-modbus': { controllers: { 'district-plc': nowhere } },
      'camera-onvif': { checkIntervalSeconds: 0, endpoints: { 'district-nvr': nowhere } },
    };
    g = await spawnSimulatedGateway(dir, { adapters }, []);
  }, 60_000);
  afterAll(async () => {
    await g?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('does not serve /api/simulators (404 when logged in, 401 without)', async () => {
    expect([
      (await g.api('/api/simulators', { as: 'admin' })).status,
      (await g.api('/api/simulators/sch-01-btn-1/actions', { as: 'tester', method: 'POST', body: '{"action":"press"}' })).status,
      (await g.api('/api/simulators', { as: null })).status,
    ]).toStrictEqual([404, 404, 401]);
  });
});
