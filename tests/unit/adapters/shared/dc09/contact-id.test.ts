import { describe, expect, it } from 'vitest';
import { formatContactId, parseContactId, CONTACT_ID_EVENTS } from '../../../../../adapters/shared/dc09/contact-id.js';

describe('Contact ID (SIA DC-05) in ADM-CID data', () => {
  it('parses the DC-09-2013 example #12345A|1110 00 129 (new fire, zone 129)', () => {
    expect(parseContactId('#12345A|1110 00 129')).toStrictEqual({
      account: '12345A',
      qualifier: 1,
      code: '110',
      rawCode: '110',
      partition: 0,
      zoneOrUser: 129,
      isUser: false,
      kind: 'fire',
    });
  });

  it('parses a panic, its restore and a status report', () => {
    expect(parseContactId('#1234|1120 01 015')).toMatchObject({ qualifier: 1, code: '120', partition: 1, zoneOrUser: 15, kind: 'panic' });
    expect(parseContactId('#1234|3120 01 015')).toMatchObject({ qualifier: 3, kind: 'panic-restore' });
    expect(parseContactId('#1234|6120 01 015')).toMatchObject({ qualifier: 6, kind: 'panic' });
  });

  it('knows periodic (602) and manual (601) tests, and user-addressed codes', () => {
    expect(parseContactId('#1234|1602 00 000')).toMatchObject({ code: '602', kind: 'test-periodic' });
    expect(parseContactId('#1234|1601 00 003')).toMatchObject({ code: '601', kind: 'test-manual' });
    expect(parseContactId('#1234|1401 02 007')).toMatchObject({ code: '401', isUser: true, kind: 'opening' });
    expect(parseContactId('#1234|3401 02 007')).toMatchObject({ kind: 'closing' });
  });

  it('parses a block without account (pysiaalarm case_adm_cid2 body) and unknown codes', () => {
    expect(parseContactId('3401 01 057')).toMatchObject({ qualifier: 3, code: '401', zoneOrUser: 57 });
    expect(parseContactId('#1234|1999 00 001')).toMatchObject({ code: undefined, rawCode: '999', kind: 'unknown' });
  });

  it('refuses malformed blocks', () => {
    for (const bad of ['', '#1234|2120 01 015', '#1234|1120 1 015', '#1234|1120 01 15', '#1234|1120 01 0150']) {
      expect(typeof parseContactId(bad)).toBe('string');
    }
  });

  it('formats what it parses', () => {
    const s = formatContactId({ account: '1234', qualifier: 1, code: '120', partition: 1, zoneOrUser: 15 });
    expect(s).toBe('#1234|1120 01 015');
    for (const code of Object.keys(CONTACT_ID_EVENTS) as (keyof typeof CONTACT_ID_EVENTS)[]) {
      const spec = { qualifier: 3 as const, code, partition: 99, zoneOrUser: 999 };
      expect(parseContactId(formatContactId(spec))).toMatchObject({ ...spec, code, rawCode: code });
    }
  });

  it('refuses out-of-range partition and zone', () => {
    expect(() => formatContactId({ qualifier: 1, code: '120', partition: 100, zoneOrUser: 1 })).toThrow(expect.objectContaining({ name: 'Dc09Error' }));
    expect(() => formatContactId({ qualifier: 1, code: '120', partition: 1, zoneOrUser: 1000 })).toThrow(expect.objectContaining({ name: 'Dc09Error' }));
  });
});
