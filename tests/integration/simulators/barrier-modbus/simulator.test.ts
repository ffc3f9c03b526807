/**
 * The barrier simulator seen through a plain Modbus TCP client (modbus-serial's ModbusRTU,
 * not the adapter), addressing the registers documented in adapters/barrier-modbus/README.md.
 */
import modbusSerial from 'modbus-serial';
import { afterEach, describe, expect, it } from 'vitest';
import type { Clock, Timer } from '../../../../gateway/contract/clock.js';
import { BarrierControllerSimulator } from '../../../../simulators/barrier-modbus/simulator.js';

const ModbusRTU = modbusSerial.default;
type Client = InstanceType<typeof ModbusRTU>;

describe('BarrierControllerSimulator over Modbus TCP', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  /** Travel timers fire when the test says so: no waiting on real time. */
  function manualClock(): Clock & { finishTravel(): void } {
    const pending = new Map<Timer, () => void>();
    return {
      now: () => Date.now(),
      setTimeout: (fn) => {
        const t = globalThis.setTimeout(() => undefined, 0);
        globalThis.clearTimeout(t);
        pending.set(t, fn);
        return t;
      },
      clearTimeout: (t) => void pending.delete(t),
      setInterval: () => {
        throw new Error('not used');
      },
      clearInterval: () => undefined,
      finishTravel() {
        const fns = [...pending.values()];
        pending.clear();
        for (const fn of fns) fn();
      },
    };
  }

  async function setup(opts: ConstructorParameters<typeof BarrierControllerSimulator>[0] = {}) {
    const clock = manualClock();
    const sim = new BarrierControllerSimulator({ travelMs: 3000, clock, ...opts });
    const { port } = await sim.start();
    cleanup.push(() => sim.stop());
    const client: Client = new ModbusRTU();
    await client.connectTCP('127.0.0.1', { port });
    client.setTimeout(1000);
    client.setID(opts.units?.[0] ?? 1);
    // destroy, not close: close() never calls back on a socket the server already dropped.
    cleanup.push(() => new Promise<void>((resolve) => client.destroy(() => resolve())));
    return { sim, client, port, clock };
  }

  it('listens on an ephemeral port on loopback and serves the documented map', async () => {
    const { client, port } = await setup();
    expect(port).toBeGreaterThan(0);
    expect(port).not.toBe(502);
    expect((await client.readHoldingRegisters(0, 5)).data).toStrictEqual([1, 0, 0, 0, 0]);
    expect((await client.readInputRegisters(0, 2)).data).toStrictEqual([1200, 20]);
    expect((await client.readDiscreteInputs(0, 3)).data.slice(0, 3)).toStrictEqual([true, false, false]);
    expect((await client.readCoils(0, 2)).data.slice(0, 2)).toStrictEqual([false, false]);
  });

  it('lowers on coil 1 through the moving state, raises on command register value 1', async () => {
    const { client, sim, clock } = await setup();
    await client.writeCoil(1, true);
    expect((await client.readHoldingRegisters(0, 1)).data).toStrictEqual([4]);
    expect((await client.readInputRegisters(0, 2)).data).toStrictEqual([950, 450]);
    clock.finishTravel();
    expect((await client.readHoldingRegisters(0, 5)).data).toStrictEqual([2, 0, 0, 0, 2]);
    await client.writeRegister(4, 1);
    expect((await client.readHoldingRegisters(0, 1)).data).toStrictEqual([3]);
    clock.finishTravel();
    expect((await client.readHoldingRegisters(0, 1)).data).toStrictEqual([1]);
    expect(sim.state()).toStrictEqual({
      unitId: 1,
      position: 'raised',
      stateValue: 1,
      faults: [],
      faultBits: 0,
      impactCount: 0,
      pressure: 120,
      current: 0.2,
      manualOverride: false,
      stuck: false,
      silent: false,
      lastCommand: 'raise',
      commandsReceived: 2,
    });
  });

  it('reports impacts, faults, manual override; stuck ignores commands; restore clears', async () => {
    const { client, sim, clock } = await setup({ initial: 'lowered' });
    sim.impact(undefined, 2);
    sim.setFault('hydraulic-pressure-low');
    sim.setManualOverride(true);
    expect((await client.readHoldingRegisters(0, 4)).data).toStrictEqual([2, 1, 2, 1]);
    expect((await client.readInputRegisters(0, 1)).data).toStrictEqual([350]);
    expect((await client.readDiscreteInputs(2, 1)).data[0]).toBe(true);
    await sim.restore();
    sim.setManualOverride(false);
    sim.stuck();
    await client.writeCoil(0, true);
    expect((await client.readHoldingRegisters(0, 5)).data).toStrictEqual([2, 0, 2, 0, 1]);
    expect(sim.state().commandsReceived).toBe(1);
    await sim.restore();
    await client.writeCoil(0, true);
    expect((await client.readHoldingRegisters(0, 1)).data).toStrictEqual([3]);
    clock.finishTravel();
    expect((await client.readHoldingRegisters(0, 1)).data).toStrictEqual([1]);
  });

  it('answers Modbus exceptions for unknown registers, values and units', async () => {
    const { client } = await setup();
    await expect(client.readHoldingRegisters(5, 1)).rejects.toMatchObject({ modbusCode: 2 });
    await expect(client.writeRegister(0, 1)).rejects.toMatchObject({ modbusCode: 2 });
    await expect(client.writeRegister(4, 9)).rejects.toMatchObject({ modbusCode: 3 });
    client.setID(9);
    await expect(client.readHoldingRegisters(0, 1)).rejects.toMatchObject({ modbusCode: 11 });
  });

  it('serves several units, and a silent unit times out while the others answer', async () => {
    const { client, sim } = await setup({ units: [3, 4] });
    sim.lower(4);
    await sim.unreachable('silent', 3);
    client.setTimeout(150);
    await expect(client.readHoldingRegisters(0, 1)).rejects.toMatchObject({ name: 'TransactionTimedOutError' });
    client.setID(4);
    expect((await client.readHoldingRegisters(0, 1)).data).toStrictEqual([4]);
  });

  it('drops connections when unreachable and listens on the same port after restore', async () => {
    const { client, sim, port } = await setup();
    const closed = new Promise<void>((resolve) => client.on('close', () => resolve()));
    await sim.unreachable();
    await closed;
    const refused = new ModbusRTU();
    await expect(refused.connectTCP('127.0.0.1', { port })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await sim.restore();
    expect(sim.port).toBe(port);
    const again = new ModbusRTU();
    await again.connectTCP('127.0.0.1', { port });
    again.setID(1);
    expect((await again.readHoldingRegisters(0, 1)).data).toStrictEqual([1]);
    await new Promise<void>((resolve) => again.destroy(() => resolve()));
  });
});
