/**
 * Text → SMPP short_message parts. Pure: no I/O, no clock.
 *
 * - Encoding: GSM 7-bit (data_coding 0x00) when every character fits the default alphabet,
 *   UCS-2 (data_coding 0x08) otherwise, e.g. for any Chinese text (SMPP 3.4 §5.2.19).
 * - Single part: up to 160 septets or 70 UCS-2 code units (3GPP TS 23.040 §9.2.3.16: 140 octets).
 * - Longer text: concatenated parts, each prefixed with a UDH carrying the 8-bit-reference
 *   concatenation IE 0x00 (TS 23.040 §9.2.3.24.1), esm_class UDHI 0x40 (SMPP 3.4 §5.2.12).
 *   The 6-octet UDH leaves 153 septets or 67 UCS-2 code units per part.
 * - A part never ends between an escape and its extension septet, nor inside a UTF-16
 *   surrogate pair, so every part decodes on its own (handsets show parts as they come).
 */
import { SMS_ERRORS } from './errors.js';
import { gsm7Encode, gsm7Septets, isGsm7 } from './gsm7.js';
import { DATA_CODING, ESM_CLASS } from './smpp-constants.js';

export type SmsEncoding = 'gsm7' | 'ucs2';

export const LIMITS = {
  gsm7: { single: 160, part: 153 },
  ucs2: { single: 70, part: 67 },
  /** The concatenation IE counts parts in one octet (TS 23.040 §9.2.3.24.1). */
  maxParts: 255,
} as const;

export interface SmsPart {
  /** 1-based, as in the UDH. */
  index: number;
  total: number;
  dataCoding: number;
  esmClass: number;
  /** The whole short_message: UDH (when total > 1) followed by the encoded text. */
  shortMessage: Buffer;
  /** The text this part carries, for logs and tests. */
  text: string;
}

export interface SegmentedMessage {
  encoding: SmsEncoding;
  parts: SmsPart[];
}

export function chooseEncoding(text: string): SmsEncoding {
  return isGsm7(text) ? 'gsm7' : 'ucs2';
}

/** Length in the unit the limits count: septets for GSM, UTF-16 code units for UCS-2. */
export function unitLength(text: string, encoding: SmsEncoding): number {
  if (encoding === 'ucs2') return text.length;
  let n = 0;
  for (const ch of text) n += gsm7Septets(ch);
  return n;
}

/** Splits `text` into chunks of at most `max` units without breaking a character. */
function chunk(text: string, encoding: SmsEncoding, max: number): string[] {
  const chunks: string[] = [];
  let current = '';
  let used = 0;
  // for…of walks code points, so a surrogate pair (2 UTF-16 units) is never split.
  for (const ch of text) {
    const cost = encoding === 'ucs2' ? ch.length : gsm7Septets(ch);
    if (used + cost > max) {
      chunks.push(current);
      current = '';
      used = 0;
    }
    current += ch;
    used += cost;
  }
  if (current.length > 0 || chunks.length === 0) chunks.push(current);
  return chunks;
}

function encode(text: string, encoding: SmsEncoding): Buffer {
  return encoding === 'gsm7' ? gsm7Encode(text) : Buffer.from(text, 'utf16le').swap16();
}

/** UDH with one IE: concatenated short messages, 8-bit reference (TS 23.040 §9.2.3.24.1). */
export function concatUdh(ref: number, total: number, index: number): Buffer {
  return Buffer.from([0x05, 0x00, 0x03, ref & 0xff, total, index]);
}

/**
 * Splits `text` into submit_sm parts. `ref` is the concatenation reference (0..255); it must
 * differ between concatenated messages in flight to the same recipient.
 */
export function segment(text: string, ref: number, forceEncoding?: SmsEncoding): SegmentedMessage {
  if (text.length === 0) throw SMS_ERRORS.error('GW_ERR_SMS_EMPTY_TEXT', 'message text is empty');
  const encoding = forceEncoding ?? chooseEncoding(text);
  if (encoding === 'gsm7' && !isGsm7(text)) {
    throw SMS_ERRORS.error('GW_ERR_SMS_UNENCODABLE', 'text has characters outside the GSM 7-bit alphabet');
  }
  const dataCoding = encoding === 'gsm7' ? DATA_CODING.SMSC_DEFAULT : DATA_CODING.UCS2;
  const limits = LIMITS[encoding];
  if (unitLength(text, encoding) <= limits.single) {
    return { encoding, parts: [{ index: 1, total: 1, dataCoding, esmClass: 0, shortMessage: encode(text, encoding), text }] };
  }
  const chunks = chunk(text, encoding, limits.part);
  if (chunks.length > LIMITS.maxParts) {
    throw SMS_ERRORS.error('GW_ERR_SMS_TOO_LONG', `text needs ${chunks.length} parts; at most ${LIMITS.maxParts} can be concatenated`);
  }
  const parts = chunks.map((t, i) => ({
    index: i + 1,
    total: chunks.length,
    dataCoding,
    esmClass: ESM_CLASS.UDHI,
    shortMessage: Buffer.concat([concatUdh(ref, chunks.length, i + 1), encode(t, encoding)]),
    text: t,
  }));
  return { encoding, parts };
}
