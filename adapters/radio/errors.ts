/** Error codes of the radio adapter: its section of the gateway's error catalogue. */
import { errorSection } from '../../gateway/contract/errors.js';

export const RADIO_ERRORS = errorSection('RadioError', {
  GW_ERR_RADIO_NOT_STARTED: { status: 503, message: '%s' },
  GW_ERR_RADIO_UNKNOWN_GATEWAY: { status: 404, message: '%s' },
  GW_ERR_RADIO_EMPTY_TEXT: { status: 400, message: '%s' },
  GW_ERR_RADIO_NO_TALKGROUPS: { status: 400, message: '%s' },
});
