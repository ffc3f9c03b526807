/** Error codes of the Acme GateKeeper adapter: its section of the gateway's error catalogue. */
import { errorSection } from '../../gateway/contract/errors.js';

export const ACME_ERRORS = errorSection('AcmeGateKeeperError', {
  GW_ERR_ACME_UNREACHABLE: { status: 502, message: 'GateKeeper controller did not answer' },
  GW_ERR_ACME_REFUSED: { status: 502, message: 'GateKeeper controller refused the request' },
  GW_ERR_ACME_BAD_ANSWER: { status: 502, message: 'GateKeeper controller answered something unreadable' },
  GW_ERR_ACME_COMMAND_TIMEOUT: { status: 504, message: 'barrier did not reach the commanded position in time' },
  GW_ERR_ACME_UNKNOWN_BARRIER: { status: 404, message: 'barrier is not a GateKeeper barrier of this adapter' },
});
