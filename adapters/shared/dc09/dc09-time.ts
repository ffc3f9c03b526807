/**
 * DC-09 timestamps and the anti-replay window.
 *
 * SIA DC-09-2013 5.5.1.8: the timestamp is `_HH:MM:SS,MM-DD-YYYY` in UTC (GMT). It is
 * mandatory in encrypted messages and optional in plain ones. A receiver rejects (NAK, 5.5.3.2)
 * a message whose timestamp lies outside its window, by default 40 s in the past to 20 s in the
 * future of the receiver's clock — the same default as pysiaalarm's `allowed_timeband=(40, 20)`.
 */

export interface Dc09TimeWindow {
  /** Seconds a message may be older than the receiver's clock. */
  pastSeconds: number;
  /** Seconds a message may be ahead of the receiver's clock. */
  futureSeconds: number;
}

export const DEFAULT_TIME_WINDOW: Readonly<Dc09TimeWindow> = Object.freeze({ pastSeconds: 40, futureSeconds: 20 });

const TS_RE = /^(\d{2}):(\d{2}):(\d{2}),(\d{2})-(\d{2})-(\d{4})$/;

const two = (n: number): string => String(n).padStart(2, '0');

/** `HH:MM:SS,MM-DD-YYYY` (without the leading `_`) for a UTC instant in ms. */
export function formatDc09Timestamp(ms: number): string {
  const d = new Date(ms);
  return (
    `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())},` +
    `${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())}-${d.getUTCFullYear()}`
  );
}

/** Parses `HH:MM:SS,MM-DD-YYYY` to ms since epoch (UTC); undefined for anything invalid. */
export function parseDc09Timestamp(text: string): number | undefined {
  const m = TS_RE.exec(text);
  if (!m) return undefined;
  const [hh, mi, ss, mo, dd, yyyy] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  if (hh > 23 || mi > 59 || ss > 59 || mo < 1 || mo > 12 || dd < 1 || dd > 31) return undefined;
  // Date.UTC reads years 0..99 as 1900..1999: set the four-digit year as written instead.
  const d = new Date(Date.UTC(2000, 0, 1, hh, mi, ss));
  d.setUTCFullYear(yyyy, mo - 1, dd);
  // Reject 02-31 and the like, which Date would silently roll into the next month.
  return d.getUTCDate() === dd ? d.getTime() : undefined;
}

export type TimestampVerdict = 'ok' | 'too-old' | 'too-new';

/**
 * Anti-replay test of DC-09-2013 5.5.1.8. Both edges are inclusive: a message exactly
 * `pastSeconds` old is still accepted. Timestamps have one-second resolution, so `now` is
 * compared at full precision against the whole second the sender wrote.
 */
export function checkTimestamp(messageMs: number, nowMs: number, window: Dc09TimeWindow = DEFAULT_TIME_WINDOW): TimestampVerdict {
  const delta = messageMs - nowMs;
  if (delta < -window.pastSeconds * 1000) return 'too-old';
  if (delta > window.futureSeconds * 1000) return 'too-new';
  return 'ok';
}

// SIA DC-09-2013 5.5.1.5: sequence numbers run 0001..9999; 0000 is used only by the receiver's
// NAK. The transmitter increments per new message and repeats it on a retry.
export const SEQUENCE_MIN = 1;
export const SEQUENCE_MAX = 9999;

export function isValidSequence(n: number): boolean {
  return Number.isInteger(n) && n >= SEQUENCE_MIN && n <= SEQUENCE_MAX;
}

/** The sequence number after `n`: 9999 wraps to 0001. Anything invalid restarts at 0001. */
export function nextSequence(n: number): number {
  return isValidSequence(n) && n < SEQUENCE_MAX ? n + 1 : SEQUENCE_MIN;
}

export function formatSequence(n: number): string {
  return String(n).padStart(4, '0');
}
