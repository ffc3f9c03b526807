import { describe, expect, it } from 'vitest';
import { crc16Arc, crc16Hex } from '../../../../../adapters/shared/dc09/crc16.js';
import { FIXTURES } from './fixtures.js';

describe('crc16 (CRC-16/ARC, SIA DC-09 5.5.1.2)', () => {
  it('has the catalogued CRC-16/ARC check value over "123456789"', () => {
    expect(crc16Arc('123456789')).toBe(0xbb3d);
  });

  it('is 0 over nothing and formats as 4 upper-case hex digits', () => {
    expect(crc16Arc('')).toBe(0);
    expect(crc16Hex('')).toBe('0000');
    expect(crc16Hex(Buffer.from('"SIA-DCS"0001L0#1234[]'))).toBe('96ED');
  });

  it.each(
    Object.entries(FIXTURES).filter(([name]) => name !== 'pysiaBadCrc'),
  )('matches the CRC field of fixture %s', (_name, wire) => {
    expect(crc16Hex(wire.slice(8))).toBe(wire.slice(0, 4));
  });

  it('does not match the corrupted pysiaalarm fixture', () => {
    expect(crc16Hex(FIXTURES.pysiaBadCrc.slice(8))).toBe('B7C9');
  });
});
