/**
 * What every barrier adapter does with its polls, whatever the protocol: turns what a poll read
 * (an observation, in the vocabulary's terms) into DeviceEvents and health conditions. Only
 * changes are events (a position, an impact, a fault appearing or clearing, manual control
 * switched), plus a telemetry reading every time; a barrier that stops answering for N polls
 * is `unreachable` with position `unknown`; a command that did not reach its position is
 * `barrier-command-failed` until the barrier gets there. Pure (no I/O, no timers).
 */
import type { DeviceEventInput } from '../../gateway/contract/adapter.js';
import type { Scalar } from '../../gateway/contract/types.js';
import type { BarrierPosition, DeviceEventType, HealthReasonCode } from '../../gateway/contract/vocabulary.js';

/** What one poll read, decoded by the adapter from its protocol's words. */
export interface BarrierObservation {
  position: BarrierPosition;
  /** Faults the controller names now, in its order (empty when none). */
  faults: readonly string[];
  /** Faults the adapter derived from what it read (an analog value out of range), after the named ones. */
  derivedFaults?: readonly string[];
  /** The controller's impact counter, when it keeps one: 16 bits, wrapping (impactDelta). */
  impactCount?: number;
  /** Local manual control switched on, when the controller says. */
  manualOverride?: boolean;
  /** Protocol detail added to the position event (a raw register), the fault event (fault bits) and every telemetry reading (an analog value). */
  positionData?: Record<string, Scalar>;
  faultData?: Record<string, Scalar>;
  telemetry?: Record<string, Scalar>;
}

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

/** Event type announcing a position; the fault *position* is not the `fault` event (a named fault). */
export function positionEventType(p: BarrierPosition): DeviceEventType {
  return p === 'fault' ? 'position-fault' : p;
}

/** More impacts than this between two polls is not a wrap but a counter reset. */
const MAX_IMPACTS_ACROSS_WRAP = 256;

/**
 * Impacts since the previous count. The counter is 16 bits and wraps: going backwards from
 * near the top is a wrap; any other step backwards is the controller resetting its counter
 * (replaced, or cleared by a technician), which is no impact.
 */
export function impactDelta(previous: number, current: number): number {
  if (current >= previous) return current - previous;
  const wrapped = current + 0x10000 - previous;
  return wrapped <= MAX_IMPACTS_ACROSS_WRAP ? wrapped : 0;
}

export class BarrierStateTracker {
  private position: BarrierPosition = 'unknown';
  private impactCount: number | undefined;
  private manualOverride: boolean | undefined;
  private faultKey = '';
  private failures = 0;
  private unreachable = false;
  private failedTarget: CommandTarget | undefined;
  private failedDetail = '';

  constructor(
    private readonly deviceId: string,
    /** Polls without a valid answer before the barrier is `unreachable`. */
    private readonly failedPollsForUnreachable: number,
  ) {}

  get current(): { position: BarrierPosition; unreachable: boolean; faults: string; commandFailed: string | undefined } {
    return {
      position: this.position,
      unreachable: this.unreachable,
      faults: this.faultKey,
      commandFailed: this.failedTarget === undefined ? undefined : this.failedDetail,
    };
  }

  reading(o: BarrierObservation, at: number): TrackerOutput {
    const out: TrackerOutput = { events: [], conditions: [] };
    const emit = (type: DeviceEventType, data: Record<string, Scalar>) => out.events.push({ deviceId: this.deviceId, type, at, data });
    this.failures = 0;
    if (this.unreachable) {
      this.unreachable = false;
      out.conditions.push({ code: 'unreachable', active: false });
    }

    if (o.position !== this.position) {
      emit(positionEventType(o.position), { position: o.position, previous: this.position, ...o.positionData });
      this.position = o.position;
    }
    if (this.failedTarget !== undefined && o.position === this.failedTarget) {
      // The barrier got there after all (late, or moved by hand): the command failure is history.
      this.failedTarget = undefined;
      out.conditions.push({ code: 'barrier-command-failed', active: false });
    }

    if (o.impactCount !== undefined) {
      if (this.impactCount !== undefined) {
        const delta = impactDelta(this.impactCount, o.impactCount);
        if (delta > 0) emit('impact', { count: o.impactCount, delta });
      }
      this.impactCount = o.impactCount;
    }

    const faults = [...o.faults, ...(o.derivedFaults ?? [])];
    // A fault position the controller names no fault for is a fault of its own.
    if (o.position === 'fault' && o.faults.length === 0) faults.push('position-fault');
    const key = faults.join(',');
    if (key !== this.faultKey) {
      if (key) {
        emit('fault', { code: key, ...o.faultData });
        out.conditions.push({ code: 'barrier-fault', active: true, detail: key });
      } else {
        emit('fault-cleared', { previous: this.faultKey });
        out.conditions.push({ code: 'barrier-fault', active: false });
      }
      this.faultKey = key;
    }

    if (o.manualOverride !== undefined) {
      if (this.manualOverride !== undefined && this.manualOverride !== o.manualOverride) emit('manual-override', { active: o.manualOverride });
      this.manualOverride = o.manualOverride;
    }

    emit('telemetry', {
      position: o.position,
      ...o.telemetry,
      ...(o.impactCount !== undefined ? { impactCount: o.impactCount } : {}),
      ...(o.manualOverride !== undefined ? { manualOverride: o.manualOverride } : {}),
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
}
