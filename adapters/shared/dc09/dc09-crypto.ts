/**
 * DC-09 encryption (SIA DC-09-2013 5.4): AES-128/192/256 in CBC mode with an all-zero IV
 * (5.4.6 — the random pad replaces the IV's role), over the region that follows the data
 * element's `[`: pad, `|`, data, `]`, extended data and timestamp (5.4.4.1). The cipher text is
 * sent as upper-case hex (5.4.7).
 *
 * Padding (5.4.4.3): pad bytes go between `[` and the `|` pad terminator, so that the region
 * from the first pad byte to the last timestamp byte is a multiple of 16; a region already a
 * multiple of 16 gets 16 pad bytes, so the pad is always 1..16 bytes. Pad bytes are
 * pseudo-random and never `|`, `[` or `]` (5.4.4.2). No PKCS#7 padding is applied.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { DC09_ERRORS } from './dc09-errors.js';

const ZERO_IV = Buffer.alloc(16);
const PAD_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Supplies `n` pad bytes; tests pass a fixed source to get reproducible cipher text. */
export type PadSource = (n: number) => Buffer;

/**
 * Pad from the alphanumeric subset of the bytes 5.4.4.2 allows: receivers that decode the
 * plain text as UTF-8 (e.g. fioletoven/dc09's `from_utf8`) would reject binary pad bytes.
 */
export const randomPad: PadSource = (n) => {
  const raw = randomBytes(n);
  return Buffer.from(Array.from(raw, (b) => PAD_ALPHABET.charCodeAt(b % PAD_ALPHABET.length)));
};

export function assertKey(key: Uint8Array): void {
  if (key.length !== 16 && key.length !== 24 && key.length !== 32) {
    throw DC09_ERRORS.error('GW_ERR_DC09_KEY_INVALID', `got ${key.length} bytes`);
  }
}

/** A key given as 32, 48 or 64 hex digits (how receivers usually configure it). */
export function keyFromHex(hex: string): Buffer {
  if (!/^(?:[0-9a-fA-F]{32}|[0-9a-fA-F]{48}|[0-9a-fA-F]{64})$/.test(hex)) {
    throw DC09_ERRORS.error('GW_ERR_DC09_KEY_INVALID', 'expected 32, 48 or 64 hex digits');
  }
  return Buffer.from(hex, 'hex');
}

/**
 * A key given as 16, 24 or 32 ASCII characters, used byte for byte — how pysiaalarm and
 * several panels take it. DC-09 5.4.5.3 discourages ASCII phrases as keys; this exists for
 * interoperability only.
 */
export function keyFromAscii(text: string): Buffer {
  const key = Buffer.from(text, 'latin1');
  assertKey(key);
  return key;
}

function cipherName(key: Uint8Array): string {
  assertKey(key);
  return `aes-${key.length * 8}-cbc`;
}

/** Number of pad bytes for a region (excluding the pad) of `n` bytes: 1..16, never 0. */
export function padLength(n: number): number {
  return 16 - (n % 16);
}

/**
 * Encrypts `rest` — what follows the pad terminator: `data]` + extended data + `_timestamp` —
 * and returns the upper-case hex that follows `[` in the frame.
 */
export function encryptRegion(rest: string, key: Uint8Array, pad: PadSource = randomPad): string {
  const tail = Buffer.from(`|${rest}`, 'latin1');
  const padBytes = pad(padLength(tail.length));
  const plain = Buffer.concat([padBytes, tail]);
  if (plain.length % 16 !== 0 || padBytes.some((b) => b === 0x7c || b === 0x5b || b === 0x5d)) {
    throw DC09_ERRORS.error('GW_ERR_DC09_FIELD_INVALID', 'pad source returned a wrong length or a forbidden byte');
  }
  const cipher = createCipheriv(cipherName(key), key, ZERO_IV);
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(plain), cipher.final()]).toString('hex').toUpperCase();
}

export type DecryptResult =
  | { ok: true; rest: string; pad: Buffer; terminated: boolean }
  | { ok: false; detail: string };

/**
 * Decrypts the hex after `[` and strips the pad. The pad ends at the first `|` (5.4.4.3);
 * some senders (pysiaalarm's encrypted ACK, encrypted NULL frames of some panels) omit the
 * `|` when the data is empty, so a `]` also ends it — pad bytes may contain neither.
 */
export function decryptRegion(hex: string, key: Uint8Array): DecryptResult {
  if (hex.length === 0 || hex.length % 32 !== 0 || !/^[0-9A-Fa-f]+$/.test(hex)) {
    return { ok: false, detail: 'cipher text is not whole AES blocks of hex' };
  }
  let plain: Buffer;
  try {
    const decipher = createDecipheriv(cipherName(key), key, ZERO_IV);
    decipher.setAutoPadding(false);
    plain = Buffer.concat([decipher.update(Buffer.from(hex, 'hex')), decipher.final()]);
  } catch (err) {
    return { ok: false, detail: err instanceof Error ? err.message : String(err) };
  }
  const end = plain.findIndex((b) => b === 0x7c || b === 0x5d);
  if (end < 0) return { ok: false, detail: 'no pad terminator: wrong key or corrupt cipher text' };
  const restStart = plain[end] === 0x7c ? end + 1 : end;
  return {
    ok: true,
    rest: plain.subarray(restStart).toString('latin1'),
    pad: plain.subarray(0, end),
    terminated: plain[end] === 0x7c,
  };
}
