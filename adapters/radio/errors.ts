/** Errors of the radio adapter: a stable code, a clear message, the cause when there is one. */
export const RADIO_ERROR_CODES = [
  'GW_ERR_CONFIG_INVALID',
  'GW_ERR_RADIO_NOT_STARTED',
  'GW_ERR_RADIO_UNKNOWN_GATEWAY',
  'GW_ERR_RADIO_EMPTY_TEXT',
  'GW_ERR_RADIO_NO_TALKGROUPS',
] as const;
export type RadioErrorCode = (typeof RADIO_ERROR_CODES)[number];

export class RadioError extends Error {
  override readonly name = 'RadioError';
  constructor(
    readonly code: RadioErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
