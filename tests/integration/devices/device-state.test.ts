/**
 * Every device's state at a glance: `state` on /api/devices carries the latest reading of each
 * field with its time, from what the gateway ingests (a Modbus barrier lowered through the
 * simulator control, a button's battery and SIM over MQTT), kept across a restart, and the list
 * filters by it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { connectAs, eventually, startGateway, type TestGateway } from '../../helpers/gateway.js';

interface Reading {
  value: string | number | boolean;
  at: number;
}
interface DeviceView {
  id: string;
  state: Record<string, Reading>;
}

describe('device state', () => {
  let t: TestGateway | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  const device = async (g: TestGateway, id: string) => (await (await g.api(`/api/devices/${id}`, { as: 'tester' })).json()) as DeviceView;

  it('shows a Modbus barrier lowered through the simulator control as state.position lowered; the list filters by it', async () => {
    // No background camera checks: this test is about barriers and buttons.
    const g = (t = await startGateway({ adapters: { 'camera-onvif': { checkIntervalSeconds: 0 } } }));
    await eventually(async () => ((await device(g, 'sch-02-bar-1')).state['position']?.value === 'raised' ? true : undefined), { timeoutMs: 15_000 });
    const res = await g.api('/api/simulators/sch-02-bar-1/actions', { as: 'tester', method: 'POST', body: JSON.stringify({ action: 'lower' }) });
    expect(res.status).toBe(200);
    // The controller simulator travels for 3 s.
    const lowered = await eventually(async () => {
      const d = await device(g, 'sch-02-bar-1');
      return d.state['position']?.value === 'lowered' ? d : undefined;
    }, { timeoutMs: 20_000, everyMs: 200 });
    expect(lowered.state['position']?.at).toBeGreaterThan(Date.now() - 60_000);
    expect(typeof lowered.state['impactCount']?.value).toBe('number');
    expect(lowered.state['faults']?.value).toBe('');
    const list = (await (await g.api('/api/devices?kind=barrier&state=position:lowered', { as: 'tester' })).json()) as DeviceView[];
    expect(list.map((d) => d.id)).toContain('sch-02-bar-1');
    expect(list.every((d) => d.state['position']?.value === 'lowered')).toBe(true);
  }, 60_000);

  it("keeps a button's battery, signal and SIM readings across a restart", async () => {
    t = await startGateway({ adapters: { 'camera-onvif': { checkIntervalSeconds: 0 } } });
    const c = await connectAs(t.mqttUrl, 'sch-01-btn-1');
    const at = Date.now() - 1000;
    await c.publishAsync('campus/v1/sch-01/sch-01-btn-1/telemetry', JSON.stringify({ at, battery: 87, rssi: -71, power: 'battery', sim: { status: 'suspended', expires: '2027-06-30' } }), { qos: 1 });
    await c.endAsync();
    const g = t;
    const seen = await eventually(async () => {
      const d = await device(g, 'sch-01-btn-1');
      return d.state['battery'] ? d : undefined;
    });
    expect([seen.state['battery'], seen.state['rssi'], seen.state['power']?.value, seen.state['sim.status']?.value, seen.state['sim.expires']?.value]).toStrictEqual([
      { value: 87, at },
      { value: -71, at },
      'battery',
      'suspended',
      '2027-06-30',
    ]);
    const suspended = (await (await g.api('/api/devices?state=sim.status:suspended', { as: 'tester' })).json()) as DeviceView[];
    expect(suspended.map((d) => d.id)).toStrictEqual(['sch-01-btn-1']);

    t = await t.restart();
    expect((await device(t, 'sch-01-btn-1')).state['battery']).toStrictEqual({ value: 87, at });
  }, 60_000);
});
