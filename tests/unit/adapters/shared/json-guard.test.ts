import { describe, expect, it } from 'vitest';
import { jsonNestingExceeds, MAX_JSON_DEPTH } from '../../../../adapters/shared/json-guard.js';

const nested = (n: number) => '['.repeat(n) + ']'.repeat(n);

describe('jsonNestingExceeds', () => {
  it('counts arrays and objects inside one another, up to the limit inclusive', () => {
    expect(jsonNestingExceeds(nested(MAX_JSON_DEPTH))).toBe(false);
    expect(jsonNestingExceeds(nested(MAX_JSON_DEPTH + 1))).toBe(true);
    expect(jsonNestingExceeds('{"a":{"b":[1,{"c":2}]}}', 4)).toBe(false);
    expect(jsonNestingExceeds('{"a":{"b":[1,{"c":2}]}}', 3)).toBe(true);
    // Siblings do not add up.
    expect(jsonNestingExceeds('[[1],[2],[3],[4]]', 2)).toBe(false);
  });

  it('ignores brackets inside strings, escaped quotes included (RFC 8259 §7)', () => {
    expect(jsonNestingExceeds(JSON.stringify({ a: '[[[[{{{{', b: 'say \\"[[[[' }), 1)).toBe(false);
    expect(jsonNestingExceeds('["\\\\", [[1]]]', 2)).toBe(true);
  });

  it('stops at the limit on an unterminated run instead of scanning a megabyte of brackets', () => {
    expect(jsonNestingExceeds('{"a":['.repeat(1_000_000))).toBe(true);
    expect(jsonNestingExceeds('online')).toBe(false);
  });
});
