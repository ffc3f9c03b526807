/**
 * Generators of hostile device payloads, shared by the MQTT fuzz files: random bytes, random
 * text, deep nesting, oversized payloads, prototype-pollution keys, and one field of a valid
 * payload replaced by a raw JSON fragment (wrong type, out of range, huge, unicode, NaN-like).
 */
import fc from 'fast-check';

/** Keys that pollute or confuse a careless `obj[key] = …` or `Object.assign`. */
export const PROTO_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', '__defineGetter__', '__lookupSetter__'] as const;

/** Raw JSON fragments that are not valid JSON: the payload becomes unparseable. */
export const INVALID_FRAGMENTS = ['NaN', '-NaN', 'Infinity', '-Infinity', 'undefined', '0x10', '+1', '.5', '01', "'x'", '"\u0001"', '{', ']', ''] as const;

/** Valid JSON fragments of every type, including NaN-like strings and numbers that overflow. */
export const awkwardFragment: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    'null',
    'true',
    'false',
    '0',
    '-0',
    '-1',
    '1e999',
    '-1e999',
    '1e-999',
    '4294967296',
    '9007199254740993',
    '-9007199254740993',
    '1.5',
    '"NaN"',
    '"Infinity"',
    '"-1"',
    '"1e999"',
    '""',
    '"\\u0000"',
    '"\\ud800"',
    '"💥😀"',
    '"一键报警"',
    '"\\u202e"',
    '[]',
    '{}',
    '[1]',
    '{"a":1}',
    '{"__proto__":{"polluted":true}}',
    '{"constructor":{"prototype":{"polluted":true}}}',
  ),
  fc.double().map((d) => (Number.isFinite(d) ? JSON.stringify(d) : '1e999')),
  fc.integer({ min: -(2 ** 53), max: 2 ** 53 }).map(String),
  fc.string({ unit: 'binary', maxLength: 40 }).map((s) => JSON.stringify(s)),
  fc.integer({ min: 257, max: 4000 }).map((n) => JSON.stringify('x'.repeat(n))),
  fc.integer({ min: 30, max: 400 }).map((n) => '9'.repeat(n)),
);

/** `[[[…]]]`, `{"a":{"a":…}}` or an unbalanced mix, `depth` levels. */
export const deepNesting = (depth: number, shape: 'array' | 'object' | 'mixed' | 'unclosed'): string => {
  switch (shape) {
    case 'array':
      return '['.repeat(depth) + ']'.repeat(depth);
    case 'object':
      return '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
    case 'mixed':
      return '[{"a":'.repeat(depth) + 'null' + '}]'.repeat(depth);
    case 'unclosed':
      return '{"a":['.repeat(depth);
  }
};

export const deepPayload: fc.Arbitrary<string> = fc
  .tuple(fc.integer({ min: 17, max: 12_000 }), fc.constantFrom('array', 'object', 'mixed', 'unclosed') as fc.Arbitrary<'array' | 'object' | 'mixed' | 'unclosed'>, fc.boolean())
  .map(([depth, shape, wrapped]) => (wrapped ? `{"type":"press","x":${deepNesting(depth, shape)}}` : deepNesting(depth, shape)));

export const randomBytes: fc.Arbitrary<Buffer> = fc.uint8Array({ maxLength: 600 }).map((b) => Buffer.from(b));

/** Text that looks a little like JSON: brackets, quotes, keys and numbers in random order. */
export const jsonish: fc.Arbitrary<string> = fc
  .array(fc.constantFrom('{', '}', '[', ']', '"', ':', ',', '"type"', '"press"', '"at"', '1', '-', 'e', 'null', 'true', ' ', '\\', '"__proto__"'), { maxLength: 60 })
  .map((parts) => parts.join(''));

/** JSON objects built from pollution keys, nested a little. */
export const protoObject: fc.Arbitrary<string> = fc
  .dictionary(fc.constantFrom(...PROTO_KEYS, 'type', 'battery', 'sim', 'status'), fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constant({ polluted: true })), { maxKeys: 4 })
  .map((o) => {
    // JSON.stringify drops a `__proto__` set through assignment; write it as an own key by hand.
    const parts = Object.entries(o).map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`);
    return `{${parts.join(',')}${parts.length ? ',' : ''}"__proto__":{"polluted":true}}`;
  });

/** The text of `obj` with the value of `key` replaced by `fragment` (raw JSON text, so NaN-like and overflowing literals survive). */
export function withRawField(obj: Record<string, unknown>, key: string, fragment: string): string {
  const parts = Object.entries(obj)
    .filter(([k]) => k !== key)
    .map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`);
  parts.push(`${JSON.stringify(key)}:${fragment}`);
  return `{${parts.join(',')}}`;
}

/** Valid JSON text at least `minBytes` long (pads a `pad` field). */
export function oversized(obj: Record<string, unknown>, minBytes: number): string {
  const base = JSON.stringify(obj).length;
  return JSON.stringify({ ...obj, pad: 'x'.repeat(Math.max(0, minBytes - base + 1)) });
}

/** Never in Object.prototype: a payload that polluted it would show here. */
export function assertNoPollution(): void {
  const proto = Object.prototype as Record<string, unknown>;
  if ('polluted' in proto || '__fuzz' in proto) throw new Error('Object.prototype was polluted');
}
