import pino, { type Logger } from 'pino';

/** Secrets, SIM numbers and tokens never reach a log line. */
export const REDACT_PATHS = [
  'secret',
  'password',
  'token',
  '*.secret',
  '*.password',
  // CMPP's shared secret stays in the configuration in clear (its MD5 is computed per login).
  'sharedSecret',
  '*.sharedSecret',
  '*.secretHash',
  '*.passwordHash',
  '*.token',
  '*.iccid',
  '*.msisdn',
  'req.headers.authorization',
  'req.headers.cookie',
  'data["sim.iccid"]',
];

export function createLogger(opts: { level: string; pretty?: boolean; name?: string }): Logger {
  return pino({
    name: opts.name ?? 'gateway',
    level: opts.level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    ...(opts.pretty ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } } : {}),
  });
}
