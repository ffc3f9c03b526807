import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GSM7_ESCAPE, gsm7Decode, gsm7Encode, gsm7Septets, isGsm7 } from '../../../../adapters/sms-smpp/gsm7.js';

describe('GSM 7-bit default alphabet (3GPP TS 23.038 §6.2.1)', () => {
  it('maps the characters that differ from ASCII to their septets', () => {
    // TS 23.038 table 6.2.1: '@' is 0x00, '$' 0x02, '_' 0x11, '¤' 0x24, '¡' 0x40, '§' 0x5F, 'à' 0x7F.
    expect([...gsm7Encode('@$_¤¡§à')]).toStrictEqual([0x00, 0x02, 0x11, 0x24, 0x40, 0x5f, 0x7f]);
    expect([...gsm7Encode('Az09 \n')]).toStrictEqual([0x41, 0x7a, 0x30, 0x39, 0x20, 0x0a]);
  });

  it('escapes extension-table characters with 0x1B (§6.2.1.1)', () => {
    expect([...gsm7Encode('{€}')]).toStrictEqual([GSM7_ESCAPE, 0x28, GSM7_ESCAPE, 0x65, GSM7_ESCAPE, 0x29]);
    expect(['a', '€', '中'].map(gsm7Septets)).toStrictEqual([1, 2, 0]);
  });

  it('tells GSM-only text from text that needs UCS-2', () => {
    expect([isGsm7('Gate 3: [closed] ~ 5€'), isGsm7('校门'), isGsm7('naïve'), isGsm7('emoji 🚨')]).toStrictEqual([true, false, false, false]);
    expect(() => gsm7Encode('校')).toThrow(RangeError);
  });

  it('decodes what it encodes, for any GSM text', () => {
    const gsmChars = [...'@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà^{}\\[~]|€\f'];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...gsmChars), { maxLength: 200 }), (chars) => {
        const text = chars.join('');
        expect(gsm7Decode(gsm7Encode(text))).toBe(text);
      }),
    );
  });

  it('decodes an escape before an unknown septet as the basic character, and a trailing escape as a space', () => {
    expect(gsm7Decode(Uint8Array.from([0x1b, 0x41, 0x42, 0x1b]))).toBe('AB ');
  });
});
