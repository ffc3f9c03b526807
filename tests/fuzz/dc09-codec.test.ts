/**
 * Property-based fuzzing of the SIA DC-09 codec (adapters/alarm-centre-dc09): the receiver's
 * decision for any bytes (decideReply: decodeFrame, decryption, timestamps, SIA/CID payloads),
 * the transmitter's reading of any reply (parseReply), and the stream splitter under any TCP
 * segmentation. Valid frames are built with the project's own encoder and must decode to
 * exactly what was encoded, so the properties cannot pass by refusing everything.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeFrame, type Dc09Frame } from '../../adapters/shared/dc09/dc09-frame.js';
import { splitFrames, type SplitItem } from '../../adapters/shared/dc09/dc09-framer.js';
import { buildAck, buildDuh, buildNak, decideReply, type Dc09Decision, type Dc09RejectReason } from '../../adapters/shared/dc09/dc09-receiver-logic.js';
import { formatDc09Timestamp } from '../../adapters/shared/dc09/dc09-time.js';
import { parseReply } from '../../adapters/shared/dc09/dc09-transmitter-logic.js';
import { aesKey, frameRecipe, frameSpec, materialize, noiseRecipe, type KeyFor, type Recipe } from './dc09-cases.js';
import { fuzzParams, fuzzTimeout, expectNothingEscapes } from './fuzz-support.js';

const REASONS: Dc09RejectReason[] = ['framing', 'crc', 'length', 'header', 'token', 'no-key', 'decrypt', 'body', 'junk', 'timestamp', 'encryption-required', 'unexpected-token', 'payload', 'handler-failed'];
const fixedPad = (n: number) => Buffer.alloc(n, 'k');
const second = (ms: number) => Math.floor(ms / 1000) * 1000;
/** Receiver clocks from 2001 to 2098 (the DC-09 timestamp has a four-digit year). */
const receiverNow = fc.integer({ min: Date.UTC(2001, 0, 1), max: Date.UTC(2098, 0, 1) });
const randomAccount = fc.record({ account: fc.stringMatching(/^[0-9A-F]{3,16}$/), key: fc.option(aesKey, { nil: undefined }) }, { requiredKeys: ['account'] });

/** How the receiver is keyed for the sender's account: as the sender, not at all, or wrongly. */
type Keying = 'same' | 'none' | 'other';
const keying: fc.Arbitrary<Keying> = fc.oneof({ weight: 10, arbitrary: fc.constant('same' as const) }, fc.constant('none' as const), fc.constant('other' as const));

function keyFor(r: Recipe, mode: Keying, other: Buffer): KeyFor {
  if (r.kind !== 'frame') return mode === 'other' ? () => other : () => undefined;
  const send = r.spec.sendKey;
  const k = mode === 'same' ? send : mode === 'other' ? (send?.equals(other) ? Buffer.from(other.map((b) => b ^ 0xff)) : other) : undefined;
  return (account) => (account === r.spec.account ? k : undefined);
}

/** Every refusal is explained, and every reply the receiver sends is itself a valid DC-09 frame. */
function expectSane(d: Dc09Decision, keys: KeyFor): void {
  expect(['ack', 'nak', 'duh', 'none']).toContain(d.reply);
  if (d.reply === 'ack') {
    const key = keys(d.message.frame.account);
    const back = parseReply(d.response, { sequence: d.message.frame.sequence, account: d.message.frame.account, ...(key ? { key } : {}) });
    expect(back.ok && back.reply).toBe('ack');
    return;
  }
  expect(REASONS).toContain(d.reason);
  expect(typeof d.detail === 'string' && d.detail.length > 0).toBe(true);
  if (d.reply === 'none') return;
  const reply = decodeFrame(d.response);
  expect(reply.ok && reply.frame.token).toBe(d.reply === 'nak' ? 'NAK' : 'DUH');
}

describe('fuzz: SIA DC-09 codec', () => {
  expectNothingEscapes();

  it(
    'decideReply: valid frames round-trip to the encoded message and an ACK; broken ones get the reply DC-09 prescribes',
    () => {
      const recipe: fc.Arbitrary<Recipe> = fc.oneof({ weight: 4, arbitrary: frameRecipe(randomAccount) }, { weight: 1, arbitrary: noiseRecipe });
      fc.assert(
        fc.property(recipe, receiverNow, keying, aesKey, (r, now, mode, other) => {
          const keys = keyFor(r, mode, other);
          const m = materialize(r, now, keys);
          const d = decideReply(m.bytes, now, { keys, pad: fixedPad });
          expectSane(d, keys);
          const x = m.expect;
          if (x.kind === 'ack') {
            expect(d.reply).toBe('ack');
            if (d.reply !== 'ack') return;
            expect(d.message).toStrictEqual(x.message);
            const f = x.message.frame;
            const key = keys(f.account);
            const ack: Dc09Frame = {
              token: 'ACK',
              encrypted: f.encrypted,
              sequence: f.sequence,
              ...(f.receiver !== undefined ? { receiver: f.receiver } : {}),
              ...(f.line !== undefined ? { line: f.line } : {}),
              account: f.account,
              data: '',
              extended: [],
              ...(f.encrypted ? { timestamp: formatDc09Timestamp(now) } : {}),
            };
            expect(parseReply(d.response, { sequence: f.sequence, account: f.account, ...(key ? { key } : {}) })).toStrictEqual({
              ok: true,
              reply: 'ack',
              frame: ack,
              ...(f.encrypted ? { receiverTimeMs: second(now) } : {}),
            });
          } else if (x.kind === 'refuse') {
            expect({ reply: d.reply, reason: d.reply === 'ack' ? undefined : d.reason }).toStrictEqual({ reply: x.reply, reason: x.reason });
            if (d.reply === 'nak') expect(parseReply(d.response, { sequence: 0, account: '0' })).toMatchObject({ ok: true, reply: 'nak', receiverTimeMs: second(now) });
          } else if (x.kind === 'not-ack') {
            expect(d.reply).not.toBe('ack');
          }
        }),
        fuzzParams(),
      );
    },
    fuzzTimeout(3),
  );

  it(
    'parseReply: the transmitter reads ACK/NAK/DUH it is owed and ignores, with a reason, anything else',
    () => {
      type ReplyCase =
        | { kind: 'ack' | 'ack-other-seq' | 'ack-plain-for-keyed' | 'ack-bad-crc' | 'duh' | 'duh-anonymous' | 'nak'; spec: Parameters<typeof buildAck>[0] & { key?: Buffer } }
        | { kind: 'noise'; recipe: Recipe };
      const spec = frameSpec(randomAccount).map((s) => ({
        token: 'SIA-DCS' as const,
        encrypted: s.sendKey !== undefined,
        sequence: s.sequence,
        ...(s.receiver !== undefined ? { receiver: s.receiver } : {}),
        line: s.line,
        account: s.account,
        data: '',
        extended: [],
        ...(s.sendKey ? { key: s.sendKey } : {}),
      }));
      const replyCase: fc.Arbitrary<ReplyCase> = fc.oneof(
        fc.tuple(fc.constantFrom('ack', 'ack-other-seq', 'ack-plain-for-keyed', 'ack-bad-crc', 'duh', 'duh-anonymous', 'nak') as fc.Arbitrary<Exclude<ReplyCase['kind'], 'noise'>>, spec).map(([kind, s]) => ({ kind, spec: s })),
        fc.oneof(frameRecipe(randomAccount), noiseRecipe).map((recipe) => ({ kind: 'noise' as const, recipe })),
      );
      fc.assert(
        fc.property(replyCase, receiverNow, (c, now) => {
          if (c.kind === 'noise') {
            const m = materialize(c.recipe, now, () => undefined);
            const key = c.recipe.kind === 'frame' ? c.recipe.spec.sendKey : undefined;
            const seq = c.recipe.kind === 'frame' ? c.recipe.spec.sequence : 1;
            const account = c.recipe.kind === 'frame' ? c.recipe.spec.account : '1234';
            const r = parseReply(m.bytes, { sequence: seq, account, ...(key ? { key } : {}) });
            // A panel's message is never taken for a receiver's reply.
            if (r.ok) expect(['ack', 'nak', 'duh']).toContain(r.reply);
            else expect(r.detail.length).toBeGreaterThan(0);
            if (c.recipe.kind === 'frame' && c.recipe.mutation.kind !== 'reply-token' && c.recipe.mutation.kind !== 'token') expect(r.ok).toBe(false);
            return;
          }
          const { key, ...frame } = c.spec;
          const expectation = { sequence: frame.sequence, account: frame.account, ...(key ? { key } : {}) };
          const ackFor = (f: Dc09Frame, k: Buffer | undefined) => buildAck(f, now, k, fixedPad);
          switch (c.kind) {
            case 'ack': {
              const r = parseReply(ackFor(frame, key), expectation);
              expect(r.ok && [r.reply, r.frame.sequence, r.frame.account, r.receiverTimeMs]).toStrictEqual(['ack', frame.sequence, frame.account, key ? second(now) : undefined]);
              return;
            }
            case 'ack-other-seq': {
              const r = parseReply(ackFor({ ...frame, sequence: (frame.sequence % 9999) + 1 }, key), expectation);
              expect(r).toMatchObject({ ok: false, error: 'mismatch' });
              return;
            }
            case 'ack-plain-for-keyed': {
              const r = parseReply(ackFor({ ...frame, encrypted: false }, undefined), { ...expectation, key: key ?? Buffer.alloc(16, 1) });
              expect(r).toMatchObject({ ok: false, error: 'unencrypted-ack' });
              return;
            }
            case 'ack-bad-crc': {
              const bytes = Buffer.from(ackFor(frame, key));
              bytes[1] = bytes[1] === 0x30 ? 0x31 : 0x30;
              expect(parseReply(bytes, expectation)).toMatchObject({ ok: false, error: 'crc' });
              return;
            }
            case 'duh':
              expect(parseReply(buildDuh({ ...frame, token: 'SIA-DCS' }), expectation)).toMatchObject({ ok: true, reply: 'duh' });
              return;
            case 'duh-anonymous':
              expect(parseReply(buildDuh(), expectation)).toMatchObject({ ok: true, reply: 'duh' });
              return;
            case 'nak':
              expect(parseReply(buildNak(now), expectation)).toMatchObject({ ok: true, reply: 'nak', receiverTimeMs: second(now) });
              return;
          }
        }),
        fuzzParams(),
      );
    },
    fuzzTimeout(2),
  );

  it(
    'splitFrames: any TCP segmentation yields the same frames and junk, in stream order, as one read',
    () => {
      const piece = fc.oneof({ weight: 1, arbitrary: frameRecipe(randomAccount) }, { weight: 2, arbitrary: noiseRecipe.filter((n) => n.kind !== 'oversized') });
      fc.assert(
        fc.property(fc.array(piece, { minLength: 1, maxLength: 4 }), receiverNow, fc.array(fc.nat(), { maxLength: 8 }), (pieces, now, cuts) => {
          const stream = Buffer.concat(pieces.map((p) => materialize(p, now, () => undefined).bytes));
          const whole = splitFrames(stream);
          const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
          const items: SplitItem[] = [];
          let pending: Buffer = Buffer.alloc(0);
          let from = 0;
          for (const to of [...points, stream.length]) {
            const r = splitFrames(Buffer.concat([pending, stream.subarray(from, to)]));
            items.push(...r.items);
            pending = r.rest;
            from = to;
          }
          // Filler bytes (NUL, blanks, CR/LF) alone at a segment's end are dropped, so junk is
          // compared without them: what matters is one DUH per junk run, in its place.
          const solid = (b: Buffer) => Buffer.from(b.filter((x) => ![0, 9, 10, 13, 32].includes(x))).toString('latin1');
          const text = (xs: SplitItem[]) => xs.map((i) => `${i.kind}:${i.kind === 'junk' ? solid(i.bytes) : i.bytes.toString('latin1')}`);
          expect(text(items)).toStrictEqual(text(whole.items));
          expect(solid(pending)).toBe(solid(whole.rest));
          expect(whole.items.filter((i) => i.kind === 'frame').map((i) => i.bytes)).toStrictEqual(whole.frames);
        }),
        fuzzParams(),
      );
    },
    fuzzTimeout(2),
  );
});
