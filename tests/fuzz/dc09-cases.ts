/**
 * Fuzz recipes for SIA DC-09 frames: valid frames built with the project's own encoder
 * (buildMessage), the same frames with one thing broken (CRC, length, sequence, account,
 * token, timestamp, truncation, cipher text, key), and noise. A recipe is data (so fast-check
 * can print and shrink it); `materialize` turns it into bytes plus what a receiver at `now`
 * must answer, worked out from DC-09 (5.5.1, 5.5.3) and the payload specs, not from the decoder.
 */
import fc from 'fast-check';
import { CONTACT_ID_EVENTS, type ContactIdEventCode, type ContactIdQualifier } from '../../adapters/shared/dc09/contact-id.js';
import { encodeFrame, wrapBody, type Dc09ExtendedData, type Dc09Frame } from '../../adapters/shared/dc09/dc09-frame.js';
import type { Dc09Message, Dc09Payload, Dc09RejectReason } from '../../adapters/shared/dc09/dc09-receiver-logic.js';
import { buildMessage, type Dc09EventSpec } from '../../adapters/shared/dc09/dc09-transmitter-logic.js';
import { SIA_CODES, type SiaCode } from '../../adapters/shared/dc09/sia-codes.js';
import { crc16Hex } from '../../adapters/shared/dc09/crc16.js';

const YEAR_MS = 365 * 24 * 3600_000;

export interface FrameSpec {
  account: string;
  sequence: number;
  event: Dc09EventSpec;
  /** Key the sender encrypts with (none: plain). */
  sendKey?: Buffer;
  receiver?: string;
  line: string;
  extended: Dc09ExtendedData[];
  /** Plain frames: whether to add `_timestamp` (encrypted ones always have it, 5.5.1.8). */
  timestamp: boolean;
  /** The pad byte (5.4.4.2), fixed per recipe so the cipher text reproduces. */
  pad: string;
}

export type Mutation =
  | { kind: 'none' }
  | { kind: 'crc'; crc: string }
  | { kind: 'crc-not-hex'; at: number; ch: string }
  | { kind: 'length'; len: number }
  | { kind: 'sequence'; text: string }
  | { kind: 'account'; text: string }
  | { kind: 'token'; token: string }
  | { kind: 'reply-token'; token: 'ACK' | 'NAK' | 'DUH' }
  | { kind: 'stale'; skewMs: number }
  | { kind: 'bad-time'; timestamp: string }
  | { kind: 'truncate'; keep: number; cr: boolean }
  | { kind: 'cipher-cut'; chars: number }
  | { kind: 'cipher-flip'; at: number; digit: string }
  | { kind: 'data'; data: string };

export interface FrameRecipe {
  kind: 'frame';
  spec: FrameSpec;
  /** Sender clock minus receiver clock, inside the 40 s / 20 s window. */
  skewMs: number;
  mutation: Mutation;
}

export type NoiseRecipe =
  | { kind: 'bytes'; bytes: Uint8Array }
  | { kind: 'framed-bytes'; bytes: Uint8Array }
  | { kind: 'body'; body: string }
  | { kind: 'oversized'; length: number; fill: string };

export type Recipe = FrameRecipe | NoiseRecipe;

export type Expectation =
  | { kind: 'ack'; message: Dc09Message }
  | { kind: 'refuse'; reply: 'none' | 'duh' | 'nak'; reason: Dc09RejectReason }
  /** Broken beyond what DC-09 can detect everywhere: anything but an ACK. */
  | { kind: 'not-ack' }
  | { kind: 'any' };

export interface Materialized {
  bytes: Buffer;
  expect: Expectation;
}

export type KeyFor = (account: string) => Buffer | undefined;

// ── generators ──────────────────────────────────────────────────────────────────────────────

const hex = (min: number, max: number) => fc.stringMatching(new RegExp(`^[0-9A-F]{${min},${max}}$`));
export const aesKey = fc.constantFrom(16, 24, 32).chain((n) => fc.uint8Array({ minLength: n, maxLength: n }).map((b) => Buffer.from(b)));
const printable = (max: number) => fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: max });

const eventSpec: fc.Arbitrary<Dc09EventSpec> = fc.oneof(
  fc.record(
    {
      protocol: fc.constant('sia' as const),
      code: fc.constantFrom(...(Object.keys(SIA_CODES) as SiaCode[])),
      zone: fc.stringMatching(/^\d{0,6}$/),
      area: fc.stringMatching(/^\d{1,3}$/),
    },
    { requiredKeys: ['protocol', 'code'] },
  ),
  fc.record({
    protocol: fc.constant('cid' as const),
    qualifier: fc.constantFrom(1, 3, 6) as fc.Arbitrary<ContactIdQualifier>,
    code: fc.constantFrom(...(Object.keys(CONTACT_ID_EVENTS) as ContactIdEventCode[])),
    partition: fc.integer({ min: 0, max: 99 }),
    zone: fc.integer({ min: 0, max: 999 }),
  }),
  fc.constant({ protocol: 'null' as const }),
);

/** A frame spec for one of `accounts` (each with the key its sender uses, if any). */
export function frameSpec(accounts: fc.Arbitrary<{ account: string; key?: Buffer }>): fc.Arbitrary<FrameSpec> {
  return fc
    .record(
      {
        who: accounts,
        sequence: fc.integer({ min: 1, max: 9999 }),
        event: eventSpec,
        receiver: hex(1, 6),
        line: hex(0, 6),
        extended: fc.array(
          fc.tuple(fc.stringMatching(/^[A-Za-z]$/), printable(30).filter((v) => !/[[\]]/.test(v))).map(([id, value]) => ({ id, value })),
          { maxLength: 3 },
        ),
        timestamp: fc.boolean(),
        pad: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'),
      },
      { requiredKeys: ['who', 'sequence', 'event', 'line', 'extended', 'timestamp', 'pad'] },
    )
    .map(({ who, ...rest }) => ({ account: who.account, ...(who.key ? { sendKey: who.key } : {}), ...rest }));
}

const BAD_TIMESTAMPS = [
  '24:00:00,01-01-2026',
  '12:60:00,01-01-2026',
  '12:00:60,01-01-2026',
  '12:00:00,13-01-2026',
  '12:00:00,00-01-2026',
  '12:00:00,02-30-2026',
  '12:00:00,02-29-2027',
  '12:00:00,04-31-2026',
  '12:00:00,01-32-2026',
  '12:00:00,01-00-2026',
  '12:00,01-01-2026',
  '12:00:00 01-01-2026',
  '12:00:00,1-1-2026',
  'xx:yy:zz,aa-bb-cccc',
  '',
];

const m = <T extends Mutation>(a: fc.Arbitrary<T>) => a as fc.Arbitrary<Mutation>;
// Built once: fc.stringMatching compiles its pattern, far too slow to repeat per generated frame.
const ANY_FRAME: fc.WeightedArbitrary<Mutation>[] = [
  { weight: 12, arbitrary: fc.constant({ kind: 'none' }) },
  { weight: 3, arbitrary: m(hex(4, 4).map((crc) => ({ kind: 'crc' as const, crc }))) },
  { weight: 1, arbitrary: m(fc.record({ kind: fc.constant('crc-not-hex' as const), at: fc.integer({ min: 0, max: 3 }), ch: fc.constantFrom('G', 'z', ' ', '"', '-', '\u00e9') })) },
  { weight: 2, arbitrary: m(fc.integer({ min: 0, max: 0xffff }).map((len) => ({ kind: 'length' as const, len }))) },
  { weight: 2, arbitrary: m(fc.oneof(fc.stringMatching(/^\d{0,3}$/), fc.stringMatching(/^\d{5,6}$/), fc.stringMatching(/^[A-Za-z\-_ ]{1,4}$/)).map((text) => ({ kind: 'sequence' as const, text }))) },
  { weight: 2, arbitrary: m(fc.oneof(hex(0, 2), hex(17, 24), fc.stringMatching(/^[0-9A-F]{1,6}[G-Zg-z_ |-][0-9A-F]{0,6}$/)).map((text) => ({ kind: 'account' as const, text }))) },
  { weight: 2, arbitrary: m(fc.stringMatching(/^[A-Z][A-Z-]{1,14}$/).filter((t) => !['SIA-DCS', 'ADM-CID', 'NULL', 'ACK', 'NAK', 'DUH'].includes(t)).map((token) => ({ kind: 'token' as const, token }))) },
  { weight: 1, arbitrary: m(fc.constantFrom('ACK', 'NAK', 'DUH').map((token) => ({ kind: 'reply-token' as const, token: token as 'ACK' | 'NAK' | 'DUH' }))) },
  { weight: 2, arbitrary: m(fc.integer({ min: 0, max: 400 }).map((keep) => ({ kind: 'truncate' as const, keep, cr: keep % 2 === 0 }))) },
  { weight: 2, arbitrary: m(printable(60).filter((d) => !/[[\]]/.test(d)).map((data) => ({ kind: 'data' as const, data }))) },
];
const STAMPED_FRAME: fc.WeightedArbitrary<Mutation>[] = [
  { weight: 3, arbitrary: m(fc.oneof(fc.integer({ min: 41_000, max: 10 * YEAR_MS }), fc.integer({ min: -10 * YEAR_MS, max: -41_000 })).map((skewMs) => ({ kind: 'stale' as const, skewMs }))) },
  { weight: 2, arbitrary: m(fc.constantFrom(...BAD_TIMESTAMPS).map((timestamp) => ({ kind: 'bad-time' as const, timestamp }))) },
];
const ENCRYPTED_FRAME: fc.WeightedArbitrary<Mutation>[] = [
  { weight: 2, arbitrary: m(fc.integer({ min: 1, max: 31 }).map((chars) => ({ kind: 'cipher-cut' as const, chars }))) },
  { weight: 2, arbitrary: m(fc.record({ kind: fc.constant('cipher-flip' as const), at: fc.nat(), digit: fc.constantFrom(...'0123456789ABCDEF') })) },
];
const MUTATIONS = {
  plain: fc.oneof(...ANY_FRAME),
  stamped: fc.oneof(...ANY_FRAME, ...STAMPED_FRAME),
  encrypted: fc.oneof(...ANY_FRAME, ...STAMPED_FRAME, ...ENCRYPTED_FRAME),
};

/** The mutations that make sense for `spec` (timestamp ones need a timestamp, cipher ones a key). */
export function mutation(spec: FrameSpec): fc.Arbitrary<Mutation> {
  return spec.sendKey !== undefined ? MUTATIONS.encrypted : spec.timestamp ? MUTATIONS.stamped : MUTATIONS.plain;
}

/** Valid and broken frames for `accounts`. */
export function frameRecipe(accounts: fc.Arbitrary<{ account: string; key?: Buffer }>): fc.Arbitrary<FrameRecipe> {
  return frameSpec(accounts).chain((spec) =>
    fc.record({ kind: fc.constant('frame' as const), spec: fc.constant(spec), skewMs: fc.integer({ min: -39_000, max: 19_000 }), mutation: mutation(spec) }),
  );
}

const latin1 = (max: number) => fc.string({ unit: fc.integer({ min: 0, max: 0xff }).map((c) => String.fromCharCode(c)), maxLength: max });
const noCrLf = (s: string) => s.replace(/[\r\n]/g, ' ');

/** Header pieces, valid and not, for bodies that pass CRC and length and reach the parsers. */
const structuredBody = fc
  .tuple(
    fc.constantFrom('"SIA-DCS"', '"ADM-CID"', '"NULL"', '"*SIA-DCS"', '"*NULL"', '"ACK"', '"NAK"', '"DUH"', '"X"', '"sia-dcs"', '"SIA-DCS', 'SIA-DCS"', ''),
    fc.oneof(fc.stringMatching(/^\d{4}$/), fc.constantFrom('', '0000', '99999', 'abcd')),
    fc.oneof(fc.constant(''), hex(0, 7).map((h) => `R${h}`)),
    fc.oneof(fc.constant(''), hex(0, 7).map((h) => `L${h}`)),
    fc.oneof(hex(0, 18).map((h) => `#${h}`), fc.constantFrom('A0', 'A', '#', '')),
    fc.oneof(
      printable(80),
      fc.constantFrom('#1234|NRR', '#1234|Nri1/PA501', '|NPA', 'N', 'O', '#1234|1120 01 015', '1120 01 015', '#12|', 'NPA^text^', 'NPA^open', '|A', 'Nri/', 'NOP001'),
      hex(32, 64),
    ),
    fc.oneof(fc.constant(''), fc.stringMatching(/^(\[[A-Za-z][^[\]]{0,10}\]){1,3}$/), fc.constantFrom('[', '[]', '[X', ']]')),
    fc.oneof(fc.constant(''), fc.constantFrom('_12:00:00,01-01-2026', '_', '_99:99:99,99-99-9999', 'junk')),
  )
  .map(([token, seq, r, l, acct, data, ext, ts]) => `${token}${seq}${r}${l}${acct}[${data}]${ext}${ts}`);

export const noiseRecipe: fc.Arbitrary<NoiseRecipe> = fc.oneof(
  fc.uint8Array({ maxLength: 600 }).map((bytes) => ({ kind: 'bytes' as const, bytes })),
  fc.uint8Array({ maxLength: 300 }).map((bytes) => ({ kind: 'framed-bytes' as const, bytes })),
  fc.oneof(latin1(200).map(noCrLf), structuredBody.map(noCrLf)).map((body) => ({ kind: 'body' as const, body })),
  fc.record({ kind: fc.constant('oversized' as const), length: fc.integer({ min: 0x1000, max: 30_000 }), fill: printable(8).filter((f) => f.length > 0 && !/[[\]]/.test(f)) }),
);

// ── materializing ───────────────────────────────────────────────────────────────────────────

const LF = Buffer.from([0x0a]);
const CR = Buffer.from([0x0d]);
/** The body (from the first `"` to the byte before <CR>) of an encoded frame. */
export const bodyOf = (frame: Buffer): string => frame.subarray(9, frame.length - 1).toString('latin1');

/** What the payload specs say the data of `event` means (SIA DC-03 / DC-05 examples). */
export function expectedPayload(event: Dc09EventSpec, account: string): Dc09Payload {
  switch (event.protocol) {
    case 'sia':
      return {
        kind: 'sia',
        sia: {
          account,
          isNew: true,
          modifiers: event.area !== undefined ? [{ name: 'ri', value: event.area }] : [],
          events: [{ code: event.code, rawCode: event.code, address: event.zone ?? '', kind: SIA_CODES[event.code].kind }],
        },
      };
    case 'cid': {
      const info = CONTACT_ID_EVENTS[event.code];
      return {
        kind: 'cid',
        cid: {
          account,
          qualifier: event.qualifier,
          code: event.code,
          rawCode: event.code,
          partition: event.partition,
          zoneOrUser: event.zone,
          isUser: 'user' in info,
          kind: event.qualifier === 3 ? info.restoreKind : info.kind,
        },
      };
    }
    case 'null':
      return { kind: 'null' };
  }
}

function build(spec: FrameSpec, sentAt: number): { frame: Dc09Frame; bytes: Buffer } {
  return buildMessage({
    account: spec.account,
    sequence: spec.sequence,
    event: spec.event,
    ...(spec.sendKey ? { key: spec.sendKey } : {}),
    ...(spec.receiver !== undefined ? { receiver: spec.receiver } : {}),
    line: spec.line,
    nowMs: sentAt,
    extended: spec.extended,
    timestamp: spec.timestamp,
    pad: (n) => Buffer.alloc(n, spec.pad),
  });
}

/** Re-encodes a built frame with one field changed (through the encoder, so CRC and length are right). */
function rebuild(frame: Dc09Frame, spec: FrameSpec, change: Partial<Dc09Frame>): Buffer {
  return encodeFrame({ ...frame, ...change }, spec.sendKey ? { key: spec.sendKey, pad: (n) => Buffer.alloc(n, spec.pad) } : {});
}

/** Applies `edit` to the body and wraps it again with a correct CRC and length. */
const rewrap = (bytes: Buffer, edit: (body: string) => string): Buffer => wrapBody(edit(bodyOf(bytes)));

function materializeFrame(r: FrameRecipe, now: number, keyFor: KeyFor): Materialized {
  const { spec, mutation: mu } = r;
  const sentAt = now + (mu.kind === 'stale' ? mu.skewMs : r.skewMs);
  const built = build(spec, sentAt);
  const bytes = built.bytes;
  const refuse = (reply: 'none' | 'duh' | 'nak', reason: Dc09RejectReason): Expectation => ({ kind: 'refuse', reply, reason });
  const receiverKey = keyFor(spec.account);
  const sameKey = spec.sendKey === undefined ? receiverKey === undefined : receiverKey !== undefined && spec.sendKey.equals(receiverKey);
  const text = bytes.toString('latin1');
  const quote = bodyOf(bytes).indexOf('"', 1);
  const hash = bodyOf(bytes).indexOf('#');
  const open = bodyOf(bytes).indexOf('[', hash);
  switch (mu.kind) {
    case 'none': {
      if (spec.sendKey !== undefined && receiverKey === undefined) return { bytes, expect: refuse('duh', 'no-key') };
      if (spec.sendKey === undefined && receiverKey !== undefined) return { bytes, expect: refuse('duh', 'encryption-required') };
      if (!sameKey) return { bytes, expect: { kind: 'not-ack' } };
      const stamped = built.frame.timestamp !== undefined;
      const message: Dc09Message = {
        frame: built.frame,
        payload: expectedPayload(spec.event, spec.account),
        quirks: spec.line === '' ? ['line-empty'] : [],
        ...(stamped ? { timestampMs: Math.floor(sentAt / 1000) * 1000 } : {}),
      };
      return { bytes, expect: { kind: 'ack', message } };
    }
    case 'crc': {
      const crc = mu.crc === text.slice(1, 5).toUpperCase() ? (parseInt(mu.crc, 16) ^ 1).toString(16).toUpperCase().padStart(4, '0') : mu.crc;
      return { bytes: Buffer.from(`\n${crc}${text.slice(5)}`, 'latin1'), expect: refuse('none', 'crc') };
    }
    case 'crc-not-hex': {
      const chars = [...text];
      chars[1 + mu.at] = mu.ch;
      return { bytes: Buffer.from(chars.join(''), 'latin1'), expect: refuse('duh', 'junk') };
    }
    case 'length': {
      const body = bodyOf(bytes);
      // Honest lengths (hex, or the tolerated decimal quirk) are not a mutation.
      const honest = (n: number) => n === body.length || n.toString(16).padStart(4, '0') === String(body.length).padStart(4, '0');
      let len = mu.len;
      while (honest(len)) len = (len + 1) & 0xffff;
      const field = len.toString(16).toUpperCase().padStart(4, '0');
      return { bytes: Buffer.from(`${text.slice(0, 5)}${field}${text.slice(9)}`, 'latin1'), expect: refuse('duh', 'length') };
    }
    case 'sequence':
      return { bytes: rewrap(bytes, (b) => `${b.slice(0, quote + 1)}${mu.text}${b.slice(quote + 5)}`), expect: refuse('duh', 'header') };
    case 'account':
      return { bytes: rewrap(bytes, (b) => `${b.slice(0, hash + 1)}${mu.text}${b.slice(open)}`), expect: refuse('duh', 'header') };
    case 'token':
      return { bytes: rewrap(bytes, (b) => `"${spec.sendKey ? '*' : ''}${mu.token}${b.slice(quote)}`), expect: refuse('duh', 'token') };
    case 'reply-token': {
      const frame: Dc09Frame = { ...built.frame, token: mu.token, encrypted: false, data: '', extended: [] };
      return { bytes: encodeFrame(frame), expect: refuse('duh', 'unexpected-token') };
    }
    case 'stale':
      return { bytes, expect: sameKey ? refuse('nak', 'timestamp') : { kind: 'not-ack' } };
    case 'bad-time':
      return { bytes: rebuild(built.frame, spec, { timestamp: mu.timestamp }), expect: sameKey ? refuse('duh', 'body') : { kind: 'not-ack' } };
    case 'truncate': {
      const keep = Math.min(mu.keep, bytes.length - 2);
      return { bytes: Buffer.concat([bytes.subarray(0, keep), mu.cr ? CR : Buffer.alloc(0)]), expect: { kind: 'not-ack' } };
    }
    case 'cipher-cut':
      return { bytes: rewrap(bytes, (b) => b.slice(0, b.length - mu.chars)), expect: sameKey ? refuse('duh', 'decrypt') : { kind: 'not-ack' } };
    case 'cipher-flip':
      // DC-09 encryption has no MAC (5.4): a flipped digit may still decrypt to a readable frame.
      return {
        bytes: rewrap(bytes, (b) => {
          const start = b.indexOf('[', hash) + 1;
          const at = start + (mu.at % (b.length - start));
          return `${b.slice(0, at)}${mu.digit}${b.slice(at + 1)}`;
        }),
        expect: { kind: 'any' },
      };
    case 'data':
      return { bytes: rebuild(built.frame, spec, { data: mu.data }), expect: { kind: 'any' } };
  }
}

function materializeNoise(r: NoiseRecipe): Materialized {
  switch (r.kind) {
    case 'bytes':
      return { bytes: Buffer.from(r.bytes), expect: { kind: 'any' } };
    case 'framed-bytes':
      return { bytes: Buffer.concat([LF, Buffer.from(r.bytes), CR]), expect: { kind: 'any' } };
    case 'body':
      return { bytes: wrapBody(r.body), expect: { kind: 'any' } };
    case 'oversized': {
      const body = `"SIA-DCS"0001L0#1234[${r.fill.repeat(Math.ceil(r.length / r.fill.length)).slice(0, r.length)}]`;
      const len = (body.length & 0xffff).toString(16).toUpperCase().padStart(4, '0');
      return { bytes: Buffer.concat([LF, Buffer.from(`${crc16Hex(body)}${len}${body}`, 'latin1'), CR]), expect: { kind: 'refuse', reply: 'duh', reason: 'length' } };
    }
  }
}

/** The bytes of a recipe for a receiver at `now` with keys `keyFor`, and what it must answer. */
export function materialize(r: Recipe, now: number, keyFor: KeyFor): Materialized {
  return r.kind === 'frame' ? materializeFrame(r, now, keyFor) : materializeNoise(r);
}

