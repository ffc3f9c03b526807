/**
 * Errors of broadcasts: a stable code, an HTTP status and a clear message. Kept here rather
 * than in gateway/errors.ts so the broadcast parts stay self-contained; the routes answer
 * them in the gateway's error shape `{ statusCode, code, error, message }`.
 */
export const BROADCAST_ERRORS = {
  GW_ERR_CONFIG_INVALID: 500,
  GW_ERR_BROADCAST_NOT_FOUND: 404,
  GW_ERR_BROADCAST_UNKNOWN_GROUP: 400,
  GW_ERR_BROADCAST_UNKNOWN_SITE: 400,
  GW_ERR_BROADCAST_UNKNOWN_ALARM: 400,
  GW_ERR_BROADCAST_NO_RECIPIENTS: 400,
  GW_ERR_BROADCAST_NOT_STARTED: 503,
} as const;

export type BroadcastErrorCode = keyof typeof BROADCAST_ERRORS;

export class BroadcastError extends Error {
  override readonly name = 'BroadcastError';
  readonly statusCode: number;

  constructor(
    readonly code: BroadcastErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.statusCode = BROADCAST_ERRORS[code];
  }
}

export function isBroadcastError(err: unknown): err is BroadcastError {
  return err instanceof BroadcastError;
}
