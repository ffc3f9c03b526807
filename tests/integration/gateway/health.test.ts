import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Health } from '../../../gateway/contract/types.js';
import { SimulatedButton } from '../../../simulators/alarm-button.js';
import { eventually, startGateway, type TestGateway } from '../../helpers/gateway.js';

interface DeviceView {
  id: string;
  health: Health;
}

describe('device health over real MQTT', () => {
  let t: TestGateway;
  const sims: SimulatedButton[] = [];
  const button = (id: string, faults: string[] = []) => {
    const device = t.gw.registry.get(id);
    if (!device) throw new Error(id);
    const sim = new SimulatedButton({ url: t.mqttUrl, device, heartbeatMs: 100, faults });
    sims.push(sim);
    return sim;
  };
  const deviceHealth = async (id: string) => {
    const res = await t.api(`/api/devices/${id}`);
    return ((await res.json()) as DeviceView).health;
  };

  beforeAll(async () => {
    t = await startGateway({ health: { heartbeatTimeout: { 'alarm-button': 0.6 }, offlineAlarmAfter: 0.3 } });
  });
  afterAll(async () => {
    await Promise.all(sims.map((s) => s.stop()));
    await t.close();
  });

  it('shows a heartbeating button ok, then offline with no-heartbeat when it stops', async () => {
    const sim = button('sch-20-btn-1');
    await sim.start();
    const ok = await eventually(async () => {
      const h = await deviceHealth('sch-20-btn-1');
      return h.status === 'ok' ? h : undefined;
    });
    expect(ok.reasons).toStrictEqual([]);
    sim.freeze();
    const dead = await eventually(async () => {
      const h = await deviceHealth('sch-20-btn-1');
      return h.status === 'offline' ? h : undefined;
    });
    expect(dead.reasons.map((r) => r.code)).toStrictEqual(['no-heartbeat']);
    // The district view lists it under its reason.
    const res = await t.api(`/api/devices?status=offline&reason=no-heartbeat&site=sch-20`);
    expect(((await res.json()) as DeviceView[]).map((d) => d.id)).toStrictEqual(['sch-20-btn-1']);
  });

  it('marks a device whose connection drops offline through its will, raises device-offline, clears it on return', async () => {
    const sim = button('sch-21-btn-1');
    await sim.start();
    await eventually(async () => ((await deviceHealth('sch-21-btn-1')).status === 'ok' ? true : undefined));
    sim.drop();
    const h = await eventually(async () => {
      const x = await deviceHealth('sch-21-btn-1');
      return x.reasons.some((r) => r.code === 'offline') ? x : undefined;
    });
    expect(h.status).toBe('offline');
    const alarm = await eventually(() => t.gw.alarms.openAlarms().find((a) => a.deviceId === 'sch-21-btn-1' && a.type === 'device-offline'));
    expect(alarm.severity).toBe('major');
    await sim.start();
    await eventually(async () => ((await deviceHealth('sch-21-btn-1')).status === 'ok' ? true : undefined));
    const resolved = await t.gw.alarms.get(alarm.id);
    expect(resolved?.state).toBe('resolved');
    expect(resolved?.timeline.map((e) => [e.action, e.by])).toStrictEqual([
      ['raised', 'system'],
      ['cleared', 'system'],
    ]);
  });

  it('reports each seeded button fault with the reason a technician can act on', async () => {
    const cases: [string, string[], string, string | undefined][] = [
      ['sch-22-btn-1', ['sim-suspended'], 'sim-suspended', 'suspended'],
      ['sch-24-btn-1', ['fault'], 'fault', 'E12-hardware'],
      ['sch-25-btn-1', ['low-battery'], 'low-battery', '12%'],
      ['sch-26-btn-1', ['tamper'], 'tamper', 'enclosure opened'],
    ];
    for (const [id, faults] of cases) await button(id, faults).start();
    for (const [id, , code, detail] of cases) {
      // Each button's power-up test reaches the 110 centre and clears not-linked-110; the fault stays.
      const h = await eventually(async () => {
        const x = await deviceHealth(id);
        return x.reasons.length === 1 && x.reasons[0]?.code === code ? x : undefined;
      });
      expect(h.status).toBe('degraded');
      expect(h.reasons.map((r) => [r.code, r.detail])).toStrictEqual([[code, detail]]);
    }
  });
});
