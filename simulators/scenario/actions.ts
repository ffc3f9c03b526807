/**
 * A scenario step's action as a simulator-control request: the same request goes to the
 * in-process SimulatorControl or, with `--url`, to a running gateway's
 * POST /api/simulators/:id/actions, so both modes do exactly the same thing to the simulators.
 */
import { FAR_END_IDS, type SimActionRequest } from '../../gateway/contract/simulator-port.js';
import type { Action } from './schema.js';

export interface ControlCall {
  /** The simulated device, or a far end (110-primary, 110-secondary, sms-centre). */
  id: string;
  request: SimActionRequest;
}

/** The control call for an action; undefined for `wait` and `influx` (the in-process runner's own InfluxDB). */
export function controlCall(action: Action): ControlCall | undefined {
  switch (action.kind) {
    case 'wait':
    case 'influx':
      return undefined;
    case 'centre':
      if (action.blackhole) return { id: FAR_END_IDS[action.receiver], request: { action: 'fault', fault: 'blackhole', on: true } };
      return { id: FAR_END_IDS[action.receiver], request: { action: action.up ? 'up' : 'down' } };
    case 'sms':
      if (action.refuse) return { id: FAR_END_IDS.sms, request: { action: 'fault', fault: 'refuse-submits', on: true } };
      return { id: FAR_END_IDS.sms, request: { action: action.up ? 'up' : 'down' } };
    case 'fault':
      return { id: action.device, request: { action: 'fault', fault: action.fault, on: action.on } };
    case 'flood':
      return { id: action.device, request: { action: 'flood', count: action.count } };
    default:
      return { id: action.device, request: { action: action.kind } };
  }
}
