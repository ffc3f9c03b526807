/** Errors of the sms-smpp adapter: a stable code, a clear message, the cause when there is one. */
export const SMS_ERROR_CODES = [
  'GW_ERR_CONFIG_INVALID',
  'GW_ERR_SMS_EMPTY_TEXT',
  'GW_ERR_SMS_NO_RECIPIENTS',
  'GW_ERR_SMS_TOO_LONG',
  'GW_ERR_SMS_UNENCODABLE',
  'GW_ERR_SMS_NOT_STARTED',
  'GW_ERR_SMS_NOT_BOUND',
  'GW_ERR_SMS_TIMEOUT',
] as const;
export type SmsErrorCode = (typeof SMS_ERROR_CODES)[number];

export class SmsSmppError extends Error {
  override readonly name = 'SmsSmppError';
  constructor(
    readonly code: SmsErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
