/**
 * The simulator control port: what a tester (the HTTP API under /api/simulators, the scenario
 * runner, the dashboard's control panel) may see of a simulated district and its far ends, and
 * what it may do to them. The gateway declares the port; a simulator control plugs into it at
 * build time (BuildOptions.simulators: simulators/control.ts), so the gateway never imports a
 * simulator. Types, constants and the port's refusals only.
 */
import { GatewayError } from './errors.js';

/** Every action a simulated thing can accept; SimDeviceView.actions says which apply to one. */
export const SIM_ACTIONS = [
  'press',
  'test-press',
  'fault',
  'drop',
  'restore',
  'freeze',
  'unfreeze',
  'malformed',
  'flood',
  'lower',
  'raise',
  'impact',
  'cover',
  'uncover',
  'down',
  'up',
] as const;
export type SimActionName = (typeof SIM_ACTIONS)[number];

export interface SimActionRequest {
  action: SimActionName;
  /** `fault`: which fault (one of the thing's `faultKinds`). */
  fault?: string;
  /** `fault`: switch it on (default) or off. */
  on?: boolean;
  /** `flood`: how many QoS 1 telemetry messages (1..100000). */
  count?: number;
}

export const FLOOD_MAX = 100_000;

/**
 * online: connected and reporting; connecting; dropped: connection cut (power loss); dead: never
 * comes back by itself; frozen: connected but silent (hung); stopped; offline: a camera that
 * stopped answering; unreachable: a Modbus unit that stopped answering; up / down: a far end.
 */
export type SimState = 'online' | 'connecting' | 'dropped' | 'dead' | 'frozen' | 'stopped' | 'offline' | 'unreachable' | 'up' | 'down';

/** Which simulator plays it: the district's own, or the name a vendor's simulator gives itself. */
export type SimKind = 'mqtt-device' | 'dc09-panel' | 'radio-box' | 'modbus-barrier' | 'onvif-camera' | 'gb-nvr' | '110-receiver' | 'sms-centre' | (string & Record<never, never>);

export interface SimDeviceView {
  id: string;
  name: string;
  /** The school or station it belongs to; absent for the far ends. */
  siteId?: string;
  /** The gateway's device kind (alarm-button, barrier, camera, radio, alarm-centre, sms). */
  kind: string;
  simulator: SimKind;
  state: SimState;
  /** Faults switched on now (a button's sim-suspended, a camera's black, a barrier's motor-overload…). */
  faults: string[];
  /** Actions it accepts. */
  actions: SimActionName[];
  /** Faults `fault` accepts for it (empty when it takes none). */
  faultKinds: string[];
  barrier?: { position: string; impactCount: number };
  /** A button: the stages of its last press it was told (gateway `ack` commands), oldest first. */
  button?: { acks: { stage: string; at: number; by?: string }[] };
  camera?: { covered: boolean; frozen: boolean; offline: boolean; streamDown: boolean; picture: string };
  receiver?: { mode: string; listening: boolean; accepted: number };
  sms?: { listening: boolean; bound: number; messages: number };
}

export interface SimDeviceList {
  /** The 110 receivers and the SMS centre. */
  farEnds: SimDeviceView[];
  /** Every simulated device, in the configuration's order (grouped by site). */
  devices: SimDeviceView[];
}

/** Ids of the far ends in the control's namespace (device ids never take these forms). */
export const FAR_END_IDS = { primary: '110-primary', secondary: '110-secondary', sms: 'sms-centre' } as const;

/**
 * Why the port refuses an action, and the code it refuses with: unknown, nothing simulated by
 * that id (404); invalid, the action (or its fault/count) does not apply (400); state, not now,
 * e.g. a dropped button (409); failed, the simulator itself failed (502).
 */
export const SIM_REFUSALS = {
  unknown: 'GW_ERR_UNKNOWN_DEVICE',
  invalid: 'GW_ERR_BAD_REQUEST',
  state: 'GW_ERR_NOT_SUPPORTED',
  failed: 'GW_ERR_COMMAND_FAILED',
} as const;
export type SimRefusal = keyof typeof SIM_REFUSALS;

/** The coded error a simulator control rejects an action with. */
export function simulatorRefusal(kind: SimRefusal, message: string, opts: { cause?: unknown } = {}): GatewayError {
  return new GatewayError(SIM_REFUSALS[kind], message, opts);
}

/** Whether `err` is one of the port's refusals (and not some other failure to report as `failed`). */
export function isSimulatorRefusal(err: unknown): err is GatewayError {
  return err instanceof GatewayError && (Object.values(SIM_REFUSALS) as string[]).includes(err.code);
}

/** What the gateway's HTTP API (and the in-process scenario runner) drive. */
export interface SimulatorControlPort {
  list(): SimDeviceList;
  /** One simulated thing, or undefined when nothing by that id is simulated. */
  get(id: string): SimDeviceView | undefined;
  /** Performs an action; resolves with the thing's new state; rejects with simulatorRefusal(). */
  act(id: string, request: SimActionRequest): Promise<SimDeviceView>;
}
