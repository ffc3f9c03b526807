/**
 * The demo district's GB/T 28181 NVRs against a real gateway: sch-06's NVR registers with the
 * school's cameras as its channels, and the simulator control (what /api/simulators drives)
 * silences it or switches a channel off, which the gateway sees as gb-keepalive-lost and
 * gb-channel-off.
 */
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DistrictSimulator } from '../../../../simulators/district.js';
import { eventually, startGateway, type TestGateway } from '../../../helpers/gateway.js';

describe('district GB/T 28181 NVRs', () => {
  let t: TestGateway;
  let district: DistrictSimulator;

  beforeAll(async () => {
    t = await startGateway({ adapters: { 'camera-gb28181': { keepalive: { intervalSeconds: 0.2, misses: 2 } } } });
    const gbPort = (t.gw.adapters.get('camera-gb28181') as unknown as { port: number }).port;
    district = new DistrictSimulator({ url: t.mqttUrl, config: t.gw.loaded.config, devices: t.gw.loaded.devices, log: pino({ level: 'silent' }), heartbeatMs: 500, sites: ['sch-06'], gbPort });
    t.simulators.attach(district);
    await district.start();
  }, 60_000);
  afterAll(async () => {
    await district?.stop();
    await t?.close();
  });

  it("registers one NVR for the school with the school's cameras as its channels; all of them ok", async () => {
    const ids = ['sch-06-nvr-1', 'sch-06-cam-1', 'sch-06-cam-2', 'sch-06-cam-3', 'sch-06-cam-4'];
    await eventually(() => ids.every((id) => t.gw.health.get(id)?.status === 'ok'));
    expect(t.simulators.list().devices.filter((d) => d.simulator === 'gb-nvr').map((d) => [d.id, d.state, d.actions])).toStrictEqual([
      ['sch-06-nvr-1', 'online', ['drop', 'restore', 'fault']],
      ['sch-06-cam-1', 'online', ['drop', 'restore']],
      ['sch-06-cam-2', 'online', ['drop', 'restore']],
      ['sch-06-cam-3', 'online', ['drop', 'restore']],
      ['sch-06-cam-4', 'online', ['drop', 'restore']],
    ]);
  });

  it('a channel dropped by the tester is gb-channel-off at the gateway; restored, it is ok again', async () => {
    expect((await t.simulators.act('sch-06-cam-2', { action: 'drop' })).state).toBe('offline');
    await eventually(() => t.gw.health.get('sch-06-cam-2')?.reasons.map((r) => r.code).join() === 'gb-channel-off');
    expect(t.gw.health.get('sch-06-cam-1')?.status).toBe('ok');
    expect((await t.simulators.act('sch-06-cam-2', { action: 'restore' })).state).toBe('online');
    await eventually(() => t.gw.health.get('sch-06-cam-2')?.status === 'ok');
  });

  it('a silenced NVR takes its cameras offline after the misses (gb-keepalive-lost); restored, they come back', async () => {
    const dropped = await t.simulators.act('sch-06-nvr-1', { action: 'drop' });
    expect([dropped.state, dropped.faults]).toStrictEqual(['frozen', ['silent']]);
    await eventually(() => ['sch-06-nvr-1', 'sch-06-cam-1', 'sch-06-cam-4'].every((id) => t.gw.health.get(id)?.reasons.map((r) => r.code).join() === 'gb-keepalive-lost'));
    expect(t.gw.health.get('sch-06-cam-1')?.status).toBe('offline');
    expect((await t.simulators.act('sch-06-nvr-1', { action: 'restore' })).state).toBe('online');
    await eventually(() => ['sch-06-nvr-1', 'sch-06-cam-1', 'sch-06-cam-4'].every((id) => t.gw.health.get(id)?.status === 'ok'));
  });

  it('a wrong password switched on makes the next REGISTER fail: 403, auth-failed at the gateway', async () => {
    const view = await t.simulators.act('sch-06-nvr-1', { action: 'fault', fault: 'wrong-password', on: true });
    expect(view.faults).toStrictEqual(['wrong-password']);
    await eventually(() => t.gw.health.get('sch-06-nvr-1')?.reasons.some((r) => r.code === 'auth-failed'));
    expect(t.gw.counters.get('rejects.gb-auth-failed')).toBe(1);
    await t.simulators.act('sch-06-nvr-1', { action: 'restore' });
  });
});
