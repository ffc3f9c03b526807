/**
 * The simulator control in process (what /api/simulators and the scenario runner drive): a
 * real gateway with its ephemeral far ends and a simulated sch-01 and sch-06 attached. Faults
 * switched one by one on the Modbus controller, a hung and a dead button, an MQTT barrier that
 * keeps its position, and the refusals, each with its kind.
 */
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSimulatorRefusal } from '../../../gateway/contract/simulator-port.js';
import { DistrictSimulator } from '../../../simulators/district.js';
import { eventually, startGateway, type TestGateway } from '../../helpers/gateway.js';

describe('simulator control (in process)', () => {
  let t: TestGateway;
  let district: DistrictSimulator;

  const refusal = async (p: Promise<unknown>): Promise<[string, string]> => {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    if (!isSimulatorRefusal(err)) throw new Error(`expected a refusal of the simulator control, got ${String(err)}`);
    return [err.code, err.message];
  };

  beforeAll(async () => {
    t = await startGateway();
    district = new DistrictSimulator({ url: t.mqttUrl, config: t.gw.loaded.config, devices: t.gw.loaded.devices, log: pino({ level: 'silent' }), heartbeatMs: 500, sites: ['sch-01', 'sch-06'] });
    t.simulators.attach(district);
    await district.start();
  }, 60_000);
  afterAll(async () => {
    await district?.stop();
    await t?.close();
  });

  it('lists the far ends, the Modbus barriers of the controller and the district devices; without a district, no MQTT devices', () => {
    const ids = (l: ReturnType<typeof t.simulators.list>) => [l.farEnds.map((f) => f.id), l.devices.map((d) => d.id)];
    expect(ids(t.simulators.list())).toStrictEqual([
      ['110-primary', '110-secondary', 'sms-centre'],
      // sch-06's cameras are behind its GB/T 28181 NVR (camera-gb28181), not MQTT devices of the district.
      ['sch-01-btn-1', 'sch-01-btn-2', 'sch-01-bar-1', 'sch-02-bar-1', 'sch-03-bar-1', 'sch-04-bar-1', 'sch-05-bar-1', 'sch-06-btn-1', 'sch-06-bar-1'],
    ]);
    t.simulators.attach(undefined);
    try {
      expect(ids(t.simulators.list())[1]).toStrictEqual(['sch-01-bar-1', 'sch-02-bar-1', 'sch-03-bar-1', 'sch-04-bar-1', 'sch-05-bar-1']);
      expect(t.simulators.get('sch-01-btn-1')).toBeUndefined();
    } finally {
      t.simulators.attach(district);
    }
  });

  it('switches Modbus faults on and off one by one; a silent unit is unreachable until restored', async () => {
    await t.simulators.act('sch-03-bar-1', { action: 'fault', fault: 'motor-overload' });
    expect((await t.simulators.act('sch-03-bar-1', { action: 'fault', fault: 'limit-switch', on: true })).faults).toStrictEqual(['motor-overload', 'limit-switch']);
    expect((await t.simulators.act('sch-03-bar-1', { action: 'fault', fault: 'motor-overload', on: false })).faults).toStrictEqual(['limit-switch']);
    expect((await t.simulators.act('sch-03-bar-1', { action: 'drop' })).state).toBe('unreachable');
    const restored = await t.simulators.act('sch-03-bar-1', { action: 'restore' });
    expect([restored.state, restored.faults]).toStrictEqual(['online', []]);
  });

  it('a hung button is frozen while connected; a dead one drops off (the gateway sees it offline) until the fault is switched off', async () => {
    expect((await t.simulators.act('sch-01-btn-2', { action: 'freeze' })).state).toBe('frozen');
    expect((await t.simulators.act('sch-01-btn-2', { action: 'restore' })).state).toBe('online');
    const dead = await t.simulators.act('sch-01-btn-2', { action: 'fault', fault: 'dead', on: true });
    expect([dead.state, dead.faults]).toStrictEqual(['dead', ['dead']]);
    await eventually(() => t.gw.health.get('sch-01-btn-2')?.status === 'offline');
    expect(await refusal(t.simulators.act('sch-01-btn-2', { action: 'press' }))).toStrictEqual(['GW_ERR_NOT_SUPPORTED', 'the device does not support this: sch-01-btn-2 is dead, not connected: restore it first']);
    const alive = await t.simulators.act('sch-01-btn-2', { action: 'fault', fault: 'dead', on: false });
    expect([alive.state, alive.faults]).toStrictEqual(['online', []]);
    await eventually(() => t.gw.health.get('sch-01-btn-2')?.status === 'ok');
  });

  it('an MQTT barrier lowered by the tester stays lowered in its heartbeats', async () => {
    const positions: unknown[] = [];
    let lowered = false;
    // Heartbeats sent before the `lowered` event was acknowledged reached the gateway before it.
    const off = t.gw.bus.on('device.event', 'test', (e) => {
      if (lowered && e.deviceId === 'sch-06-bar-1' && e.type === 'telemetry') positions.push(e.data.position);
    });
    try {
      expect((await t.simulators.act('sch-06-bar-1', { action: 'lower' })).barrier).toStrictEqual({ position: 'lowered', impactCount: 0 });
      lowered = true;
      // The next heartbeats (every 500 ms) report it lowered, not the old constant 'raised'.
      await eventually(() => (positions.length >= 2 ? true : undefined), { timeoutMs: 5000 });
      expect(positions.slice(0, 2)).toStrictEqual(['lowered', 'lowered']);
    } finally {
      off();
    }
    expect((await t.simulators.act('sch-06-bar-1', { action: 'raise' })).barrier?.position).toBe('raised');
  });

  it('refuses an unknown id, an action of another kind, a fault it does not have, and a flood without a count', async () => {
    expect(await refusal(t.simulators.act('sch-99-btn-1', { action: 'press' }))).toStrictEqual(['GW_ERR_UNKNOWN_DEVICE', "unknown device: nothing simulated has the id 'sch-99-btn-1'"]);
    expect(await refusal(t.simulators.act('sch-06-bar-1', { action: 'cover' }))).toStrictEqual([
      'GW_ERR_BAD_REQUEST',
      "bad request: 'cover' does not apply to sch-06-bar-1 (barrier, mqtt-device); it takes: lower, raise, impact, drop, restore, freeze, malformed, flood",
    ]);
    expect(await refusal(t.simulators.act('sch-01-bar-1', { action: 'fault', fault: 'sim-suspended' }))).toStrictEqual([
      'GW_ERR_BAD_REQUEST',
      "bad request: 'fault' on sch-01-bar-1 needs a fault, one of: hydraulic-pressure-low, motor-overload, limit-switch, emergency-stop, power-failure (got 'sim-suspended')",
    ]);
    expect((await refusal(t.simulators.act('sch-01-btn-1', { action: 'flood', count: 0 })))[0]).toBe('GW_ERR_BAD_REQUEST');
  });
});
