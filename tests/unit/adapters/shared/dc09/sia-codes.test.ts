import { describe, expect, it } from 'vitest';
import { formatSiaData, isSiaCode, parseSiaData, SIA_CODES } from '../../../../../adapters/shared/dc09/sia-codes.js';

describe('SIA DC-03 data in SIA-DCS messages', () => {
  it('parses the DC-09-2013 example #12345A|NFA129', () => {
    expect(parseSiaData('#12345A|NFA129')).toStrictEqual({
      account: '12345A',
      isNew: true,
      modifiers: [],
      events: [{ code: 'FA', rawCode: 'FA', address: '129', kind: 'fire' }],
    });
  });

  it('parses area modifier + panic in both layouts seen in the wild', () => {
    const expected = {
      account: '1234',
      isNew: true,
      modifiers: [{ name: 'ri', value: '1' }],
      events: [{ code: 'PA', rawCode: 'PA', address: '501', kind: 'panic' }],
    };
    expect(parseSiaData('#1234|Nri1/PA501')).toStrictEqual(expected); // pysiaalarm fixtures
    expect(parseSiaData('#1234|Nri1PA501')).toStrictEqual(expected); // dc09_spt dc03event output
  });

  it('parses time modifiers, ^text^, ASCII blocks and unknown codes', () => {
    expect(parseSiaData('#0123|Nti20:50:26RP99')).toMatchObject({
      modifiers: [{ name: 'ti', value: '20:50:26' }],
      events: [{ code: 'RP', address: '99', kind: 'test-periodic' }],
    });
    expect(parseSiaData('#123456|Nri1CL0^VX FRONTE ^')).toMatchObject({
      events: [{ code: 'CL', address: '0', text: 'VX FRONTE ', kind: 'closing' }],
    });
    expect(parseSiaData('#1234|NRR|Atest')).toMatchObject({ events: [{ code: 'RR' }], asciiText: 'test' });
    expect(parseSiaData('|Nri2/JC12')).toMatchObject({ events: [{ code: undefined, rawCode: 'JC', kind: 'unknown' }] });
    expect(parseSiaData('#0000|Nri1/NP501')).toMatchObject({ events: [{ rawCode: 'NP', address: '501' }] });
  });

  it('refuses data without an event or with stray characters', () => {
    expect(typeof parseSiaData('')).toBe('string');
    expect(typeof parseSiaData('#1234|Nri1')).toBe('string');
    expect(typeof parseSiaData('#1234|N*PA1')).toBe('string');
  });

  it('has a closed vocabulary that round-trips through format/parse', () => {
    expect(isSiaCode('PA')).toBe(true);
    expect(isSiaCode('ZZ')).toBe(false);
    expect(isSiaCode('toString')).toBe(false);
    for (const code of Object.keys(SIA_CODES) as (keyof typeof SIA_CODES)[]) {
      const s = formatSiaData({ code, account: '1234', area: '1', address: '7' });
      expect(parseSiaData(s)).toStrictEqual({
        account: '1234',
        isNew: true,
        modifiers: [{ name: 'ri', value: '1' }],
        events: [{ code, rawCode: code, address: '7', kind: SIA_CODES[code].kind }],
      });
    }
    expect(formatSiaData({ code: 'RX' })).toBe('NRX');
  });
});
