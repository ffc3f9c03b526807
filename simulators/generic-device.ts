/**
 * A device of a kind without its own simulator yet: heartbeats with kind-typical telemetry. A
 * barrier keeps the position it was last moved to, so its heartbeats do not contradict the
 * `lowered` event it sent (the gateway reads `position` from telemetry too).
 */
import { SimulatedMqttDevice } from './mqtt-device.js';

export type BarrierMove = 'lowered' | 'raised' | 'impact';

export class SimulatedGenericDevice extends SimulatedMqttDevice {
  private position: 'raised' | 'lowered' = 'raised';
  private impacts = 0;

  protected override telemetry(): Record<string, unknown> {
    switch (this.opts.device.kind) {
      case 'barrier':
        return { position: this.position, pressure: 11.8, impactCount: this.impacts, manualOverride: false };
      case 'camera':
        return { fps: 15, bitrate: 2048 };
      default:
        return {};
    }
  }

  /** Where a barrier stands and how often it was hit. */
  barrierState(): { position: 'raised' | 'lowered'; impactCount: number } {
    return { position: this.position, impactCount: this.impacts };
  }

  /** A barrier moved (or hit) by hand at the gate: the event, then the position in later heartbeats. */
  async barrier(move: BarrierMove): Promise<void> {
    if (move === 'impact') this.impacts++;
    else this.position = move;
    await this.event(move, move === 'impact' ? { impactCount: this.impacts } : { position: move });
  }
}
