/**
 * barrier-modbus against the real simulator over loopback: real sockets, real time, short
 * poll intervals; every wait is on an event or a promise, never a sleep.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { barrierModbusAdapter, type BarrierModbusAdapter } from '../../../../adapters/barrier-modbus/adapter.js';
import { SIM_RB1_MODEL, type BarrierModbusConfig } from '../../../../adapters/barrier-modbus/config.js';
import type { DeviceEventInput } from '../../../../gateway/contract/adapter.js';
import type { Device, Site } from '../../../../gateway/contract/types.js';
import { BarrierControllerSimulator } from '../../../../simulators/barrier-modbus/simulator.js';
import { fakeContext, type FakeContext } from '../../../helpers/fake-context.js';

const SITE: Site = {
  id: 'sch-01',
  name: 'Test school',
  district: 'test',
  timeZone: 'Asia/Shanghai',
  // Always in a window: the adapter must still not judge a lowered barrier itself (the core does).
  protectionWindows: [
    { days: [1, 2, 3, 4, 5, 6, 7], start: '00:00', end: '12:00', label: 'am' },
    { days: [1, 2, 3, 4, 5, 6, 7], start: '12:00', end: '24:00', label: 'pm' },
  ],
  holidays: [],
  contacts: [],
};

function barrier(id: string, port: number, unitId = 1, model = 'sim-rb1'): Device {
  return { id, siteId: SITE.id, kind: 'barrier', adapter: 'barrier-modbus', name: id, options: { host: '127.0.0.1', port, unitId, model } };
}

function config(overrides: Partial<BarrierModbusConfig> = {}): BarrierModbusConfig {
  return {
    models: { 'sim-rb1': { ...SIM_RB1_MODEL, travelTimeoutMs: 2000 } },
    controllers: {},
    pollIntervalMs: 50,
    timeoutMs: 200,
    reconnect: { minMs: 20, maxMs: 100 },
    failedPollsForUnreachable: 3,
    commandTimeoutMs: 2000,
    maxConcurrentConnects: 8,
    maxInFlightPerConnection: 8,
    ...overrides,
  };
}

const is = (deviceId: string, type: string, data: Record<string, unknown> = {}) => (e: DeviceEventInput) =>
  e.deviceId === deviceId && e.type === type && Object.entries(data).every(([k, v]) => e.data?.[k] === v);

describe('barrier-modbus adapter with the simulator', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  async function setup(opts: { units?: number[]; initial?: 'raised' | 'lowered'; travelMs?: number; config?: Partial<BarrierModbusConfig> } = {}) {
    const sim = new BarrierControllerSimulator({ units: opts.units ?? [1], initial: opts.initial ?? 'raised', travelMs: opts.travelMs ?? 300 });
    const { port } = await sim.start();
    cleanup.push(() => sim.stop());
    const devices = (opts.units ?? [1]).map((u) => barrier(`bar-${u}`, port, u));
    const ctx = fakeContext({ sites: [SITE], devices });
    const adapter = barrierModbusAdapter.create(config(opts.config), ctx);
    await adapter.start();
    cleanup.push(() => adapter.stop());
    return { sim, ctx, adapter, port, devices };
  }

  it('polls the state and reports telemetry every poll, the initial position once', async () => {
    const { ctx } = await setup();
    const telemetry = await ctx.waitForEvent(is('bar-1', 'telemetry'));
    expect(telemetry).toStrictEqual({
      deviceId: 'bar-1',
      type: 'telemetry',
      at: expect.any(Number),
      data: { position: 'raised', pressure: 120, impactCount: 0, manualOverride: false, faultBits: 0, faults: '' },
    });
    await ctx.waitForEvent((e) => e.type === 'telemetry' && e !== telemetry);
    expect(ctx.events.filter((e) => e.type !== 'telemetry')).toStrictEqual([
      { deviceId: 'bar-1', type: 'raised', at: expect.any(Number), data: { position: 'raised', previous: 'unknown', raw: 1 } },
    ]);
    expect(ctx.conditions).toStrictEqual([]);
  });

  it('raises on command and confirms it by reading the position back', async () => {
    const { ctx, adapter, sim } = await setup({ initial: 'lowered' });
    await ctx.waitForEvent(is('bar-1', 'lowered'));
    const result = await adapter.command('bar-1', 'raise');
    expect(result).toStrictEqual({ deviceId: 'bar-1', command: 'raise', position: 'raised', latencyMs: expect.any(Number) });
    expect(sim.state().position).toBe('raised');
    expect(ctx.events.filter((e) => e.type !== 'telemetry').map((e) => [e.type, e.data?.previous])).toStrictEqual([
      ['lowered', 'unknown'],
      ['moving', 'lowered'],
      ['raised', 'moving'],
    ]);
    expect(ctx.conditions).toStrictEqual([]);
  });

  it('a stuck barrier fails the command with barrier-command-failed; a later success clears it', async () => {
    const { ctx, adapter, sim, devices } = await setup();
    await ctx.waitForEvent(is('bar-1', 'raised'));
    sim.stuck();
    const failed = adapter.command('bar-1', 'lower', undefined, { timeoutMs: 300 });
    await expect(failed).rejects.toMatchObject({ code: 'GW_ERR_COMMAND_TIMEOUT', deviceId: 'bar-1', cause: { code: 'GW_ERR_BARRIER_COMMAND_TIMEOUT' } });
    expect(ctx.conditions).toStrictEqual([
      { deviceId: 'bar-1', code: 'barrier-command-failed', active: true, detail: 'lower not confirmed within 300 ms (position raised)' },
    ]);
    expect(sim.state()).toMatchObject({ position: 'raised', lastCommand: 'lower', commandsReceived: 1 });
    const check = await adapter.check(devices[0] as Device, AbortSignal.timeout(2000));
    expect([check.status, check.reasons]).toStrictEqual([
      'degraded',
      [{ code: 'barrier-command-failed', detail: 'lower not confirmed within 300 ms (position raised)' }],
    ]);
    await sim.restore();
    await adapter.command('bar-1', 'lower');
    expect(ctx.activeConditions('bar-1')).toStrictEqual([]);
  });

  it('an aborted command writes nothing and sets no condition', async () => {
    const { ctx, adapter, sim } = await setup();
    await ctx.waitForEvent(is('bar-1', 'raised'));
    await expect(adapter.command('bar-1', 'lower', AbortSignal.abort(new Error('operator cancelled')))).rejects.toMatchObject({
      code: 'GW_ERR_COMMAND_FAILED',
      message: 'device command failed: operation aborted: operator cancelled',
      cause: { code: 'GW_ERR_ABORTED', message: 'operation aborted: operator cancelled' },
    });
    await expect(adapter.command('bar-9', 'lower')).rejects.toMatchObject({ code: 'GW_ERR_COMMAND_FAILED', cause: { code: 'GW_ERR_BARRIER_UNKNOWN_DEVICE' } });
    expect(sim.state().commandsReceived).toBe(0);
    expect(ctx.conditions).toStrictEqual([]);
  });

  it('reports an impact as the counter increment', async () => {
    const { ctx, sim } = await setup();
    await ctx.waitForEvent(is('bar-1', 'telemetry'));
    sim.impact(undefined, 2);
    const impact = await ctx.waitForEvent(is('bar-1', 'impact'));
    expect(impact).toStrictEqual({ deviceId: 'bar-1', type: 'impact', at: expect.any(Number), data: { count: 2, delta: 2 } });
    sim.impact();
    expect(await ctx.waitForEvent(is('bar-1', 'impact', { count: 3 }))).toMatchObject({ data: { count: 3, delta: 1 } });
  });

  it('turns fault bits into a fault event, the barrier-fault condition and check reasons', async () => {
    const { ctx, sim, adapter, devices } = await setup();
    await ctx.waitForEvent(is('bar-1', 'telemetry'));
    sim.setFault('hydraulic-pressure-low');
    const fault = await ctx.waitForEvent(is('bar-1', 'fault'));
    expect(fault).toStrictEqual({
      deviceId: 'bar-1',
      type: 'fault',
      at: expect.any(Number),
      data: { code: 'hydraulic-pressure-low,pressure-low', faultBits: 1 },
    });
    expect(ctx.activeConditions('bar-1')).toStrictEqual(['barrier-fault']);
    const check = await adapter.check(devices[0] as Device, AbortSignal.timeout(2000));
    expect(check).toStrictEqual({
      status: 'degraded',
      reasons: [{ code: 'barrier-fault', detail: 'hydraulic-pressure-low,pressure-low' }],
      evidence: {
        endpoint: `127.0.0.1:${sim.port}`,
        unitId: 1,
        model: 'sim-rb1',
        latencyMs: expect.any(Number),
        position: 'raised',
        pressure: 35,
        unit: 'bar',
        faults: 'hydraulic-pressure-low,pressure-low',
        faultBits: 1,
        impactCount: 0,
        manualOverride: false,
      },
    });
    await sim.restore();
    await ctx.waitForEvent(is('bar-1', 'fault-cleared'));
    expect(ctx.activeConditions('bar-1')).toStrictEqual([]);
  });

  it("a check of a lowered barrier reports what it read; whether that is down in a window is for the core to judge", async () => {
    const { ctx, adapter, devices } = await setup({ initial: 'lowered' });
    await ctx.waitForEvent(is('bar-1', 'lowered'));
    const check = await adapter.check(devices[0] as Device, AbortSignal.timeout(2000));
    expect([check.status, check.reasons, check.evidence.position]).toStrictEqual(['ok', [], 'lowered']);
  });

  it('marks the barrier unreachable after N failed polls and clears it on recovery', async () => {
    const { ctx, sim, adapter, devices } = await setup();
    await ctx.waitForEvent(is('bar-1', 'telemetry'));
    await sim.unreachable();
    const unknown = await ctx.waitForEvent(is('bar-1', 'unknown'));
    expect(unknown).toStrictEqual({
      deviceId: 'bar-1',
      type: 'unknown',
      at: expect.any(Number),
      data: { position: 'unknown', previous: 'raised', reason: 'unreachable', failedPolls: 3 },
    });
    expect(ctx.activeConditions('bar-1')).toStrictEqual(['unreachable']);
    const check = await adapter.check(devices[0] as Device, AbortSignal.timeout(2000));
    expect(check).toMatchObject({ status: 'offline', reasons: [{ code: 'unreachable' }] });

    await sim.restore();
    const mark = ctx.events.length;
    // The first poll also said raised-after-unknown: look only at events after the restore.
    await ctx.waitForEvent((e) => is('bar-1', 'raised', { previous: 'unknown' })(e) && ctx.events.indexOf(e) >= mark);
    expect(ctx.activeConditions('bar-1')).toStrictEqual([]);
    expect(ctx.conditions.map((c) => [c.code, c.active])).toStrictEqual([
      ['unreachable', true],
      ['unreachable', false],
    ]);
  });

  it('a silent unit does not hold back another unit on the same controller', async () => {
    const { ctx, sim } = await setup({ units: [1, 2] });
    await ctx.waitForEvent(is('bar-2', 'telemetry'));
    await sim.unreachable('silent', 1);
    await ctx.waitForEvent(is('bar-1', 'unknown'));
    // Unit 2 keeps reporting while unit 1 times out request after request.
    let last = ctx.events.length - 1;
    for (let i = 0; i < 3; i++) {
      const e = await ctx.waitForEvent((ev) => is('bar-2', 'telemetry')(ev) && ctx.events.indexOf(ev) > last);
      last = ctx.events.indexOf(e);
    }
    expect(ctx.activeConditions('bar-1')).toStrictEqual(['unreachable']);
    expect(ctx.activeConditions('bar-2')).toStrictEqual([]);
  });

  it('refuses to start with a register-map error, naming its path', async () => {
    const ctx: FakeContext = fakeContext({ sites: [SITE], devices: [barrier('bar-1', 1502, 1, 'acme-rb3')] });
    const broken = config({
      models: { 'acme-rb3': { ...SIM_RB1_MODEL, position: { address: 0, values: { '1': 'raised', '3': 'moving' } } } },
    });
    const adapter = barrierModbusAdapter.create(broken, ctx);
    await expect(adapter.start()).rejects.toMatchObject({
      code: 'GW_ERR_CONFIG_INVALID',
      details: ["models.acme-rb3.position.values: must map one value to 'raised' and one to 'lowered' (a command cannot be verified otherwise)"],
    });
    await adapter.stop();
    expect(ctx.events).toStrictEqual([]);
  });
});

// Type-level: the factory's create() hands back the commandable adapter.
export type _Check = ReturnType<typeof barrierModbusAdapter.create> extends BarrierModbusAdapter ? true : never;
