import { describe, expect, it } from 'vitest';
import { decodeReading, readPlan, storeRead, type ReadValues } from '../../../../adapters/barrier-modbus/codec.js';
import { impactDelta } from '../../../../adapters/shared/barrier-tracker.js';
import { SIM_RB1_MODEL, type BarrierModel } from '../../../../adapters/barrier-modbus/config.js';
import { backoffDelay } from '../../../../adapters/barrier-modbus/link.js';

/** A vendor map spread over tables: override on a discrete input, signed current with an offset. */
const SPREAD: BarrierModel = {
  position: { address: 100, values: { '0': 'lowered', '1': 'raised', '9': 'fault' } },
  faults: { address: 300, bits: { '15': 'door-open' } },
  analog: { kind: 'current', table: 'holding', address: 101, scale: 0.01, offset: 1, signed: true, unit: 'A' },
  impactCounter: { table: 'input', address: 7 },
  manualOverride: { discreteInput: 12 },
  commands: { raise: { register: 200, value: 1 }, lower: { register: 200, value: 2 } },
};

describe('readPlan', () => {
  it('reads the sim-rb1 map in two requests', () => {
    expect(readPlan(SIM_RB1_MODEL)).toStrictEqual([
      { table: 'holding', address: 0, length: 4 },
      { table: 'input', address: 0, length: 1 },
    ]);
  });

  it('splits a table whose addresses do not fit one request (125 registers)', () => {
    expect(readPlan(SPREAD)).toStrictEqual([
      { table: 'holding', address: 100, length: 1 },
      { table: 'holding', address: 101, length: 1 },
      { table: 'holding', address: 300, length: 1 },
      { table: 'input', address: 7, length: 1 },
      { table: 'discrete', address: 12, length: 1 },
    ]);
  });
});

describe('decodeReading', () => {
  it('decodes sim-rb1 registers into a reading', () => {
    const values: ReadValues = new Map();
    storeRead(values, { table: 'holding', address: 0, length: 4 }, [3, 0b10001, 7, 1]);
    storeRead(values, { table: 'input', address: 0, length: 1 }, [1234]);
    expect(decodeReading(SIM_RB1_MODEL, values)).toStrictEqual({
      position: 'moving',
      positionRaw: 3,
      faultBits: 17,
      faultNames: ['hydraulic-pressure-low', 'power-failure'],
      analogKind: 'pressure',
      analog: 123.4,
      impactCount: 7,
      manualOverride: true,
    });
  });

  it('maps unknown values to unknown, unnamed bits to bit-n, signed raw values, discrete flags', () => {
    const values: ReadValues = new Map();
    storeRead(values, { table: 'holding', address: 100, length: 2 }, [42, 0xfff6]);
    storeRead(values, { table: 'holding', address: 300, length: 1 }, [0x8002]);
    storeRead(values, { table: 'input', address: 7, length: 1 }, [65535]);
    storeRead(values, { table: 'discrete', address: 12, length: 1 }, [false]);
    expect(decodeReading(SPREAD, values)).toStrictEqual({
      position: 'unknown',
      positionRaw: 42,
      faultBits: 0x8002,
      faultNames: ['bit-1', 'door-open'],
      analogKind: 'current',
      analog: 0.9,
      impactCount: 65535,
      manualOverride: false,
    });
  });

  it('refuses a short answer', () => {
    expect(() => storeRead(new Map(), { table: 'holding', address: 0, length: 4 }, [1, 2])).toThrow('short answer: 2 of 4 values from holding 0');
  });
});

describe('impactDelta', () => {
  it('counts increments, across the 16-bit wrap, and not a counter reset', () => {
    expect(impactDelta(5, 5)).toBe(0);
    expect(impactDelta(5, 8)).toBe(3);
    expect(impactDelta(65534, 1)).toBe(3);
    expect(impactDelta(40_000, 2)).toBe(0);
  });
});

describe('backoffDelay', () => {
  it('doubles from min up to max, with at most 20% jitter off', () => {
    expect([1, 2, 3, 4, 5, 9].map((n) => backoffDelay(n, 500, 5000, 0))).toStrictEqual([500, 1000, 2000, 4000, 5000, 5000]);
    expect(backoffDelay(2, 500, 5000, 1)).toBe(800);
    expect(backoffDelay(1000, 500, 5000, 0)).toBe(5000);
  });
});
