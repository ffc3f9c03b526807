/** Error codes of the DC-09 layer (frames, crypto, transports): its section of the gateway's error catalogue. */
import { errorSection } from '../../../gateway/contract/errors.js';

export const DC09_ERRORS = errorSection('Dc09Error', {
  GW_ERR_DC09_KEY_INVALID: { status: 500, message: 'encryption key must be 16, 24 or 32 bytes (AES-128/192/256)' },
  GW_ERR_DC09_FIELD_INVALID: { status: 500, message: 'DC-09 field is out of range' },
  GW_ERR_DC09_NOT_STARTED: { status: 500, message: 'DC-09 transport is not started' },
  GW_ERR_DC09_ALREADY_STARTED: { status: 500, message: 'DC-09 transport is already started' },
  GW_ERR_DC09_NO_MESSAGE: { status: 500, message: 'no DC-09 message has been sent yet' },
});
