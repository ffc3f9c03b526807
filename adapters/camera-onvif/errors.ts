/** Error codes of the camera-onvif adapter: its section of the gateway's error catalogue. */
import { errorMessage, errorSection, isGatewayError, type GatewayError } from '../../gateway/contract/errors.js';

// 502: a camera that fails is a bad upstream to whoever asked (the live-view route passes these on).
export const CAMERA_ERRORS = errorSection('CameraError', {
  GW_ERR_CAMERA_OPTIONS: { status: 502, message: 'camera device options are invalid' },
  GW_ERR_CAMERA_UNREACHABLE: { status: 502, message: 'camera did not answer' },
  GW_ERR_CAMERA_AUTH: { status: 502, message: 'camera refused the credentials' },
  GW_ERR_CAMERA_PROTOCOL: { status: 502, message: 'camera answered with an ONVIF fault or an unreadable response' },
  GW_ERR_CAMERA_TIMEOUT: { status: 502, message: 'camera did not answer in time' },
  GW_ERR_CAMERA_ABORTED: { status: 502, message: 'camera operation aborted' },
  GW_ERR_CAMERA_FFMPEG: { status: 502, message: 'ffmpeg could not be run' },
  GW_ERR_CAMERA_STOPPED: { status: 502, message: 'camera-onvif adapter is stopped' },
});

export type CameraErrorCode = keyof typeof CAMERA_ERRORS.codes;

/** A coded error of this adapter (optionally of one code). */
export function isCameraError(err: unknown, code?: CameraErrorCode): err is GatewayError {
  return isGatewayError(err, code) && err.code in CAMERA_ERRORS.codes;
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'ECONNABORTED']);

/**
 * Sorts an error of the `onvif` client into what a technician should do about it.
 * ONVIF Core 5.9.1: a rejected WS-Security token is a `ter:NotAuthorized` fault (HTTP 400);
 * HTTP digest refusals are 401. Everything on the socket level means the camera is unreachable.
 */
export function classifyOnvifError(err: unknown): CameraErrorCode {
  if (isCameraError(err)) return err.code as CameraErrorCode;
  const message = errorMessage(err);
  const code = typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : '';
  if (/not ?authori[sz]ed|unauthori[sz]ed|authentication failed|\b401\b/i.test(message)) return 'GW_ERR_CAMERA_AUTH';
  if (NETWORK_CODES.has(code) || /network timeout|socket hang up|ECONNREFUSED|ECONNRESET/i.test(message)) return 'GW_ERR_CAMERA_UNREACHABLE';
  return 'GW_ERR_CAMERA_PROTOCOL';
}
