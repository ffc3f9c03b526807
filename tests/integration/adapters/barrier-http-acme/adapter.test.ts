/**
 * The worked example of docs/writing-an-adapter.md end to end: a one-site gateway with one
 * GateKeeper barrier against its simulator. A barrier lowered on a school morning is the core's
 * barrier-down-in-window, a hit its barrier-impact, a raise over the HTTP API is read back, an
 * alarm of the controller is a barrier fault, and a silent unit becomes unreachable.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Clock } from '../../../../gateway/contract/clock.js';
import { systemClock } from '../../../../gateway/contract/clock.js';
import type { Alarm } from '../../../../gateway/contract/types.js';
import { GateKeeperSimulator } from '../../../../simulators/barrier-http-acme/simulator.js';
import { eventually } from '../../../helpers/gateway.js';
import { startOneSite, type OneSiteGateway } from '../../../helpers/one-site.js';

const GATE = 'sch-01-bar-9';
/** Monday 07:40 in Shanghai, inside the entry window; timers still run in real time. */
const MONDAY_MORNING = Date.parse('2026-09-07T07:40:00+08:00');
const offset = MONDAY_MORNING - Date.now();
const shifted: Clock = { ...systemClock, now: () => Date.now() + offset };

describe('barrier-http-acme (GateKeeper over HTTP)', () => {
  let sim: GateKeeperSimulator;
  let t: OneSiteGateway;
  const open = (type: string) => t.gw.alarms.openAlarms().find((a: Alarm) => a.type === type && a.deviceId === GATE);

  beforeAll(async () => {
    sim = new GateKeeperSimulator({ apiKey: 'k-1', units: [1], travelMs: 100, initial: 'UP' });
    const { port } = await sim.start();
    t = await startOneSite(
      {
        devices: [{ id: GATE, kind: 'barrier', adapter: 'barrier-http-acme', name: '北门防冲撞', options: { controller: 'north', unit: 1 } }],
        adapters: { 'barrier-http-acme': { controllers: { north: { host: '127.0.0.1', port, apiKey: 'k-1' } }, pollIntervalMs: 100, commandTimeoutMs: 3000 } },
        overrides: { barriers: { downInWindowGraceSeconds: 0.3 } },
      },
      { clock: shifted },
    );
  });
  afterAll(async () => {
    await t?.close();
    await sim?.stop();
  });

  it('reports its position; lowered in the entry window, the core raises barrier-down-in-window, and clears it once raised over the API', async () => {
    await eventually(() => t.gw.health.get(GATE)?.status === 'ok');
    sim.move(1, 'DOWN');
    const alarm = await eventually(() => open('barrier-down-in-window'), { timeoutMs: 10_000 });
    expect([alarm.severity, alarm.summary]).toStrictEqual(['major', '测试学校 · 北门防冲撞 · 上下学时段防冲撞装置未升起']);
    const res = await t.api(`/api/devices/${GATE}/command`, { as: 'admin', method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ command: 'raise' }) });
    expect([res.status, await res.json()]).toStrictEqual([200, { deviceId: GATE, command: 'raise', position: 'raised', latencyMs: expect.any(Number) as unknown }]);
    await eventually(() => (open('barrier-down-in-window') ? undefined : true));
  });

  it('turns a hit into the core\'s barrier-impact alarm, a controller alarm into a barrier fault, a silent unit into unreachable', async () => {
    sim.impact(1);
    const impact = await eventually(() => open('barrier-impact'));
    expect(impact.severity).toBe('critical');
    sim.setAlarm(1, 'MOTOR', true);
    await eventually(() => t.gw.health.get(GATE)?.reasons.some((r) => r.code === 'barrier-fault' && r.detail === 'motor'));
    sim.setAlarm(1, 'MOTOR', false);
    await eventually(() => t.gw.health.get(GATE)?.status === 'ok');
    sim.silence(1, true);
    await eventually(() => t.gw.health.get(GATE)?.status === 'offline', { timeoutMs: 5000 });
    expect(t.gw.health.get(GATE)?.reasons.map((r) => r.code)).toStrictEqual(['unreachable']);
    sim.silence(1, false);
    await eventually(() => t.gw.health.get(GATE)?.status === 'ok', { timeoutMs: 5000 });
  });

  it('answers a sweep with what it read; the core judges the window', async () => {
    sim.move(1, 'DOWN');
    await eventually(() => t.gw.health.get(GATE)?.reasons.some((r) => r.code === 'barrier-down-in-window'), { timeoutMs: 5000 });
    const started = (await (await t.api('/api/sweeps', { as: 'tech', method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ devices: [GATE] }) })).json()) as { id: string };
    const sweep = await eventually(async () => {
      const view = (await (await t.api(`/api/sweeps/${started.id}`, { as: 'tech' })).json()) as { state: string; results?: { reasons: { code: string }[]; evidence: Record<string, unknown> }[] };
      return view.state === 'done' ? view : undefined;
    });
    expect([sweep.results?.[0]?.reasons.map((r) => r.code), sweep.results?.[0]?.evidence.position]).toStrictEqual([['barrier-down-in-window'], 'lowered']);
  });
});
