/**
 * The simulator control (the gateway's SimulatorControlPort) over running simulators: lists
 * every simulated thing with its state and performs a tester's actions through the
 * simulators' own operations. Each simulator says what it plays (simulators/plugin.ts); this
 * file names none of them. Plugged into the gateway's build() by the dev entry and tests
 * (/api/simulators), and driven directly by the in-process scenario runner.
 */
import { FLOOD_MAX, isSimulatorRefusal, simulatorRefusal, type SimActionRequest, type SimDeviceList, type SimDeviceView, type SimulatorControlPort } from '../gateway/contract/simulator-port.js';
import type { Device } from '../gateway/contract/types.js';
import type { DistrictSimulator } from './district.js';
import { districtControls } from './district-control.js';
import type { ControlTarget, SimControls } from './plugin.js';

export interface SimulatorControlOptions {
  /** The gateway's devices (configuration order): what is simulated is looked up among them. */
  devices: readonly Device[];
  /** The running far-end simulators (FarEnds.simulators, or the fixed far ends of tests). */
  simulators: readonly SimControls[];
}

const invalid = (message: string) => simulatorRefusal('invalid', message);

export class SimulatorControl implements SimulatorControlPort {
  private district: SimControls | undefined;
  private index: Map<string, Device> | undefined;

  constructor(private readonly opts: SimulatorControlOptions) {}

  /** The district whose MQTT devices, radio box and DC-09 panels the control drives (set once it runs; undefined detaches). */
  attach(district: DistrictSimulator | undefined): void {
    this.district = district ? districtControls(district) : undefined;
  }

  list(): SimDeviceList {
    const farEnds = this.opts.simulators.flatMap((s) => s.farEnds?.() ?? []).map(([, t]) => t.view());
    const devices = this.opts.devices.flatMap((d) => {
      const target = this.deviceTarget(d);
      return target ? [target.view()] : [];
    });
    return { farEnds, devices };
  }

  get(id: string): SimDeviceView | undefined {
    return this.resolve(id)?.view();
  }

  async act(id: string, request: SimActionRequest): Promise<SimDeviceView> {
    const target = this.resolve(id);
    if (!target) throw simulatorRefusal('unknown', `nothing simulated has the id '${id}'`);
    const before = target.view();
    const { action } = request;
    if (!before.actions.includes(action)) {
      throw invalid(`'${action}' does not apply to ${id} (${before.kind}, ${before.simulator}); it takes: ${before.actions.join(', ')}`);
    }
    if (action === 'fault' && (request.fault === undefined || !before.faultKinds.includes(request.fault))) {
      throw invalid(`'fault' on ${id} needs a fault, one of: ${before.faultKinds.join(', ')}${request.fault !== undefined ? ` (got '${request.fault}')` : ''}`);
    }
    if (action === 'flood' && (request.count === undefined || !Number.isInteger(request.count) || request.count < 1 || request.count > FLOOD_MAX)) {
      throw invalid(`'flood' needs a count, an integer 1..${FLOOD_MAX}`);
    }
    try {
      await target.act(request);
    } catch (err) {
      if (isSimulatorRefusal(err)) throw err;
      throw simulatorRefusal('failed', `${action} on ${id} failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    return target.view();
  }

  private resolve(id: string): ControlTarget | undefined {
    for (const s of this.opts.simulators) {
      const farEnd = s.farEnds?.().find(([farEndId]) => farEndId === id);
      if (farEnd) return farEnd[1];
    }
    this.index ??= new Map(this.opts.devices.map((d) => [d.id, d]));
    const device = this.index.get(id);
    return device ? this.deviceTarget(device) : undefined;
  }

  /** The district plays a device when it runs it; else the far-end simulator that serves it, if any. */
  private deviceTarget(device: Device): ControlTarget | undefined {
    if (this.district?.device) {
      const played = this.district.device(device);
      // A device the district runs is the district's, whether or not its adapter is one it plays.
      if (played) return played;
    }
    for (const s of this.opts.simulators) {
      const target = s.device?.(device);
      if (target) return target;
    }
    return undefined;
  }
}
