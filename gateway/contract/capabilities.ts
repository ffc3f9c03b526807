/**
 * Capabilities an adapter may offer beyond start/stop (gateway/contract/adapter.ts): the core
 * and the HTTP layer use them through these interfaces only, never through a concrete adapter.
 *
 * - command target: `command()` (barriers: raise, lower), verified by the adapter;
 */
import { errorMessage, GatewayError } from './errors.js';

/**
 * What a failed device command becomes for its caller: GW_ERR_COMMAND_TIMEOUT (504) when the
 * device did not confirm in time, else GW_ERR_COMMAND_FAILED (502); the adapter's own coded
 * error is the cause (and gives the message).
 */
export function commandFailure(err: unknown, opts: { timedOut: boolean; deviceId?: string }): GatewayError {
  return new GatewayError(opts.timedOut ? 'GW_ERR_COMMAND_TIMEOUT' : 'GW_ERR_COMMAND_FAILED', errorMessage(err), {
    cause: err,
    ...(opts.deviceId ? { deviceId: opts.deviceId } : {}),
  });
}
