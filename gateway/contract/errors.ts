/**
 * The one error catalogue (after fastify's lib/errors.js): every error the product reports has
 * a stable code, a message and an HTTP status, declared here in sections per area, and is one
 * class, GatewayError. Areas add codes, not classes; the HTTP error handler maps every coded
 * error by its declared status, so no route maps errors by hand.
 *
 * Messages: a detail given at the throw is appended after ': ' (`unknown device: sch-99-btn-1`);
 * a message with `%s` takes the detail in its place instead (`'%s'`: the detail is the whole
 * message, for codes whose messages clients already read as they are).
 *
 * An adapter declares its own codes with errorSection() in its folder (a code list, not a
 * class) and offers the section on its factory (`errors`), so the catalogue of a running
 * gateway is this file plus one section per adapter; a test checks that no code is declared
 * twice. The section's name is what the HTTP reply's `error` field says.
 */

export interface ErrorSpec {
  readonly status: number;
  readonly message: string;
}

export interface ErrorOptions {
  cause?: unknown;
  /** Every `path: message` of a configuration error, one per line of the report. */
  details?: string[];
  /** The device the error concerns, when there is one. */
  deviceId?: string;
  /** When to try again (HTTP `Retry-After`, seconds), for a refusal that is temporary. */
  retryAfterSeconds?: number;
}

/** A code with everything needed to build its error. */
export interface CodedSpec extends ErrorSpec {
  readonly code: string;
  /** The section's name (the reply's `error` field, the error's `name`). */
  readonly name: string;
}

export interface ErrorSection<C extends string = string> {
  readonly name: string;
  readonly codes: Readonly<Record<C, ErrorSpec>>;
  /** A coded error of this section. */
  error(code: C, detail?: string, opts?: ErrorOptions): GatewayError;
}

export class GatewayError extends Error {
  readonly code: string;
  readonly statusCode: number;
  readonly details: string[];
  readonly deviceId: string | undefined;
  readonly retryAfterSeconds: number | undefined;

  /** `code` is one of the gateway's own codes (below), or a section's spec (ErrorSection.error). */
  constructor(code: ErrorCode | CodedSpec, detail?: string, opts: ErrorOptions = {}) {
    const spec = typeof code === 'string' ? specOf(code) : code;
    super(formatMessage(spec.message, detail), { cause: opts.cause });
    this.name = spec.name;
    this.code = spec.code;
    this.statusCode = spec.status;
    this.details = opts.details ?? [];
    this.deviceId = opts.deviceId;
    this.retryAfterSeconds = opts.retryAfterSeconds;
  }
}

function formatMessage(message: string, detail: string | undefined): string {
  // A function, so a detail holding `$&` or `$'` is taken as it is.
  if (message.includes('%s')) return message.replace('%s', () => detail ?? '');
  return detail ? `${message}: ${detail}` : message;
}

/** Declares a section of codes; the returned object makes its errors. */
export function errorSection<const T extends Record<string, ErrorSpec>>(name: string, codes: T): ErrorSection<keyof T & string> {
  const specs = codes as Readonly<Record<string, ErrorSpec>>;
  return {
    name,
    codes,
    error: (code, detail, opts) => new GatewayError({ code, name, ...(specs[code] as ErrorSpec) }, detail, opts),
  };
}

/** A coded error (of any section), optionally of one code. */
export function isGatewayError(err: unknown, code?: string): err is GatewayError {
  return err instanceof GatewayError && (code === undefined || err.code === code);
}

/**
 * The state store could not commit (unreachable, or conflicts ran out): whatever depended on the
 * commit (a PUBACK, a DC-09 ACK) must not be sent, so the sender tries again.
 */
export function isUncommitted(err: unknown): boolean {
  return isGatewayError(err, 'GW_ERR_STORE_UNAVAILABLE') || isGatewayError(err, 'GW_ERR_STORE_CONFLICT');
}

/** An error's message, whatever was thrown. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

// ── The gateway's own sections ─────────────────────────────────────────────────────────────

/** Configuration, devices, alarms, HTTP requests, operators: what the gateway itself refuses. */
export const CORE_ERRORS = errorSection('GatewayError', {
  // configuration
  GW_ERR_CONFIG_INVALID: { status: 500, message: 'configuration is invalid' },
  GW_ERR_CONFIG_READ: { status: 500, message: 'configuration file could not be read' },
  GW_ERR_UNKNOWN_ADAPTER: { status: 500, message: 'unknown adapter type' },
  GW_ERR_ADAPTER_START: { status: 500, message: 'adapter failed to start' },
  // sites, devices and the commands they take (the command capability's outcomes)
  GW_ERR_UNKNOWN_DEVICE: { status: 404, message: 'unknown device' },
  GW_ERR_UNKNOWN_SITE: { status: 404, message: 'unknown site' },
  GW_ERR_NOT_SUPPORTED: { status: 409, message: 'the device does not support this' },
  GW_ERR_COMMAND_FAILED: { status: 502, message: 'device command failed' },
  GW_ERR_COMMAND_TIMEOUT: { status: 504, message: 'device command timed out' },
  // alarms
  GW_ERR_ALARM_NOT_FOUND: { status: 404, message: 'alarm not found' },
  GW_ERR_ALARM_STATE: { status: 409, message: 'alarm is not in a state that allows this' },
  // requests
  GW_ERR_PAYLOAD_INVALID: { status: 400, message: 'payload is invalid' },
  GW_ERR_BAD_REQUEST: { status: 400, message: 'bad request' },
  GW_ERR_NOT_FOUND: { status: 404, message: 'not found' },
  GW_ERR_UPGRADE_REQUIRED: { status: 426, message: '%s' },
  GW_ERR_INTERNAL: { status: 500, message: 'internal error' },
  /** The caller's signal aborted the operation (it gave up waiting). */
  GW_ERR_ABORTED: { status: 503, message: 'operation aborted' },
  // camera live view (the live-view capability's outcomes)
  GW_ERR_LIVE_VIEW_BUSY: { status: 503, message: '%s' },
  GW_ERR_LIVE_VIEW_FAILED: { status: 502, message: '%s' },
  // operators and access
  GW_ERR_UNAUTHENTICATED: { status: 401, message: 'login required' },
  GW_ERR_BAD_CREDENTIALS: { status: 401, message: 'wrong username or password' },
  GW_ERR_LOCKED_OUT: { status: 429, message: 'too many failed logins: locked out for a while' },
  GW_ERR_FORBIDDEN: { status: 403, message: 'not permitted for this role' },
  GW_ERR_RATE_LIMITED: { status: 429, message: 'too many requests' },
  /** MQTT CONNECT refused with CONNACK 3: the address already holds its share of the password-hashing slots (mqtt.connectLimit). */
  GW_ERR_MQTT_HASH_SHARE: { status: 503, message: 'password checks from this address are over their share' },
  GW_ERR_USER_EXISTS: { status: 409, message: 'user already exists' },
  GW_ERR_USER_READONLY: { status: 409, message: 'user is defined in the configuration file' },
  GW_ERR_USER_NOT_FOUND: { status: 404, message: 'user not found' },
  // the state store (SQLite, PostgreSQL)
  /** The database cannot be reached (or did not answer in time): nothing was committed. */
  GW_ERR_STORE_UNAVAILABLE: { status: 503, message: 'the state database is unavailable' },
  /** A change kept meeting newer ones from other nodes (compare-and-set retries ran out). */
  GW_ERR_STORE_CONFLICT: { status: 503, message: 'the change kept conflicting with concurrent changes; try again' },
  // on-call roster (overrides through the API)
  GW_ERR_ONCALL_INVALID: { status: 400, message: '%s' },
  GW_ERR_ONCALL_OVERRIDE_NOT_FOUND: { status: 404, message: 'no on-call override' },
  // cluster mode
  /** A write fenced by a lease token was refused: this node no longer holds the lease (another node took the duty). */
  GW_ERR_LEASE_LOST: { status: 409, message: 'lease %s is no longer held by this node' },
  /**
   * A request that needs the singleton duties (a barrier command, a sweep, a broadcast, a
   * camera's live view) reached a node that does not hold them, and the node that does could
   * not be found or did not answer in time (cluster.forwardTimeoutSeconds). Sent with Retry-After.
   */
  GW_ERR_HOLDER_UNAVAILABLE: { status: 503, message: 'the node holding the singleton duties is not available: %s' },
  // protection windows of a site (bad time of day, unknown time zone)
  GW_ERR_WINDOW_INVALID: { status: 500, message: '%s' },
  // telemetry store
  GW_ERR_INFLUX_QUERY: { status: 502, message: '%s' },
  // the PostgreSQL store (cluster mode)
  GW_ERR_DB_MIGRATION: { status: 500, message: 'database schema migration failed' },
});

/** Health sweeps. */
export const SWEEP_ERRORS = errorSection('SweepError', {
  GW_ERR_SWEEP_NOT_FOUND: { status: 404, message: 'sweep not found' },
  GW_ERR_SWEEP_SELECTION: { status: 400, message: 'sweep selection is invalid' },
  GW_ERR_SWEEP_EXTRA_UNKNOWN: { status: 400, message: 'unknown sweep extra' },
  GW_ERR_SWEEP_NOT_RUNNING: { status: 409, message: 'sweep is not running' },
  GW_ERR_SWEEP_RUNNING: { status: 409, message: 'sweep is still running' },
  GW_ERR_SWEEP_BUSY: { status: 429, message: 'too many sweeps running' },
  GW_ERR_SWEEP_STOPPED: { status: 503, message: 'sweep engine is not running' },
  GW_ERR_SWEEP_SCHEDULE_INVALID: { status: 500, message: 'sweep schedule is invalid' },
});

/** Broadcasts ("一呼百应"). The detail is the whole message (the dashboard shows it as it is). */
export const BROADCAST_ERRORS = errorSection('BroadcastError', {
  GW_ERR_BROADCAST_NOT_FOUND: { status: 404, message: '%s' },
  GW_ERR_BROADCAST_UNKNOWN_GROUP: { status: 400, message: '%s' },
  GW_ERR_BROADCAST_UNKNOWN_SITE: { status: 400, message: '%s' },
  GW_ERR_BROADCAST_UNKNOWN_ALARM: { status: 400, message: '%s' },
  GW_ERR_BROADCAST_NO_RECIPIENTS: { status: 400, message: '%s' },
  GW_ERR_BROADCAST_NOT_STARTED: { status: 503, message: '%s' },
});

/** Command-line tools and the scenario runner (never over HTTP: the status is the tool's exit). */
export const TOOL_ERRORS = errorSection('ToolError', {
  GW_ERR_CLI_USAGE: { status: 400, message: '%s' },
  GW_ERR_CLI_REQUEST: { status: 502, message: '%s' },
  GW_ERR_SCENARIO_INVALID: { status: 400, message: '%s' },
  GW_ERR_SCENARIO_REMOTE_REFUSED: { status: 409, message: '%s' },
});

/** Every section the gateway itself declares (adapters add theirs through their factories). */
export const GATEWAY_ERROR_SECTIONS = [CORE_ERRORS, SWEEP_ERRORS, BROADCAST_ERRORS, TOOL_ERRORS] as const;

type CodesOf<S> = S extends ErrorSection<infer C> ? C : never;
export type ErrorCode = CodesOf<(typeof GATEWAY_ERROR_SECTIONS)[number]>;

const SPECS: ReadonlyMap<string, CodedSpec> = new Map(
  GATEWAY_ERROR_SECTIONS.flatMap((s) => Object.entries(s.codes as Record<string, ErrorSpec>).map(([code, spec]): [string, CodedSpec] => [code, { code, name: s.name, ...spec }])),
);

function specOf(code: ErrorCode): CodedSpec {
  const spec = SPECS.get(code);
  // Unreachable for typed callers; a plain-JS caller gets an honest internal error.
  return spec ?? { code: 'GW_ERR_INTERNAL', name: 'GatewayError', status: 500, message: `unknown error code ${String(code)}` };
}
