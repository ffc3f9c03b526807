/** Error codes of the camera-gb28181 adapter: its section of the gateway's error catalogue. */
import { errorSection } from '../../gateway/contract/errors.js';

// 502: a device that fails is a bad upstream to whoever asked (a sweep, the live-view route).
export const GB_ERRORS = errorSection('Gb28181Error', {
  GW_ERR_GB_SIP_MALFORMED: { status: 400, message: 'SIP message is malformed' },
  GW_ERR_GB_XML_MALFORMED: { status: 400, message: 'MANSCDP XML body is malformed' },
  GW_ERR_GB_ID_INVALID: { status: 400, message: 'GB/T 28181 id is invalid' },
  GW_ERR_GB_NOT_REGISTERED: { status: 502, message: 'GB/T 28181 device is not registered' },
  GW_ERR_GB_TIMEOUT: { status: 502, message: 'GB/T 28181 device did not answer in time' },
  GW_ERR_GB_REFUSED: { status: 502, message: 'GB/T 28181 device refused the request' },
  GW_ERR_GB_MEDIA: { status: 502, message: 'GB/T 28181 media stream failed' },
  GW_ERR_GB_STOPPED: { status: 502, message: 'camera-gb28181 adapter is stopped' },
  GW_ERR_GB_TRANSPORT: { status: 502, message: 'GB/T 28181 transport failed' },
});

export type GbErrorCode = keyof typeof GB_ERRORS.codes;
