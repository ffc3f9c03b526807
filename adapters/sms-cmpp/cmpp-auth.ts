/**
 * What CMPP derives from the shared secret and the clock: the CONNECT timestamp, the two MD5
 * authenticators, and the 64-bit Msg_Id. Pure.
 */
import { createHash } from 'node:crypto';

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', { timeZone, month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
    formatters.set(timeZone, f);
  }
  return f;
}

/**
 * CMPP 2.0 §7.4.1.1 / 3.0 §8.4.1.1 Timestamp: "MMDDHHMMSS, month day hour minute second, 10
 * digits", in the ISMG's local time (China Standard Time for China Mobile). The string is what
 * goes into the MD5; the field carries the same digits as an unsigned integer.
 */
export function cmppTimestamp(ms: number, timeZone: string): { text: string; value: number } {
  const parts = Object.fromEntries(formatter(timeZone).formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
  const text = `${parts.month}${parts.day}${parts.hour}${parts.minute}${parts.second}`;
  return { text, value: Number(text) };
}

/** The 10 digits of a Timestamp field (leading zero restored: January is 01…). */
export function timestampText(value: number): string {
  return String(value).padStart(10, '0');
}

const md5 = (...parts: Buffer[]): Buffer => createHash('md5').update(Buffer.concat(parts)).digest();

/**
 * CMPP 2.0 §7.4.1.1 / 3.0 §8.4.1.1:
 * AuthenticatorSource = MD5(Source_Addr + 9 octets of 0 + shared secret + timestamp).
 * Source_Addr is the SP_Id as configured (six digits in practice, so padding never matters).
 */
export function authenticatorSource(sourceAddr: string, secret: string, timestamp: string): Buffer {
  return md5(Buffer.from(sourceAddr, 'latin1'), Buffer.alloc(9), Buffer.from(secret, 'utf8'), Buffer.from(timestamp, 'latin1'));
}

/**
 * CMPP 2.0 §7.4.1.2 / 3.0 §8.4.1.2:
 * AuthenticatorISMG = MD5(Status + AuthenticatorSource + shared secret), Status in the width
 * its CONNECT_RESP carries it (one octet in 2.0, four in 3.0).
 */
export function authenticatorIsmg(status: number, statusWidth: 1 | 4, source: Uint8Array, secret: string): Buffer {
  const s = Buffer.alloc(statusWidth);
  if (statusWidth === 1) s.writeUInt8(status & 0xff);
  else s.writeUInt32BE(status >>> 0);
  return md5(s, Buffer.from(source), Buffer.from(secret, 'utf8'));
}

/**
 * Msg_Id (CMPP 2.0 §7.4.3.2, 3.0 §8.4.3.2): 64 bits, from the top: month (4), day (5),
 * hour (5), minute (6), second (6), the ISMG's code (22), a sequence (16).
 */
export interface MsgIdParts {
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  ismg: number;
  sequence: number;
}

export function packMsgId(p: MsgIdParts): bigint {
  const field = (v: number, bits: number) => BigInt(v) & ((1n << BigInt(bits)) - 1n);
  return (
    (field(p.month, 4) << 60n) |
    (field(p.day, 5) << 55n) |
    (field(p.hour, 5) << 50n) |
    (field(p.minute, 6) << 44n) |
    (field(p.second, 6) << 38n) |
    (field(p.ismg, 22) << 16n) |
    field(p.sequence, 16)
  );
}

export function unpackMsgId(id: bigint): MsgIdParts {
  const at = (shift: bigint, bits: bigint) => Number((id >> shift) & ((1n << bits) - 1n));
  return { month: at(60n, 4n), day: at(55n, 5n), hour: at(50n, 5n), minute: at(44n, 6n), second: at(38n, 6n), ismg: at(16n, 22n), sequence: at(0n, 16n) };
}

/** The id as the adapter stores and matches it: 16 hex digits (the 8 octets as they came). */
export function msgIdKey(id: bigint): string {
  return BigInt.asUintN(64, id).toString(16).padStart(16, '0');
}

export function msgIdFromKey(key: string): bigint {
  return BigInt(`0x${key}`);
}
