/**
 * Per-barrier state: turns poll outcomes into DeviceEvents and health conditions. Pure (no
 * I/O, no timers), so every transition is unit-tested without sockets.
 */
import type { DeviceEventInput } from '../../gateway/contract/adapter.js';
import type { Scalar } from '../../gateway/contract/types.js';
import type { DeviceEventType, HealthReasonCode } from '../../gateway/contract/vocabulary.js';
import type { BarrierModel, PositionState } from './config.js';
import { impactDelta, type BarrierReading } from './codec.js';

export interface ConditionChange {
  code: HealthReasonCode;
  active: boolean;
  detail?: string;
}

export interface TrackerOutput {
  events: DeviceEventInput[];
  conditions: ConditionChange[];
}

export type CommandTarget = 'raised' | 'lowered';

/** Event type announcing a position; the fault *state* is not the `fault` event (fault bits). */
export function positionEventType(p: PositionState): DeviceEventType {
  return p === 'fault' ? 'position-fault' : p;
}

export class BarrierTracker {
  private position: PositionState = 'unknown';
  private impactCount: number | undefined;
  private manualOverride: boolean | undefined;
  private faultKey = '';
  private analogFault: 'low' | 'high' | undefined;
  private failures = 0;
  private unreachable = false;
  private failedTarget: CommandTarget | undefined;
  private failedDetail = '';
  private lastReading: BarrierReading | undefined;

  constructor(
    private readonly deviceId: string,
    private readonly model: BarrierModel,
    private readonly failedPollsForUnreachable: number,
  ) {}

  get current(): { position: PositionState; reading: BarrierReading | undefined; unreachable: boolean; faults: string; commandFailed: string | undefined } {
    return {
      position: this.position,
      reading: this.lastReading,
      unreachable: this.unreachable,
      faults: this.faultKey,
      commandFailed: this.failedTarget === undefined ? undefined : this.failedDetail,
    };
  }

  reading(r: BarrierReading, at: number): TrackerOutput {
    const out: TrackerOutput = { events: [], conditions: [] };
    const emit = (type: DeviceEventType, data: Record<string, Scalar>) => out.events.push({ deviceId: this.deviceId, type, at, data });
    this.lastReading = r;
    this.failures = 0;
    if (this.unreachable) {
      this.unreachable = false;
      out.conditions.push({ code: 'unreachable', active: false });
    }

    if (r.position !== this.position) {
      emit(positionEventType(r.position), { position: r.position, previous: this.position, raw: r.positionRaw });
      this.position = r.position;
    }
    if (this.failedTarget !== undefined && r.position === this.failedTarget) {
      // The barrier got there after all (late, or moved by hand): the command failure is history.
      this.failedTarget = undefined;
      out.conditions.push({ code: 'barrier-command-failed', active: false });
    }

    if (this.impactCount !== undefined) {
      const delta = impactDelta(this.impactCount, r.impactCount);
      if (delta > 0) emit('impact', { count: r.impactCount, delta });
    }
    this.impactCount = r.impactCount;

    const faults = [...r.faultNames];
    const analogFault = this.analogFaultOf(r.analog);
    if (analogFault) faults.push(`${r.analogKind}-${analogFault}`);
    if (r.position === 'fault' && r.faultNames.length === 0) faults.push('position-fault');
    const key = faults.join(',');
    if (key !== this.faultKey) {
      if (key) {
        emit('fault', { code: key, faultBits: r.faultBits });
        out.conditions.push({ code: 'barrier-fault', active: true, detail: key });
      } else {
        emit('fault-cleared', { previous: this.faultKey });
        out.conditions.push({ code: 'barrier-fault', active: false });
      }
      this.faultKey = key;
    }

    if (this.manualOverride !== undefined && this.manualOverride !== r.manualOverride) {
      emit('manual-override', { active: r.manualOverride });
    }
    this.manualOverride = r.manualOverride;

    emit('telemetry', {
      position: r.position,
      [r.analogKind]: r.analog,
      impactCount: r.impactCount,
      manualOverride: r.manualOverride,
      faultBits: r.faultBits,
      faults: key,
    });
    return out;
  }

  /** A poll that got no valid answer. */
  failure(reason: string, at: number): TrackerOutput {
    const out: TrackerOutput = { events: [], conditions: [] };
    this.failures++;
    if (!this.unreachable && this.failures >= this.failedPollsForUnreachable) {
      this.unreachable = true;
      out.conditions.push({ code: 'unreachable', active: true, detail: reason });
      out.events.push({
        deviceId: this.deviceId,
        type: 'unknown',
        at,
        data: { position: 'unknown', previous: this.position, reason: 'unreachable', failedPolls: this.failures },
      });
      this.position = 'unknown';
    }
    return out;
  }

  commandFailed(target: CommandTarget, detail: string): ConditionChange[] {
    this.failedTarget = target;
    this.failedDetail = detail;
    return [{ code: 'barrier-command-failed', active: true, detail }];
  }

  commandSucceeded(): ConditionChange[] {
    if (this.failedTarget === undefined) return [];
    this.failedTarget = undefined;
    return [{ code: 'barrier-command-failed', active: false }];
  }

  /** Low/high with hysteresis, so a value hovering at the limit does not flap. */
  private analogFaultOf(v: number): 'low' | 'high' | undefined {
    const { min, max, hysteresis = 0 } = this.model.analog;
    if (this.analogFault === 'low' && min !== undefined && v < min + hysteresis) return 'low';
    if (this.analogFault === 'high' && max !== undefined && v > max - hysteresis) return 'high';
    if (min !== undefined && v < min) this.analogFault = 'low';
    else if (max !== undefined && v > max) this.analogFault = 'high';
    else this.analogFault = undefined;
    return this.analogFault;
  }
}
