/**
 * SIA DC-09 frame codec (pure; no I/O). SIA DC-09-2013 5.5.1:
 *
 *   <LF><crc><0LLL><"id"><seq><Rrcvr><Lpref><#acct>[<pad>|...data...][x…data…]<timestamp><CR>
 *
 * - crc: 4 hex, CRC-16/ARC (crc16.ts) over everything from the first `"` to the last byte before
 *   <CR> (5.5.1.2); 0LLL: the length of that same region in 4 hex digits (5.5.1.3).
 * - "id": the token, `*`-prefixed inside the quotes when the message is encrypted (5.5.1.4).
 * - seq 0001..9999 (5.5.1.5); Rrcvr optional `R` + 1..6 hex; Lpref `L` + 1..6 hex; #acct
 *   `#` + 3..16 hex (5.5.1.6).
 * - [data] per token (5.5.1.7), optional extended data `[Xvalue]` (5.5.1.8 ff.: X longitude,
 *   Y latitude, M MAC, V verification URL, H event time…), optional `_HH:MM:SS,MM-DD-YYYY`.
 *
 * Decoding is tolerant where real senders deviate and the CRC still proves integrity:
 * a decimal length field (pysiaalarm fixture `57150047"ADM-CID"…`), an `L` without digits
 * (ioBroker.sia issue #11, a real panel), no `L` at all (fioletoven/dc09's parser example),
 * a NAK's literal `A0` account (5.5.3.2). Encoding always follows the standard.
 */
import { crc16Hex } from './crc16.js';
import { decryptRegion, encryptRegion, randomPad, type PadSource } from './dc09-crypto.js';
import { DC09_ERRORS } from './dc09-errors.js';
import { formatSequence } from './dc09-time.js';

export const DC09_TOKENS = ['SIA-DCS', 'ADM-CID', 'NULL', 'ACK', 'NAK', 'DUH'] as const;
export type Dc09Token = (typeof DC09_TOKENS)[number];

const LF = 0x0a;
const CR = 0x0d;
/** Longest body the `0LLL` length field can state (5.5.1.3). */
const MAX_BODY = 0xfff;

/** One `[Xvalue]` block after the data: `id` is its one-letter identifier. */
export interface Dc09ExtendedData {
  id: string;
  value: string;
}

export interface Dc09Frame {
  token: Dc09Token;
  encrypted: boolean;
  /** 0..9999; 0 only in a receiver's NAK. */
  sequence: number;
  /** Hex digits after `R`; absent when the sender sent no receiver number. */
  receiver?: string;
  /** Hex digits after `L`; absent when the sender sent no `L`, '' for a bare `L`. */
  line?: string;
  /** Hex digits after `#` ('0' for a NAK's `A0`). */
  account: string;
  /** What lies between `[` (or the pad terminator `|`) and `]`. */
  data: string;
  extended: Dc09ExtendedData[];
  /** `HH:MM:SS,MM-DD-YYYY` without the `_`. */
  timestamp?: string;
}

/** The part of a frame that precedes `[`, known even when the data cannot be read. */
export interface Dc09Header {
  token: string;
  encrypted: boolean;
  sequence: number;
  receiver?: string;
  line?: string;
  account: string;
}

export type Dc09DecodeError =
  | 'framing' // not <LF> crc len … <CR>
  | 'crc' // CRC field does not match the content
  | 'length' // length field matches neither hex nor decimal length
  | 'header' // "id" seq R L #acct [ not recognisable
  | 'token' // token outside DC09_TOKENS
  | 'no-key' // encrypted, and no key for the account
  | 'decrypt' // cipher text malformed or pad terminator missing
  | 'body'; // data / extended data / timestamp malformed

export type Dc09DecodeResult =
  | { ok: true; frame: Dc09Frame; quirks: Dc09Quirk[] }
  | { ok: false; error: Dc09DecodeError; detail: string; header?: Dc09Header };

/** Deviations from DC-09 the decoder accepted (for logs and counters). */
export type Dc09Quirk = 'length-decimal' | 'line-empty' | 'line-missing' | 'pad-terminator-missing';

export type Dc09KeyLookup = (account: string) => Uint8Array | undefined;

const HEADER_RE =
  /^"(\*?)([A-Z][A-Z-]{1,14})"(\d{4})(?:R([0-9A-Fa-f]{1,6}))?(?:L([0-9A-Fa-f]{0,6}))?(?:#([0-9A-Fa-f]{3,16})|A([0-9A-Fa-f]{1,16}))\[/;
const TS_TAIL_RE = /^_(\d{2}:\d{2}:\d{2},\d{2}-\d{2}-\d{4})$/;

function isToken(t: string): t is Dc09Token {
  return (DC09_TOKENS as readonly string[]).includes(t);
}

function headerText(f: Pick<Dc09Frame, 'token' | 'encrypted' | 'sequence' | 'receiver' | 'line' | 'account'>): string {
  if (f.sequence < 0 || f.sequence > 9999 || !Number.isInteger(f.sequence)) {
    throw DC09_ERRORS.error('GW_ERR_DC09_FIELD_INVALID', `sequence ${f.sequence}`);
  }
  if (f.receiver !== undefined && !/^[0-9A-F]{1,6}$/.test(f.receiver)) {
    throw DC09_ERRORS.error('GW_ERR_DC09_FIELD_INVALID', `receiver ${f.receiver}`);
  }
  if (f.line !== undefined && !/^[0-9A-F]{0,6}$/.test(f.line)) {
    throw DC09_ERRORS.error('GW_ERR_DC09_FIELD_INVALID', `line ${f.line}`);
  }
  const r = f.receiver !== undefined ? `R${f.receiver}` : '';
  const l = f.line !== undefined ? `L${f.line}` : '';
  if (f.token === 'NAK') {
    // SIA DC-09-2013 5.5.3.2: the NAK names no account; its fixed account field is `A0`.
    return `"NAK"${formatSequence(f.sequence)}${r}${l}A0`;
  }
  if (!/^[0-9A-F]{3,16}$/.test(f.account)) {
    throw DC09_ERRORS.error('GW_ERR_DC09_FIELD_INVALID', `account ${f.account} (3..16 upper-case hex)`);
  }
  return `"${f.encrypted ? '*' : ''}${f.token}"${formatSequence(f.sequence)}${r}${l}#${f.account}`;
}

/** `data]` + extended blocks + `_timestamp`: what follows `[` (or the pad `|`). */
function restText(f: Pick<Dc09Frame, 'data' | 'extended' | 'timestamp'>): string {
  if (/[[\]]/.test(f.data)) throw DC09_ERRORS.error('GW_ERR_DC09_FIELD_INVALID', 'data must not contain [ or ]');
  const ext = f.extended
    .map((x) => {
      if (!/^[A-Za-z]$/.test(x.id) || /[[\]]/.test(x.value)) {
        throw DC09_ERRORS.error('GW_ERR_DC09_FIELD_INVALID', `extended data ${x.id}`);
      }
      return `[${x.id}${x.value}]`;
    })
    .join('');
  return `${f.data}]${ext}${f.timestamp !== undefined ? `_${f.timestamp}` : ''}`;
}

/** Wraps a body (from `"` on) into <LF> crc 0LLL body <CR> (5.5.1.2, 5.5.1.3). */
export function wrapBody(body: string): Buffer {
  if (body.length > MAX_BODY) throw DC09_ERRORS.error('GW_ERR_DC09_FIELD_INVALID', 'frame longer than 0x0FFF');
  const len = body.length.toString(16).toUpperCase().padStart(4, '0');
  return Buffer.concat([Buffer.from([LF]), Buffer.from(`${crc16Hex(body)}${len}${body}`, 'latin1'), Buffer.from([CR])]);
}

export interface EncodeOptions {
  /** Required when `frame.encrypted`. */
  key?: Uint8Array;
  /** Pad source for encrypted frames (tests pass a fixed one). */
  pad?: PadSource;
}

/** Encodes a frame to the bytes on the wire, encrypting when `frame.encrypted`. */
export function encodeFrame(frame: Dc09Frame, opts: EncodeOptions = {}): Buffer {
  const head = headerText(frame);
  if (!frame.encrypted) return wrapBody(`${head}[${restText(frame)}`);
  if (frame.token === 'NAK') throw DC09_ERRORS.error('GW_ERR_DC09_FIELD_INVALID', 'a NAK is never encrypted (5.5.3.2)');
  if (!opts.key) throw DC09_ERRORS.error('GW_ERR_DC09_KEY_INVALID', 'encrypted frame without a key');
  // SIA DC-09-2013 5.5.1.8: the timestamp is mandatory in encrypted messages.
  if (frame.timestamp === undefined) throw DC09_ERRORS.error('GW_ERR_DC09_FIELD_INVALID', 'encrypted frame without a timestamp');
  return wrapBody(`${head}[${encryptRegion(restText(frame), opts.key, opts.pad ?? randomPad)}`);
}

/** Parses `data]` `[x…]`* `_timestamp`? exactly. */
function parseRest(rest: string): { data: string; extended: Dc09ExtendedData[]; timestamp?: string } | string {
  const close = rest.indexOf(']');
  if (close < 0) return 'no ] after the data';
  const data = rest.slice(0, close);
  if (data.includes('[')) return '[ inside the data';
  const extended: Dc09ExtendedData[] = [];
  let i = close + 1;
  while (rest[i] === '[') {
    const end = rest.indexOf(']', i);
    if (end < 0) return 'unterminated extended data';
    const block = rest.slice(i + 1, end);
    if (block.length === 0 || block.includes('[') || !/^[A-Za-z]$/.test(block[0] as string)) return `bad extended data [${block}]`;
    extended.push({ id: block[0] as string, value: block.slice(1) });
    i = end + 1;
  }
  const tail = rest.slice(i);
  if (tail === '') return { data, extended };
  const ts = TS_TAIL_RE.exec(tail);
  if (!ts) return `unexpected text after the data: ${JSON.stringify(tail.slice(0, 40))}`;
  return { data, extended, timestamp: ts[1] as string };
}

/**
 * Decodes one frame (from <LF> to <CR> inclusive). Checks CRC and length first, so a frame
 * damaged in transit yields 'crc' — to which a receiver gives no answer at all.
 */
export function decodeFrame(raw: Uint8Array, keyFor: Dc09KeyLookup = () => undefined): Dc09DecodeResult {
  if (raw.length < 10 || raw[0] !== LF || raw[raw.length - 1] !== CR) {
    return { ok: false, error: 'framing', detail: 'expected <LF> crc length … <CR>' };
  }
  const text = Buffer.from(raw.subarray(1, raw.length - 1)).toString('latin1');
  const crcField = text.slice(0, 4);
  const lenField = text.slice(4, 8);
  if (!/^[0-9A-Fa-f]{4}$/.test(crcField) || !/^[0-9A-Fa-f]{4}$/.test(lenField)) {
    return { ok: false, error: 'framing', detail: 'crc or length field is not 4 hex digits' };
  }
  const body = text.slice(8);
  const crc = crc16Hex(body);
  if (crc !== crcField.toUpperCase()) {
    return { ok: false, error: 'crc', detail: `crc field ${crcField}, computed ${crc}` };
  }
  // 5.5.1.3: the length is `0LLL`, so no message is longer than 0x0FFF; a longer line is not a
  // DC-09 frame however its CRC came out (and would only make the parsers below work harder).
  if (body.length > MAX_BODY) {
    return { ok: false, error: 'length', detail: `body of ${body.length} bytes is longer than 0x0FFF` };
  }
  const quirks: Dc09Quirk[] = [];
  if (parseInt(lenField, 16) !== body.length) {
    if (/^\d{4}$/.test(lenField) && parseInt(lenField, 10) === body.length) quirks.push('length-decimal');
    else return { ok: false, error: 'length', detail: `length field ${lenField}, body has ${body.length} bytes` };
  }
  const m = HEADER_RE.exec(body);
  if (!m) return { ok: false, error: 'header', detail: `unrecognised header ${JSON.stringify(body.slice(0, 40))}` };
  const [whole, star, token, seq, rcv, line, acct, nakAcct] = m;
  const header: Dc09Header = {
    token: token as string,
    encrypted: star === '*',
    sequence: Number(seq),
    account: (acct ?? nakAcct ?? '').toUpperCase(),
    ...(rcv !== undefined ? { receiver: rcv.toUpperCase() } : {}),
    ...(line !== undefined ? { line: line.toUpperCase() } : {}),
  };
  if (line === undefined) quirks.push('line-missing');
  else if (line === '') quirks.push('line-empty');
  if (!isToken(header.token)) return { ok: false, error: 'token', detail: `unknown token ${header.token}`, header };
  if (nakAcct !== undefined && header.token !== 'NAK' && header.token !== 'DUH') {
    return { ok: false, error: 'header', detail: 'account must be #acct', header };
  }
  let rest = body.slice(whole.length);
  if (header.encrypted) {
    const key = keyFor(header.account);
    if (!key) return { ok: false, error: 'no-key', detail: `no key for account ${header.account}`, header };
    const dec = decryptRegion(rest, key);
    if (!dec.ok) return { ok: false, error: 'decrypt', detail: dec.detail, header };
    if (!dec.terminated) quirks.push('pad-terminator-missing');
    rest = dec.rest;
  }
  const parsed = parseRest(rest);
  if (typeof parsed === 'string') return { ok: false, error: 'body', detail: parsed, header };
  const frame: Dc09Frame = {
    token: header.token,
    encrypted: header.encrypted,
    sequence: header.sequence,
    ...(header.receiver !== undefined ? { receiver: header.receiver } : {}),
    ...(header.line !== undefined ? { line: header.line } : {}),
    account: header.account,
    data: parsed.data,
    extended: parsed.extended,
    ...(parsed.timestamp !== undefined ? { timestamp: parsed.timestamp } : {}),
  };
  return { ok: true, frame, quirks };
}
