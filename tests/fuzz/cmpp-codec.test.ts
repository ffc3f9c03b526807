/**
 * Property-based fuzzing of the CMPP codec (adapters/sms-cmpp): valid PDUs of both versions
 * round-trip exactly, any bytes decode to a PDU or a stated refusal (never a throw), whatever
 * decodes re-encodes to itself, the frame decoder finds the same frames under any TCP
 * segmentation, and the text and status-report readers take any bytes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodePdu, decodeStatusReport, encodePdu } from '../../adapters/sms-cmpp/cmpp-codec.js';
import { FrameDecoder } from '../../adapters/sms-cmpp/cmpp-framer.js';
import { decodeMo, segmentMt } from '../../adapters/sms-cmpp/cmpp-text.js';
import { mutate, mutation, pdu, version } from './cmpp-cases.js';
import { expectNothingEscapes, fuzzParams, fuzzTimeout } from './fuzz-support.js';

const withVersion = version.chain((v) => fc.tuple(fc.constant(v), pdu(v)));

describe('fuzz: CMPP codec', () => {
  expectNothingEscapes();

  it(
    'valid PDUs of 2.0 and 3.0 encode and decode back to themselves',
    () => {
      fc.assert(
        fc.property(withVersion, ([v, p]) => {
          expect(decodePdu(encodePdu(p, v), v)).toStrictEqual({ ok: true, pdu: p });
        }),
        fuzzParams(),
      );
    },
    fuzzTimeout(1),
  );

  it(
    'any bytes: a PDU or a refusal with its reason, never a throw; what decodes re-encodes to the same PDU',
    () => {
      const frame = fc.oneof(
        withVersion.chain(([v, p]) => mutation.map((m) => [v, mutate(encodePdu(p, v), m)] as const)),
        fc.tuple(version, fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b))),
      );
      fc.assert(
        fc.property(frame, ([v, bytes]) => {
          const d = decodePdu(bytes, v);
          if (!d.ok) {
            expect(typeof d.detail === 'string' && d.detail.length > 0).toBe(true);
            return;
          }
          expect(decodePdu(encodePdu(d.pdu, v), v)).toStrictEqual({ ok: true, pdu: d.pdu });
        }),
        fuzzParams(),
      );
    },
    fuzzTimeout(1),
  );

  it(
    'the frame decoder yields the same frames under any segmentation of the stream',
    () => {
      const stream = version.chain((v) => fc.array(pdu(v), { minLength: 1, maxLength: 8 }).map((ps) => ps.map((p) => encodePdu(p, v))));
      fc.assert(
        fc.property(stream, fc.array(fc.nat(2000), { maxLength: 12 }), (frames, cuts) => {
          const all = Buffer.concat(frames);
          const points = [...new Set(cuts.map((c) => c % (all.length + 1)))].sort((a, b) => a - b);
          const d = new FrameDecoder();
          const got: string[] = [];
          let from = 0;
          for (const at of [...points, all.length]) {
            const out = d.push(all.subarray(from, at));
            expect(out.error).toBeUndefined();
            got.push(...out.frames.map((f) => f.toString('hex')));
            from = at;
          }
          expect(got).toStrictEqual(frames.map((f) => f.toString('hex')));
          expect(d.buffered).toBe(0);
        }),
        fuzzParams(),
      );
    },
    fuzzTimeout(1),
  );

  it(
    'status reports, replies and long texts: any bytes are read, any text is split and joined back',
    () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 300 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.string({ unit: 'binary', minLength: 1, maxLength: 400 }), (raw, fmt, udhi, text) => {
          const b = Buffer.from(raw);
          const r = decodeStatusReport(b);
          expect(r.ok || r.detail.length > 0).toBe(true);
          expect(typeof decodeMo(b, fmt, udhi).text).toBe('string');
          const parts = segmentMt(text, 0x42);
          expect(parts.every((p) => p.content.length <= 140 && p.total === parts.length)).toBe(true);
          expect(parts.map((p) => decodeMo(p.content, p.msgFmt, p.tpUdhi).text).join('')).toBe(text);
        }),
        fuzzParams(),
      );
    },
    fuzzTimeout(4),
  );
});
