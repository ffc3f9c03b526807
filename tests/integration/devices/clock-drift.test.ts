/**
 * One clock view: /api/clock-drift lists every device that reports its time, the furthest off
 * first, with its drift and when it was measured; over health.clockDriftSeconds the device has
 * the clock-drift reason, which clears once its clock is right again.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { connectAs, eventually, startGateway, type TestGateway } from '../../helpers/gateway.js';

interface ClockView {
  limitSeconds: number;
  clocks: { deviceId: string; source: string; driftSeconds: number; measuredAt: number; over: boolean }[];
}

describe('clock drift view', () => {
  let t: TestGateway | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('measures MQTT devices by their own time, sorts by drift and sets clock-drift over the limit', async () => {
    const g = (t = await startGateway({ health: { clockDriftSeconds: 60 }, adapters: { 'camera-onvif': { checkIntervalSeconds: 0 } } }));
    const late = await connectAs(g.mqttUrl, 'sch-01-btn-1');
    const right = await connectAs(g.mqttUrl, 'sch-02-btn-1');
    await late.publishAsync('campus/v1/sch-01/sch-01-btn-1/telemetry', JSON.stringify({ at: Date.now() - 300_000, battery: 90 }), { qos: 1 });
    await right.publishAsync('campus/v1/sch-02/sch-02-btn-1/telemetry', JSON.stringify({ at: Date.now(), battery: 90 }), { qos: 1 });
    const view = async () => (await (await g.api('/api/clock-drift', { as: 'duty' })).json()) as ClockView;
    const v = await eventually(async () => {
      const x = await view();
      return x.clocks.some((c) => c.deviceId === 'sch-02-btn-1') && x.clocks.some((c) => c.deviceId === 'sch-01-btn-1') ? x : undefined;
    });
    expect(v.limitSeconds).toBe(60);
    const mine = v.clocks.filter((c) => c.deviceId === 'sch-01-btn-1' || c.deviceId === 'sch-02-btn-1');
    expect(mine.map((c) => [c.deviceId, c.source, c.over])).toStrictEqual([
      ['sch-01-btn-1', 'mqtt', true],
      ['sch-02-btn-1', 'mqtt', false],
    ]);
    expect(mine[0]?.driftSeconds).toBeLessThan(-290);
    expect(mine[0]?.driftSeconds).toBeGreaterThan(-310);
    expect(Math.abs(mine[1]?.driftSeconds ?? 99)).toBeLessThan(10);
    expect(g.gw.health.get('sch-01-btn-1')?.reasons.map((r) => r.code)).toContain('clock-drift');
    expect(g.gw.health.get('sch-02-btn-1')?.reasons.map((r) => r.code) ?? []).not.toContain('clock-drift');

    // The button's clock is set right: the reason goes.
    await late.publishAsync('campus/v1/sch-01/sch-01-btn-1/telemetry', JSON.stringify({ at: Date.now(), battery: 90 }), { qos: 1 });
    await eventually(() => (g.gw.health.get('sch-01-btn-1')?.reasons.some((r) => r.code === 'clock-drift') ? undefined : true));
    // ...and the view shows the new reading, not the first one (the book updates a device's reading in place).
    const after = (await view()).clocks.find((c) => c.deviceId === 'sch-01-btn-1');
    expect(Math.abs(after?.driftSeconds ?? 99)).toBeLessThan(10);
    expect(after?.over).toBe(false);
    await late.endAsync();
    await right.endAsync();
  }, 60_000);
});
