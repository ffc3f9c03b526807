/** Error codes of the sms-smpp adapter: its section of the gateway's error catalogue. */
import { errorSection } from '../../gateway/contract/errors.js';

export const SMS_ERRORS = errorSection('SmsSmppError', {
  GW_ERR_SMS_EMPTY_TEXT: { status: 400, message: '%s' },
  GW_ERR_SMS_NO_RECIPIENTS: { status: 400, message: '%s' },
  GW_ERR_SMS_TOO_LONG: { status: 400, message: '%s' },
  GW_ERR_SMS_UNENCODABLE: { status: 400, message: '%s' },
  GW_ERR_SMS_NOT_STARTED: { status: 503, message: '%s' },
  GW_ERR_SMS_NOT_BOUND: { status: 503, message: '%s' },
  GW_ERR_SMS_TIMEOUT: { status: 504, message: '%s' },
  GW_ERR_SMS_STORE: { status: 500, message: '%s' },
});
