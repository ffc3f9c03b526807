import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gsm7Decode } from '../../../../adapters/sms-smpp/gsm7.js';
import { chooseEncoding, concatUdh, segment, unitLength } from '../../../../adapters/sms-smpp/segmenter.js';

/** Text of a part as a handset would show it: UDH skipped, user data decoded. */
function partText(sm: Buffer, dataCoding: number): string {
  const ud = sm[0] === 0x05 && sm[1] === 0x00 && sm[2] === 0x03 ? sm.subarray(6) : sm;
  return dataCoding === 0x08 ? Buffer.from(ud).swap16().toString('utf16le') : gsm7Decode(ud);
}

describe('encoding choice', () => {
  it('uses GSM 7-bit for GSM text and UCS-2 for Chinese or anything else', () => {
    // 'é' is in the default alphabet (0x05), 'ï' is not.
    expect(['Gate closed', '城东区', 'naïve', 'Café', '€ {x}'].map(chooseEncoding)).toStrictEqual(['gsm7', 'ucs2', 'ucs2', 'gsm7', 'gsm7']);
  });

  it('counts extension characters as two septets and UCS-2 in UTF-16 code units', () => {
    expect([unitLength('a€', 'gsm7'), unitLength('校门🚨', 'ucs2')]).toStrictEqual([3, 4]);
  });
});

describe('segment()', () => {
  it('keeps up to 160 septets or 70 UCS-2 characters in one part without UDH', () => {
    const gsm = segment('x'.repeat(160), 1);
    const zh = segment('校'.repeat(70), 1);
    expect([gsm.parts.length, gsm.parts[0]?.esmClass, gsm.parts[0]?.dataCoding, gsm.parts[0]?.shortMessage.length]).toStrictEqual([1, 0, 0x00, 160]);
    expect([zh.parts.length, zh.parts[0]?.esmClass, zh.parts[0]?.dataCoding, zh.parts[0]?.shortMessage.length]).toStrictEqual([1, 0, 0x08, 140]);
  });

  it('splits 161 septets into 153 + 8 with the 8-bit reference concatenation UDH', () => {
    const { parts } = segment('y'.repeat(161), 0x2a);
    expect(parts.map((p) => [p.index, p.total, p.esmClass, p.text.length])).toStrictEqual([
      [1, 2, 0x40, 153],
      [2, 2, 0x40, 8],
    ]);
    // TS 23.040 §9.2.3.24.1: UDHL 05, IEI 00, IEDL 03, ref, total, sequence.
    expect(parts.map((p) => p.shortMessage.subarray(0, 6).toString('hex'))).toStrictEqual(['0500032a0201', '0500032a0202']);
    expect(concatUdh(0x12a, 3, 1).toString('hex')).toBe('0500032a0301');
  });

  it('splits a 100-character Chinese message into 67 + 33 UCS-2 characters', () => {
    const text = '城东区第一中学北门发生可疑人员滞留事件请附近巡逻民警立即前往处置'.repeat(4).slice(0, 100);
    const { encoding, parts } = segment(text, 7);
    expect(encoding).toBe('ucs2');
    expect(parts.map((p) => [p.text.length, p.shortMessage.length, p.dataCoding])).toStrictEqual([
      [67, 6 + 134, 0x08],
      [33, 6 + 66, 0x08],
    ]);
    expect(parts.map((p) => partText(p.shortMessage, p.dataCoding)).join('')).toBe(text);
  });

  it('never splits an escape sequence or a surrogate pair across parts', () => {
    const gsm = segment(`${'a'.repeat(152)}€${'b'.repeat(10)}`, 1);
    expect(gsm.parts.map((p) => p.text)).toStrictEqual(['a'.repeat(152), `€${'b'.repeat(10)}`]);
    const zh = segment(`${'校'.repeat(66)}🚨门${'校'.repeat(10)}`, 1);
    expect(zh.parts.map((p) => p.text.length)).toStrictEqual([66, 13]);
    expect(zh.parts[1]?.text.startsWith('🚨')).toBe(true);
  });

  it('forces UCS-2 when asked, and refuses empty or over-long text', () => {
    expect(segment('ok', 1, 'ucs2').parts[0]?.shortMessage.toString('hex')).toBe('006f006b');
    expect(() => segment('', 1)).toThrow(expect.objectContaining({ code: 'GW_ERR_SMS_EMPTY_TEXT' }));
    expect(() => segment('校'.repeat(67 * 255 + 1), 1)).toThrow(expect.objectContaining({ code: 'GW_ERR_SMS_TOO_LONG' }));
    expect(() => segment('校', 1, 'gsm7')).toThrow(expect.objectContaining({ code: 'GW_ERR_SMS_UNENCODABLE' }));
  });

  it('parts always reassemble to the original text and respect the per-part limits', () => {
    const alphabet = ['a', 'Z', ' ', '€', '{', '@', '校', '门', '🚨', 'é', 'ï'];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...alphabet), { minLength: 1, maxLength: 600 }), fc.integer({ min: 0, max: 255 }), (chars, ref) => {
        const text = chars.join('');
        const { encoding, parts } = segment(text, ref);
        expect(parts.map((p) => partText(p.shortMessage, p.dataCoding)).join('')).toBe(text);
        const limit = parts.length === 1 ? (encoding === 'gsm7' ? 160 : 70) : encoding === 'gsm7' ? 153 : 67;
        for (const p of parts) expect(unitLength(p.text, encoding)).toBeLessThanOrEqual(limit);
      }),
      { numRuns: 200 },
    );
  });
});
