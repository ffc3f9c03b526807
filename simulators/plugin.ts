/**
 * What a simulator offers the dev entry, the district CLI and the simulator control: it starts
 * the far end the configuration points one adapter at (a 110 receiver, an SMS centre, a Modbus
 * controller, a camera fleet, a vendor's HTTP controller…) and shows the control the things it
 * plays, each with its state and the actions it takes. A simulator registers from its own
 * folder (its plugin.ts) with one line in simulators/registry.ts; far-ends.ts and control.ts
 * name none of them.
 */
import type { Logger } from 'pino';
import type { GatewayConfig } from '../gateway/config/schema.js';
import type { SimActionName, SimActionRequest, SimDeviceView, SimKind, SimState } from '../gateway/contract/simulator-port.js';
import type { Device } from '../gateway/contract/types.js';

/** One simulated thing as the control sees it: its view now, and what an action does to it. */
export interface ControlTarget {
  view(): SimDeviceView;
  /** Performs an action the view lists (the control checked it does); rejects when the simulator fails. */
  act(request: SimActionRequest): Promise<void>;
}

/** What a running simulator shows the control. */
export interface SimControls {
  /** Far ends it plays, by their ids in the control's namespace (110-primary, sms-centre…), in display order. */
  farEnds?(): [string, ControlTarget][];
  /** The configured device it plays, if it plays this one (and it is running). */
  device?(device: Device): ControlTarget | undefined;
}

export interface RunningSimulator extends SimControls {
  /** The adapter whose far end it plays. */
  readonly adapter: string;
  stop(): Promise<void>;
}

export interface FarEndContext {
  log: Logger;
  /** A separate simulators container: start whatever host is configured and bind here. */
  bindHost?: string;
  /** Whether a far end configured on this host is one to start (loopback, or anything with bindHost). */
  wanted(host: string): boolean;
  /** Records where an endpoint was bound, for adapters configured on port 0 (`adapters.<adapter>.<path…>`). */
  bound(adapter: string, path: string[], host: string, configured: number, port: number): void;
}

/** A simulator, listed in simulators/registry.ts. */
export interface SimulatorPlugin {
  /** The adapter whose far end it plays. */
  readonly adapter: string;
  /** Starts what the configuration points its adapter at; undefined when there is nothing to start. */
  start(config: GatewayConfig, ctx: FarEndContext): Promise<RunningSimulator | undefined>;
}

/** A configured device's view (for a simulator's ControlTarget). */
export function deviceView(device: Device, simulator: SimKind, state: SimState, faults: readonly string[], actions: readonly SimActionName[], faultKinds: readonly string[]): SimDeviceView {
  return { id: device.id, name: device.name, siteId: device.siteId, kind: device.kind, simulator, state, faults: [...faults], actions: [...actions], faultKinds: [...faultKinds] };
}

/** Far ends go down and come up. */
export const FAR_END_ACTIONS: readonly SimActionName[] = ['down', 'up'];

/** A far end's view: it has no site, and is up or down. */
export function farEndView(id: string, name: string, kind: string, simulator: SimKind, down: boolean, extra: Partial<SimDeviceView>): SimDeviceView {
  return { id, name, kind, simulator, state: down ? 'down' : 'up', faults: [], actions: [...FAR_END_ACTIONS], faultKinds: [], ...extra };
}

/** The devices of one adapter in a configuration, with their site. */
export function configuredDevices(config: GatewayConfig, adapter: string): GatewayConfig['sites'][number]['devices'] {
  return config.sites.flatMap((s) => s.devices).filter((d) => d.adapter === adapter);
}
