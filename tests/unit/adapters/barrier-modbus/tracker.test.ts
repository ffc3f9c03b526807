import { describe, expect, it } from 'vitest';
import type { BarrierReading } from '../../../../adapters/barrier-modbus/codec.js';
import { SIM_RB1_MODEL } from '../../../../adapters/barrier-modbus/config.js';
import { BarrierTracker } from '../../../../adapters/barrier-modbus/tracker.js';

const base: BarrierReading = {
  position: 'raised',
  positionRaw: 1,
  faultBits: 0,
  faultNames: [],
  analogKind: 'pressure',
  analog: 120,
  impactCount: 10,
  manualOverride: false,
};
const reading = (patch: Partial<BarrierReading> = {}): BarrierReading => ({ ...base, ...patch });
const telemetry = (at: number, patch: Record<string, unknown> = {}) => ({
  deviceId: 'b1',
  type: 'telemetry',
  at,
  data: { position: 'raised', pressure: 120, impactCount: 10, manualOverride: false, faultBits: 0, faults: '', ...patch },
});

describe('BarrierTracker', () => {
  it('announces the first position, then only changes; telemetry every time', () => {
    const t = new BarrierTracker('b1', SIM_RB1_MODEL, 3);
    expect(t.reading(reading(), 1)).toStrictEqual({
      events: [{ deviceId: 'b1', type: 'raised', at: 1, data: { position: 'raised', previous: 'unknown', raw: 1 } }, telemetry(1)],
      conditions: [],
    });
    expect(t.reading(reading(), 2)).toStrictEqual({ events: [telemetry(2)], conditions: [] });
    expect(t.reading(reading({ position: 'moving', positionRaw: 4 }), 3).events[0]).toStrictEqual({
      deviceId: 'b1',
      type: 'moving',
      at: 3,
      data: { position: 'moving', previous: 'raised', raw: 4 },
    });
    expect(t.reading(reading({ position: 'fault', positionRaw: 5 }), 4)).toStrictEqual({
      events: [
        { deviceId: 'b1', type: 'position-fault', at: 4, data: { position: 'fault', previous: 'moving', raw: 5 } },
        { deviceId: 'b1', type: 'fault', at: 4, data: { code: 'position-fault', faultBits: 0 } },
        telemetry(4, { position: 'fault', faults: 'position-fault' }),
      ],
      conditions: [{ code: 'barrier-fault', active: true, detail: 'position-fault' }],
    });
  });

  it('reports impacts as counter deltas, not the first count', () => {
    const t = new BarrierTracker('b1', SIM_RB1_MODEL, 3);
    t.reading(reading(), 1);
    const out = t.reading(reading({ impactCount: 12 }), 2);
    expect(out.events[0]).toStrictEqual({ deviceId: 'b1', type: 'impact', at: 2, data: { count: 12, delta: 2 } });
  });

  it('raises and clears barrier-fault with fault names, pressure low with hysteresis', () => {
    const t = new BarrierTracker('b1', SIM_RB1_MODEL, 3);
    t.reading(reading(), 1);
    const fault = t.reading(reading({ faultBits: 1, faultNames: ['hydraulic-pressure-low'], analog: 35 }), 2);
    expect(fault.conditions).toStrictEqual([{ code: 'barrier-fault', active: true, detail: 'hydraulic-pressure-low,pressure-low' }]);
    expect(fault.events[0]).toStrictEqual({ deviceId: 'b1', type: 'fault', at: 2, data: { code: 'hydraulic-pressure-low,pressure-low', faultBits: 1 } });
    // Bits cleared, pressure 82 bar: above min (80) but inside the 5 bar hysteresis band.
    const partly = t.reading(reading({ analog: 82 }), 3);
    expect(partly.conditions).toStrictEqual([{ code: 'barrier-fault', active: true, detail: 'pressure-low' }]);
    const cleared = t.reading(reading({ analog: 90 }), 4);
    expect(cleared).toStrictEqual({
      events: [{ deviceId: 'b1', type: 'fault-cleared', at: 4, data: { previous: 'pressure-low' } }, telemetry(4, { pressure: 90 })],
      conditions: [{ code: 'barrier-fault', active: false }],
    });
  });

  it('becomes unreachable after N failures with an unknown position, and recovers', () => {
    const t = new BarrierTracker('b1', SIM_RB1_MODEL, 3);
    t.reading(reading(), 1);
    expect(t.failure('timeout', 2)).toStrictEqual({ events: [], conditions: [] });
    expect(t.failure('timeout', 3)).toStrictEqual({ events: [], conditions: [] });
    expect(t.failure('refused', 4)).toStrictEqual({
      events: [{ deviceId: 'b1', type: 'unknown', at: 4, data: { position: 'unknown', previous: 'raised', reason: 'unreachable', failedPolls: 3 } }],
      conditions: [{ code: 'unreachable', active: true, detail: 'refused' }],
    });
    expect(t.failure('refused', 5)).toStrictEqual({ events: [], conditions: [] });
    expect(t.reading(reading(), 6)).toStrictEqual({
      events: [{ deviceId: 'b1', type: 'raised', at: 6, data: { position: 'raised', previous: 'unknown', raw: 1 } }, telemetry(6)],
      conditions: [{ code: 'unreachable', active: false }],
    });
  });

  it('a failed command stays failed until the barrier reaches that position', () => {
    const t = new BarrierTracker('b1', SIM_RB1_MODEL, 3);
    t.reading(reading(), 1);
    expect(t.commandFailed('lowered', 'lower not confirmed')).toStrictEqual([{ code: 'barrier-command-failed', active: true, detail: 'lower not confirmed' }]);
    expect(t.reading(reading(), 2).conditions).toStrictEqual([]);
    expect(t.reading(reading({ position: 'lowered', positionRaw: 2 }), 3).conditions).toStrictEqual([{ code: 'barrier-command-failed', active: false }]);
    expect(t.commandSucceeded()).toStrictEqual([]);
  });

  it('reports manual override switching', () => {
    const t = new BarrierTracker('b1', SIM_RB1_MODEL, 3);
    t.reading(reading(), 1);
    expect(t.reading(reading({ manualOverride: true }), 2).events[0]).toStrictEqual({ deviceId: 'b1', type: 'manual-override', at: 2, data: { active: true } });
  });
});
