/** Errors of the barrier-modbus adapter: a stable code, a message, the device and the cause. */

export const BARRIER_ERRORS = {
  GW_ERR_CONFIG_INVALID: 'configuration is invalid',
  GW_ERR_BARRIER_UNKNOWN_DEVICE: 'barrier is not managed by barrier-modbus',
  GW_ERR_BARRIER_UNREACHABLE: 'barrier controller is unreachable',
  GW_ERR_BARRIER_TIMEOUT: 'barrier controller did not answer in time',
  GW_ERR_BARRIER_MODBUS_EXCEPTION: 'barrier controller answered with a Modbus exception',
  GW_ERR_BARRIER_COMMAND_FAILED: 'barrier command could not be written',
  GW_ERR_BARRIER_COMMAND_TIMEOUT: 'barrier did not reach the commanded position in time',
  GW_ERR_BARRIER_STOPPED: 'barrier-modbus adapter is stopped',
  GW_ERR_ABORTED: 'operation aborted',
} as const;

export type BarrierErrorCode = keyof typeof BARRIER_ERRORS;

export class BarrierModbusError extends Error {
  readonly code: BarrierErrorCode;
  readonly deviceId: string | undefined;
  /** Every `path: message` for configuration errors. */
  readonly details: string[];

  constructor(code: BarrierErrorCode, detail?: string, opts: { cause?: unknown; deviceId?: string; details?: string[] } = {}) {
    const base = BARRIER_ERRORS[code];
    super(detail ? `${base}: ${detail}` : base, { cause: opts.cause });
    this.name = 'BarrierModbusError';
    this.code = code;
    this.deviceId = opts.deviceId;
    this.details = opts.details ?? [];
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
