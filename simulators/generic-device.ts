/** A device of a kind without its own simulator yet: heartbeats with kind-typical telemetry. */
import { SimulatedMqttDevice } from './mqtt-device.js';

export class SimulatedGenericDevice extends SimulatedMqttDevice {
  protected override telemetry(): Record<string, unknown> {
    switch (this.opts.device.kind) {
      case 'barrier':
        return { position: 'raised', pressure: 11.8, impactCount: 0, manualOverride: false };
      case 'camera':
        return { fps: 15, bitrate: 2048 };
      default:
        return {};
    }
  }
}
