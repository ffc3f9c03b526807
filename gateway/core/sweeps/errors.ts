/**
 * Error codes of health sweeps. They belong in gateway/errors.ts (one place per package);
 * until the lead moves them there, SweepError mirrors GatewayError's shape (code, message,
 * HTTP status, cause) so routes answer `{ statusCode, code, error, message }` alike.
 */
export const SWEEP_ERRORS = {
  GW_ERR_SWEEP_NOT_FOUND: { status: 404, message: 'sweep not found' },
  GW_ERR_SWEEP_SELECTION: { status: 400, message: 'sweep selection is invalid' },
  GW_ERR_SWEEP_EXTRA_UNKNOWN: { status: 400, message: 'unknown sweep extra' },
  GW_ERR_SWEEP_NOT_RUNNING: { status: 409, message: 'sweep is not running' },
  GW_ERR_SWEEP_RUNNING: { status: 409, message: 'sweep is still running' },
  GW_ERR_SWEEP_BUSY: { status: 429, message: 'too many sweeps running' },
  GW_ERR_SWEEP_STOPPED: { status: 503, message: 'sweep engine is not running' },
  GW_ERR_SWEEP_SCHEDULE_INVALID: { status: 500, message: 'sweep schedule is invalid' },
} as const;

export type SweepErrorCode = keyof typeof SWEEP_ERRORS;

export class SweepError extends Error {
  readonly code: SweepErrorCode;
  readonly statusCode: number;
  readonly details: string[];

  constructor(code: SweepErrorCode, detail?: string, opts: { cause?: unknown; details?: string[] } = {}) {
    const base = SWEEP_ERRORS[code];
    super(detail ? `${base.message}: ${detail}` : base.message, { cause: opts.cause });
    this.name = 'SweepError';
    this.code = code;
    this.statusCode = base.status;
    this.details = opts.details ?? [];
  }
}

export function isSweepError(err: unknown): err is SweepError {
  return err instanceof SweepError;
}
