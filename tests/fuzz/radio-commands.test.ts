/**
 * Property-based fuzzing of the one payload that travels the other way: the gateway's commands
 * to a radio dispatch gateway on campus/v1/{siteId}/{radioId}/cmd (adapters/radio/codec.ts
 * decodeCommand, which the radio gateway simulator runs on everything it receives). Valid
 * commands round-trip; a broken field is refused naming it; nothing throws.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeCommand, encodeCommand, type RadioCommand } from '../../adapters/radio/codec.js';
import { fuzzParams, fuzzTimeout, expectNothingEscapes } from './fuzz-support.js';
import { awkwardFragment, deepPayload, jsonish, protoObject, randomBytes, withRawField } from './hostile-json.js';
import { text } from './mqtt-native-cases.js';

const nat = fc.maxSafeNat();
const tx = fc.record({
  op: fc.constant('tx' as const),
  id: text(128, 1),
  attempt: fc.integer({ min: 1, max: 2 ** 31 }),
  talkgroups: fc.array(text(64, 1), { minLength: 1, maxLength: 40 }),
  text: text(2000, 1),
  speech: text(500),
  priority: fc.constantFrom('emergency' as const, 'normal' as const),
  rollCall: fc.boolean(),
  validUntil: nat,
  at: nat,
});
const ping = fc.record({ op: fc.constant('ping' as const), id: text(128, 1), at: nat });
const command: fc.Arbitrary<RadioCommand> = fc.oneof(tx, ping);

const long = (n: number) => JSON.stringify('w'.repeat(n));
const BAD: Record<string, string[]> = {
  id: ['""', long(129), '1', 'null', '[]'],
  attempt: ['0', '-1', '1.5', '"1"', 'null'],
  talkgroups: ['[]', '[""]', `[${long(65)}]`, '"tg"', '[1]', `[${Array.from({ length: 1001 }, () => '"t"').join(',')}]`],
  text: ['""', long(2001), '1', 'null'],
  speech: [long(501), '1', 'null'],
  priority: ['"urgent"', '1', 'null'],
  rollCall: ['"true"', '1', 'null'],
  validUntil: ['-1', '1.5', '"0"', '1e999'],
  at: ['-1', '1.5', '"0"', '1e999', 'null'],
};

describe('fuzz: radio commands (gateway → radio dispatch gateway)', () => {
  expectNothingEscapes();

  it(
    'decodeCommand: valid commands round-trip, a broken field is refused by name, noise never throws',
    () => {
      const mutated = command.chain((c) =>
        fc
          .constantFrom(...Object.keys(c).filter((k) => k !== 'op'))
          .chain((field) => fc.constantFrom(...(BAD[field] as string[])).map((fragment) => ({ c, field, fragment }))),
      );
      const unknownField = fc.tuple(command, fc.stringMatching(/^[a-z][a-zA-Z]{0,8}$/), awkwardFragment).filter(([c, k]) => !(k in c));
      const noise = fc.oneof(randomBytes, jsonish.map((s) => Buffer.from(s)), protoObject.map((s) => Buffer.from(s)), deepPayload.map((s) => Buffer.from(s)));
      fc.assert(
        fc.property(fc.oneof(command.map((c) => ({ kind: 'valid' as const, c })), mutated.map((m) => ({ kind: 'mutated' as const, ...m })), unknownField.map(([c, field, fragment]) => ({ kind: 'mutated' as const, c, field, fragment })), noise.map((payload) => ({ kind: 'noise' as const, payload }))), (x) => {
          if (x.kind === 'valid') {
            expect(decodeCommand(Buffer.from(encodeCommand(x.c)))).toStrictEqual({ ok: true, value: JSON.parse(encodeCommand(x.c)) as unknown });
          } else if (x.kind === 'mutated') {
            const r = decodeCommand(Buffer.from(withRawField(x.c as unknown as Record<string, unknown>, x.field, x.fragment)));
            expect(r.ok).toBe(false);
            if (!r.ok) expect({ reason: r.reason, named: r.detail.startsWith(`/${x.field}`) }).toStrictEqual({ reason: 'schema', named: true });
          } else {
            const r = decodeCommand(x.payload);
            if (!r.ok) expect(['too-large', 'too-deep', 'not-json', 'schema']).toContain(r.reason);
            else expect(['tx', 'ping']).toContain(r.value.op);
          }
        }),
        fuzzParams(),
      );
    },
    fuzzTimeout(3),
  );
});
