/**
 * Property-based fuzzing of the GB/T 28181 codec (adapters/camera-gb28181): the SIP decoder for
 * any bytes and for mutated captures, round trips of generated messages, the TCP framer under any
 * segmentation, MANSCDP XML and Digest headers for any input, and a running adapter fed hostile
 * datagrams, which must keep answering and then still register a device. Valid messages must
 * decode to exactly what was encoded, so the properties cannot pass by refusing everything.
 */
import { createSocket } from 'node:dgram';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { credentialsOf, parseDigest } from '../../adapters/camera-gb28181/digest.js';
import { parseManscdp } from '../../adapters/camera-gb28181/manscdp.js';
import { SipStreamFramer } from '../../adapters/camera-gb28181/sip-framer.js';
import { parseSipDatagram, serializeSip, type SipMessage } from '../../adapters/camera-gb28181/sip-message.js';
import { isGatewayError } from '../../gateway/contract/errors.js';
import { startGbHarness } from '../integration/adapters/camera-gb28181/harness.js';
import { ALL_FIXTURES } from '../unit/adapters/camera-gb28181/fixtures.js';
import { expectNothingEscapes, FUZZ_RUNS, fuzzParams, fuzzTimeout } from './fuzz-support.js';

const FIXTURES = Object.values(ALL_FIXTURES);

/** Parses or refuses with the codec's own code; anything else is a bug. */
function parsesOrRefuses(bytes: Buffer): SipMessage | 'refused' {
  try {
    return parseSipDatagram(bytes);
  } catch (err) {
    if (!isGatewayError(err, 'GW_ERR_GB_SIP_MALFORMED')) throw err;
    return 'refused';
  }
}

/** A capture with a few bytes changed, cut or inserted. */
const mutated: fc.Arbitrary<Buffer> = fc
  .tuple(fc.constantFrom(...FIXTURES), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('set', 'cut', 'insert')), { minLength: 1, maxLength: 6 }))
  .map(([base, edits]) => {
    let b = Buffer.from(base);
    for (const [pos, byte, op] of edits) {
      const at = b.length === 0 ? 0 : pos % b.length;
      if (op === 'set') b[at] = byte;
      else if (op === 'cut') b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]);
      else b = Buffer.concat([b.subarray(0, at), Buffer.from([byte]), b.subarray(at)]);
    }
    return b;
  });

const token = fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,15}$/);
const headerValue = fc.stringMatching(/^[\x21-\x7e]([\x20-\x7e]{0,40}[\x21-\x7e])?$/);
const gbId = fc.stringMatching(/^\d{20}$/);

// fast-check builds records without a prototype: plain objects, as the parser makes them.
const plain = (m: SipMessage): SipMessage => ({ ...m, headers: m.headers.map((h) => ({ name: h.name, value: h.value })) });

const message: fc.Arbitrary<SipMessage> = fc.oneof(
  fc.record({
    kind: fc.constant('request' as const),
    method: fc.constantFrom('REGISTER', 'MESSAGE', 'NOTIFY', 'INVITE', 'BYE', 'ACK', 'SUBSCRIBE', 'OPTIONS'),
    uri: gbId.map((id) => `sip:${id}@3402000000`),
    headers: fc.array(fc.record({ name: token.filter((n) => !['content-length', 'l'].includes(n.toLowerCase())), value: headerValue }), { maxLength: 8 }),
    body: fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
  }),
  fc.record({
    kind: fc.constant('response' as const),
    status: fc.integer({ min: 100, max: 699 }),
    reason: fc.stringMatching(/^[A-Za-z][A-Za-z ]{0,20}[A-Za-z]$/),
    headers: fc.array(fc.record({ name: token.filter((n) => !['content-length', 'l'].includes(n.toLowerCase())), value: headerValue }), { maxLength: 8 }),
    body: fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
  }),
).map(plain);

const withLength = (m: SipMessage): SipMessage => ({ ...m, headers: [...m.headers, { name: 'Content-Length', value: String(m.body.length) }] });

describe('fuzz: GB/T 28181 SIP codec', () => {
  expectNothingEscapes();

  it(
    'decodes any bytes and any mutated capture to a message or its coded refusal',
    () => {
      fc.assert(
        fc.property(fc.oneof(mutated, fc.uint8Array({ maxLength: 600 }).map((a) => Buffer.from(a))), (bytes) => {
          const r = parsesOrRefuses(bytes);
          if (r !== 'refused') expect(r.body.length).toBeLessThanOrEqual(bytes.length);
        }),
        fuzzParams(),
      );
    },
    fuzzTimeout(0.05),
  );

  it(
    'round-trips generated messages exactly (serialised, then parsed)',
    () => {
      fc.assert(
        fc.property(message, (m) => {
          expect(parseSipDatagram(serializeSip(m))).toStrictEqual(withLength(m));
        }),
        fuzzParams(),
      );
    },
    fuzzTimeout(0.05),
  );

  it(
    'splits a TCP stream of messages and CRLF pings into the same messages, however it is cut',
    () => {
      fc.assert(
        fc.property(fc.array(fc.tuple(message, fc.boolean()), { minLength: 1, maxLength: 5 }), fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 1, maxLength: 20 }), (msgs, cuts) => {
          const stream = Buffer.concat(msgs.flatMap(([m, ping]) => [serializeSip(m), ...(ping ? [Buffer.from('\r\n\r\n')] : [])]));
          const framer = new SipStreamFramer();
          const got: SipMessage[] = [];
          let at = 0;
          for (let i = 0; at < stream.length; i++) {
            const n = cuts[i % cuts.length] as number;
            got.push(...framer.push(stream.subarray(at, at + n)));
            at += n;
          }
          expect(got).toStrictEqual(msgs.map(([m]) => withLength(m)));
        }),
        fuzzParams(Math.ceil(FUZZ_RUNS / 4)),
      );
    },
    fuzzTimeout(0.2),
  );

  it(
    'reads any MANSCDP body and any Digest header to a value or a coded refusal',
    () => {
      const xml = fc.oneof(
        fc.string({ maxLength: 300 }),
        fc.constantFrom(...FIXTURES.map((f) => parsesOrRefuses(f))).chain((m) =>
          fc.tuple(fc.constant(m === 'refused' ? '' : m.body.toString('latin1')), fc.nat(), fc.string({ maxLength: 3 })).map(([b, pos, ins]) => b.slice(0, pos % (b.length + 1)) + ins + b.slice(pos % (b.length + 1))),
        ),
      );
      fc.assert(
        fc.property(xml, fc.string({ maxLength: 200 }), (body, digest) => {
          try {
            parseManscdp(Buffer.from(body, 'latin1'));
          } catch (err) {
            if (!isGatewayError(err, 'GW_ERR_GB_XML_MALFORMED')) throw err;
          }
          const fields = parseDigest(`Digest ${digest}`);
          if (fields) credentialsOf(fields);
        }),
        fuzzParams(),
      );
    },
    fuzzTimeout(0.05),
  );

  it(
    'a running adapter fed hostile datagrams answers or counts each, and still registers a device afterwards',
    async () => {
      const h = await startGbHarness();
      const sock = createSocket('udp4');
      await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
      try {
        const hostile: fc.Arbitrary<Buffer> = fc.oneof(mutated, fc.uint8Array({ maxLength: 600 }).map((a) => Buffer.from(a)));
        const seed = fuzzParams().seed;
        const samples = fc.sample(hostile, { numRuns: Math.min(2000, FUZZ_RUNS), ...(seed !== undefined ? { seed } : {}) });
        for (const [i, s] of samples.entries()) {
          sock.send(s, h.adapter.port, '127.0.0.1');
          // A pause now and then keeps the socket's receive buffer from overflowing.
          if (i % 50 === 49) await new Promise((r) => setTimeout(r, 5));
        }
        const nvr = h.nvr();
        expect(await nvr.start()).toBe(200);
        expect(h.ctx.rejects.every((r) => r.reason.startsWith('gb-') || r.reason === 'refused-by-core')).toBe(true);
      } finally {
        await new Promise<void>((r) => sock.close(() => r()));
        await h.close();
      }
    },
    60_000,
  );
});
