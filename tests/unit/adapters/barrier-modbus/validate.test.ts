import { describe, expect, it } from 'vitest';
import { SIM_RB1_MODEL, type BarrierModel } from '../../../../adapters/barrier-modbus/config.js';
import { resolveBarrierConfig, validateBarrierConfig } from '../../../../adapters/barrier-modbus/validate.js';
import type { Device } from '../../../../gateway/contract/types.js';

function device(id: string, options: Record<string, unknown>, extra: Partial<Device> = {}): Device {
  return { id, siteId: 's', kind: 'barrier', adapter: 'barrier-modbus', name: id, options, ...extra };
}

const model = (patch: Partial<BarrierModel>): BarrierModel => ({ ...SIM_RB1_MODEL, ...patch });

describe('validateBarrierConfig', () => {
  it('accepts the defaults (the sim-rb1 model) and a well-formed barrier', () => {
    expect(validateBarrierConfig({}, [device('b1', { host: '10.0.0.5', model: 'sim-rb1' })])).toStrictEqual([]);
    const resolved = resolveBarrierConfig({});
    expect(resolved).toStrictEqual({
      models: { 'sim-rb1': SIM_RB1_MODEL },
      controllers: {},
      pollIntervalMs: 1000,
      timeoutMs: 800,
      reconnect: { minMs: 500, maxMs: 30_000 },
      failedPollsForUnreachable: 3,
      commandTimeoutMs: 10_000,
      maxConcurrentConnects: 64,
      maxInFlightPerConnection: 8,
    });
  });

  it('takes a barrier endpoint from a named controller, and names an unknown one', () => {
    const cfg = { controllers: { plc: { host: '10.0.0.9', port: 5020 } } };
    expect(validateBarrierConfig(cfg, [device('b1', { controller: 'plc', unitId: 3, model: 'sim-rb1' })])).toStrictEqual([]);
    expect(validateBarrierConfig(cfg, [device('b2', { controller: 'dcs', model: 'sim-rb1' })])).toStrictEqual([
      'devices.b2.options.controller: unknown controller "dcs" (declared: plc)',
    ]);
  });

  it('names the path of a schema error inside a model', () => {
    const errors = validateBarrierConfig({
      models: { 'acme-rb3': model({ position: { address: 0, values: { '1': 'raised', '2': 'down' as never } } }) },
    });
    expect(errors).toStrictEqual(['models.acme-rb3.position.values.2: expected raised, lowered, moving or fault']);
    expect(validateBarrierConfig({ models: { 'Acme RB3': SIM_RB1_MODEL } })).toStrictEqual(['models.Acme RB3: Unexpected property']);
    expect(validateBarrierConfig({ models: { x: model({ manualOverride: { coil: 1, bit: 2 } as never }) } })).toStrictEqual([
      'models.x.manualOverride: expected {coil}, {discreteInput} or {register, bit, table?}',
    ]);
  });

  it('reports what the schema cannot: state coverage, value keys, bit numbers, duplicate names, commands', () => {
    const errors = validateBarrierConfig({
      models: {
        'acme-rb3': model({
          position: { address: 0, values: { '1': 'raised', x: 'moving' } },
          faults: { address: 1, bits: { '0': 'overheat', '16': 'overheat' } },
          analog: { kind: 'current', address: 0, scale: 0, unit: 'A', min: 5, max: 2 },
          commands: { raise: { coil: 3 }, lower: { coil: 3 } },
          manualOverride: { coil: 3 },
        }),
      },
      reconnect: { minMs: 5000, maxMs: 100 },
    });
    expect(errors).toStrictEqual([
      'models.acme-rb3.position.values.x: key must be a register value 0–65535',
      "models.acme-rb3.position.values: must map one value to 'raised' and one to 'lowered' (a command cannot be verified otherwise)",
      'models.acme-rb3.faults.bits.16: key must be a bit number 0–15',
      "models.acme-rb3.faults.bits.16: fault name 'overheat' is already bit 0",
      'models.acme-rb3.analog.scale: must be a non-zero number',
      'models.acme-rb3.analog.min: must be below analog.max',
      'models.acme-rb3.commands.lower.coil: same coil 3 as commands.raise',
      'models.acme-rb3.manualOverride.coil: coil 3 is also a command coil',
      'reconnect.minMs: must not exceed reconnect.maxMs',
    ]);
  });

  it('checks every barrier device against the model list, with the device in the path', () => {
    const errors = validateBarrierConfig({}, [
      device('b1', { host: '10.0.0.5', model: 'acme-rb3' }),
      device('b2', { port: 70000, unitId: -1, model: 'sim-rb1' }),
      device('b3', { host: '10.0.0.6', port: 502, unitId: 1, model: 'sim-rb1' }),
      device('b4', { host: '10.0.0.6', model: 'sim-rb1' }),
      device('b5', { host: '10.0.0.7', model: 'sim-rb1' }, { kind: 'camera' }),
      device('cam', { anything: true }, { adapter: 'camera-onvif', kind: 'camera' }),
    ]);
    expect(errors).toStrictEqual([
      'devices.b1.options.model: unknown model "acme-rb3" (declared: sim-rb1)',
      'devices.b2.options.host: required, a host name or IP address',
      'devices.b2.options.port: must be an integer 1–65535',
      'devices.b2.options.unitId: must be an integer 0–255',
      "devices.b4.options.unitId: 10.0.0.6:502#1 is already barrier 'b3'",
      "devices.b5.kind: barrier-modbus owns only 'barrier' devices, not 'camera'",
    ]);
  });

  it('reports unknown settings and bad numbers at the root with their names', () => {
    expect(validateBarrierConfig({ pollIntervalMs: 0, bogus: 1 })).toStrictEqual([
      'bogus: Unexpected property',
      'pollIntervalMs: Expected integer to be greater or equal to 10',
    ]);
  });

  it('resolveBarrierConfig throws GW_ERR_CONFIG_INVALID carrying every path', () => {
    expect(() => resolveBarrierConfig({}, [device('b1', { host: 'h', model: 'nope' })])).toThrow(
      expect.objectContaining({
        code: 'GW_ERR_CONFIG_INVALID',
        details: ['devices.b1.options.model: unknown model "nope" (declared: sim-rb1)'],
      }),
    );
  });
});
