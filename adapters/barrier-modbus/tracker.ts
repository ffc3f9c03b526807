/**
 * Per-barrier state of a Modbus barrier: the register reading becomes an observation for the
 * shared barrier tracker (adapters/shared/barrier-tracker.ts), with what is Modbus's own: the
 * model's analog limits with hysteresis, the raw position word, the fault bits. Pure.
 */
import type { BarrierModel } from './config.js';
import type { BarrierReading } from './codec.js';
import { BarrierStateTracker, type CommandTarget, type ConditionChange, type TrackerOutput } from '../shared/barrier-tracker.js';


export class BarrierTracker {
  private readonly state: BarrierStateTracker;
  private analogFault: 'low' | 'high' | undefined;
  private lastReading: BarrierReading | undefined;

  constructor(
    deviceId: string,
    private readonly model: BarrierModel,
    failedPollsForUnreachable: number,
  ) {
    this.state = new BarrierStateTracker(deviceId, failedPollsForUnreachable);
  }

  get current(): BarrierStateTracker['current'] & { reading: BarrierReading | undefined } {
    return { ...this.state.current, reading: this.lastReading };
  }

  reading(r: BarrierReading, at: number): TrackerOutput {
    this.lastReading = r;
    const analogFault = this.analogFaultOf(r.analog);
    return this.state.reading(
      {
        position: r.position,
        faults: r.faultNames,
        derivedFaults: analogFault ? [`${r.analogKind}-${analogFault}`] : [],
        impactCount: r.impactCount,
        manualOverride: r.manualOverride,
        positionData: { raw: r.positionRaw },
        faultData: { faultBits: r.faultBits },
        telemetry: { [r.analogKind]: r.analog, faultBits: r.faultBits },
      },
      at,
    );
  }

  /** A poll that got no valid answer. */
  failure(reason: string, at: number): TrackerOutput {
    return this.state.failure(reason, at);
  }

  commandFailed(target: CommandTarget, detail: string): ConditionChange[] {
    return this.state.commandFailed(target, detail);
  }

  commandSucceeded(): ConditionChange[] {
    return this.state.commandSucceeded();
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
