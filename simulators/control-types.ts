/**
 * The simulator control contract: what a tester (the HTTP API under /api/simulators, the
 * scenario runner, the dashboard's control panel) may see of the simulated district and its
 * far ends, and what it may do to them. Pure types and constants: the implementation is
 * simulators/control.ts; the gateway's HTTP layer depends on these types only.
 */

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

/** Which simulator plays it. */
export type SimKind = 'mqtt-device' | 'dc09-panel' | 'radio-box' | 'modbus-barrier' | 'onvif-camera' | '110-receiver' | 'sms-centre';

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

/** unknown: no such simulated thing; invalid: the action (or its fault/count) does not apply; state: not now (e.g. dropped); failed: the simulator failed. */
export type SimErrorKind = 'unknown' | 'invalid' | 'state' | 'failed';

export const SIM_ERROR_CODES: Readonly<Record<SimErrorKind, string>> = {
  unknown: 'GW_ERR_SIM_UNKNOWN_DEVICE',
  invalid: 'GW_ERR_SIM_INVALID_ACTION',
  state: 'GW_ERR_SIM_STATE',
  failed: 'GW_ERR_SIM_ACTION_FAILED',
};

export class SimControlError extends Error {
  readonly code: string;
  constructor(
    readonly kind: SimErrorKind,
    message: string,
    opts: { cause?: unknown } = {},
  ) {
    super(message, opts);
    this.name = 'SimControlError';
    this.code = SIM_ERROR_CODES[kind];
  }
}

/** What the gateway's HTTP API (and the in-process scenario runner) drive. */
export interface SimulatorControlApi {
  list(): SimDeviceList;
  /** One simulated thing, or undefined when nothing by that id is simulated. */
  get(id: string): SimDeviceView | undefined;
  /** Performs an action; resolves with the thing's new state; rejects with SimControlError. */
  act(id: string, request: SimActionRequest): Promise<SimDeviceView>;
}
