/**
 * A sweep through the gateway's own HTTP API (as wired in app.ts): the simulated district with
 * its seeded faults, the report downloads, and the report chain.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DistrictSimulator } from '../../../simulators/district.js';
import { eventually, startGateway, type TestGateway } from '../../helpers/gateway.js';
import pino from 'pino';

interface SweepView {
  id: string;
  state: string;
  progress: { done: number; total: number };
  results: { deviceId: string; status: string; reasons: { code: string }[] }[];
}

describe('sweeps through the gateway API', () => {
  let t: TestGateway;
  let sim: DistrictSimulator;
  beforeAll(async () => {
    t = await startGateway({ health: { heartbeatTimeout: { 'alarm-button': 1.5 } } });
    sim = new DistrictSimulator({ url: t.mqttUrl, config: t.gw.loaded.config, devices: t.gw.loaded.devices, log: pino({ level: 'silent' }), heartbeatMs: 300, sites: ['sch-01', 'sch-03', 'sch-07', 'sch-10'] });
    await sim.start();
  });
  afterAll(async () => {
    await sim.stop();
    await t.close();
  });

  it('finds exactly the seeded faulty buttons, with reasons, and seals a verifiable report', async () => {
    const post = () =>
      t.api(`/api/sweeps`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ sites: ['sch-01', 'sch-03', 'sch-07', 'sch-10'], kinds: ['alarm-button'] }),
        as: 'tech',
      });
    // Let the dead button's heartbeat deadline pass and the others' power-up tests reach 110.
    await eventually(() => (t.gw.health.get('sch-03-btn-1')?.reasons.some((r) => r.code === 'no-heartbeat') ? true : undefined));
    await eventually(() => (t.gw.health.get('sch-01-btn-1')?.status === 'ok' ? true : undefined));
    const res = await post();
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    const done = await eventually(async () => {
      const v = (await (await t.api(`/api/sweeps/${id}?results=all`)).json()) as SweepView;
      return v.state === 'done' ? v : undefined;
    }, { timeoutMs: 30_000 });
    const failing = Object.fromEntries(done.results.filter((r) => r.status !== 'ok').map((r) => [r.deviceId, r.reasons.map((x) => x.code).sort()]));
    expect(failing).toStrictEqual({
      'sch-03-btn-1': ['no-heartbeat', 'not-linked-110'],
      'sch-07-btn-1': ['sim-suspended'],
      'sch-10-btn-2': ['fault'],
    });
    expect(done.progress).toStrictEqual({ done: done.results.length, total: done.results.length });
    const csv = await t.api(`/api/sweeps/${id}/report.csv`);
    expect(csv.headers.get('content-type')).toMatch(/text\/csv/);
    expect(await csv.text()).toContain('sch-07-btn-1');
    const verify = (await (await t.api(`/api/sweeps/chain/verify`)).json()) as { ok: boolean };
    expect(verify.ok).toBe(true);
    expect((await t.gw.store.auditEntries()).some((e) => e.action.startsWith('sweep') && e.actor === 'tech')).toBe(true);
  });
});
