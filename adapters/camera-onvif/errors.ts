/** Errors of the camera-onvif adapter: a stable code, a message, and the cause. */

export const CAMERA_ERRORS = {
  GW_ERR_CAMERA_OPTIONS: 'camera device options are invalid',
  GW_ERR_CAMERA_UNREACHABLE: 'camera did not answer',
  GW_ERR_CAMERA_AUTH: 'camera refused the credentials',
  GW_ERR_CAMERA_PROTOCOL: 'camera answered with an ONVIF fault or an unreadable response',
  GW_ERR_CAMERA_TIMEOUT: 'camera did not answer in time',
  GW_ERR_CAMERA_ABORTED: 'camera operation aborted',
  GW_ERR_CAMERA_FFMPEG: 'ffmpeg could not be run',
  GW_ERR_CAMERA_STOPPED: 'camera-onvif adapter is stopped',
  GW_ERR_LIVE_VIEW_LIMIT: 'too many live views are open',
  GW_ERR_LIVE_VIEW_UNKNOWN: 'no such live view',
} as const;

export type CameraErrorCode = keyof typeof CAMERA_ERRORS;

export class CameraError extends Error {
  readonly code: CameraErrorCode;

  constructor(code: CameraErrorCode, detail?: string, opts: { cause?: unknown } = {}) {
    const base = CAMERA_ERRORS[code];
    super(detail ? `${base}: ${detail}` : base, { cause: opts.cause });
    this.name = 'CameraError';
    this.code = code;
  }
}

export function isCameraError(err: unknown, code?: CameraErrorCode): err is CameraError {
  return err instanceof CameraError && (code === undefined || err.code === code);
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'ECONNABORTED']);

/**
 * Sorts an error of the `onvif` client into what a technician should do about it.
 * ONVIF Core 5.9.1: a rejected WS-Security token is a `ter:NotAuthorized` fault (HTTP 400);
 * HTTP digest refusals are 401. Everything on the socket level means the camera is unreachable.
 */
export function classifyOnvifError(err: unknown): CameraErrorCode {
  if (isCameraError(err)) return err.code;
  const message = errorMessage(err);
  const code = typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : '';
  if (/not ?authori[sz]ed|unauthori[sz]ed|authentication failed|\b401\b/i.test(message)) return 'GW_ERR_CAMERA_AUTH';
  if (NETWORK_CODES.has(code) || /network timeout|socket hang up|ECONNREFUSED|ECONNRESET/i.test(message)) return 'GW_ERR_CAMERA_UNREACHABLE';
  return 'GW_ERR_CAMERA_PROTOCOL';
}
