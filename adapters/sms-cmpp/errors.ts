/** Error codes of the sms-cmpp adapter: its section of the gateway's error catalogue. */
import { errorSection } from '../../gateway/contract/errors.js';

export const CMPP_ERRORS = errorSection('SmsCmppError', {
  GW_ERR_CMPP_EMPTY_TEXT: { status: 400, message: '%s' },
  GW_ERR_CMPP_NO_RECIPIENTS: { status: 400, message: '%s' },
  GW_ERR_CMPP_TOO_LONG: { status: 400, message: '%s' },
  GW_ERR_CMPP_NOT_STARTED: { status: 503, message: '%s' },
  /** A PDU that does not follow its CMPP layout (the decoder's verdict, never thrown past it). */
  GW_ERR_CMPP_MALFORMED: { status: 502, message: '%s' },
  /** A field too long for its CMPP octet string (encoding what we send). */
  GW_ERR_CMPP_FIELD: { status: 500, message: '%s' },
  /** The receipt store in the adapter's data dir cannot be opened or written. */
  GW_ERR_CMPP_STORE: { status: 500, message: '%s' },
});
