/**
 * Every error the gateway reports has a stable code, a message and an HTTP status,
 * declared here in one place (after fastify's lib/errors.js).
 */
export const ERRORS = {
  GW_ERR_CONFIG_INVALID: { status: 500, message: 'configuration is invalid' },
  GW_ERR_CONFIG_READ: { status: 500, message: 'configuration file could not be read' },
  GW_ERR_UNKNOWN_ADAPTER: { status: 500, message: 'unknown adapter type' },
  GW_ERR_ADAPTER_START: { status: 500, message: 'adapter failed to start' },
  GW_ERR_UNKNOWN_DEVICE: { status: 404, message: 'unknown device' },
  GW_ERR_UNKNOWN_SITE: { status: 404, message: 'unknown site' },
  GW_ERR_ALARM_NOT_FOUND: { status: 404, message: 'alarm not found' },
  GW_ERR_ALARM_STATE: { status: 409, message: 'alarm is not in a state that allows this' },
  GW_ERR_PAYLOAD_INVALID: { status: 400, message: 'payload is invalid' },
  GW_ERR_BAD_REQUEST: { status: 400, message: 'bad request' },
  GW_ERR_NOT_FOUND: { status: 404, message: 'not found' },
  GW_ERR_INTERNAL: { status: 500, message: 'internal error' },
  GW_ERR_NOT_SUPPORTED: { status: 409, message: 'the device does not support this' },
  GW_ERR_COMMAND_FAILED: { status: 502, message: 'device command failed' },
  GW_ERR_COMMAND_TIMEOUT: { status: 504, message: 'device command timed out' },
  GW_ERR_UNAUTHENTICATED: { status: 401, message: 'login required' },
  GW_ERR_BAD_CREDENTIALS: { status: 401, message: 'wrong username or password' },
  GW_ERR_LOCKED_OUT: { status: 429, message: 'too many failed logins: locked out for a while' },
  GW_ERR_FORBIDDEN: { status: 403, message: 'not permitted for this role' },
  GW_ERR_RATE_LIMITED: { status: 429, message: 'too many requests' },
  GW_ERR_USER_EXISTS: { status: 409, message: 'user already exists' },
  GW_ERR_USER_READONLY: { status: 409, message: 'user is defined in the configuration file' },
  GW_ERR_USER_NOT_FOUND: { status: 404, message: 'user not found' },
  GW_ERR_DB_MIGRATION: { status: 500, message: 'database schema migration failed' },
} as const;

export type ErrorCode = keyof typeof ERRORS;

export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly statusCode: number;
  readonly details: string[];

  constructor(code: ErrorCode, detail?: string, opts: { cause?: unknown; details?: string[] } = {}) {
    const base = ERRORS[code];
    super(detail ? `${base.message}: ${detail}` : base.message, { cause: opts.cause });
    this.name = 'GatewayError';
    this.code = code;
    this.statusCode = base.status;
    this.details = opts.details ?? [];
  }
}

export function isGatewayError(err: unknown): err is GatewayError {
  return err instanceof GatewayError;
}
