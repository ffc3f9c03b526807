/**
 * Coded errors of the DC-09 layer. The gateway's central table (gateway/errors.ts) is owned by
 * the lead; these codes follow its `GW_ERR_` convention so they can be folded in unchanged.
 */
export const DC09_ERRORS = {
  GW_ERR_DC09_KEY_INVALID: 'encryption key must be 16, 24 or 32 bytes (AES-128/192/256)',
  GW_ERR_DC09_FIELD_INVALID: 'DC-09 field is out of range',
  GW_ERR_DC09_NOT_STARTED: 'DC-09 transport is not started',
  GW_ERR_DC09_ALREADY_STARTED: 'DC-09 transport is already started',
  GW_ERR_DC09_NO_MESSAGE: 'no DC-09 message has been sent yet',
} as const;

export type Dc09ErrorCode = keyof typeof DC09_ERRORS;

export class Dc09Error extends Error {
  readonly code: Dc09ErrorCode;

  constructor(code: Dc09ErrorCode, detail?: string, opts: { cause?: unknown } = {}) {
    const base = DC09_ERRORS[code];
    super(detail ? `${base}: ${detail}` : base, { cause: opts.cause });
    this.name = 'Dc09Error';
    this.code = code;
  }
}
