import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame, wrapBody, DC09_TOKENS, type Dc09Frame } from '../../../../../adapters/shared/dc09/dc09-frame.js';
import { crc16Hex } from '../../../../../adapters/shared/dc09/crc16.js';
import { FIXTURES, frameOf } from './fixtures.js';

describe('decodeFrame on fixtures', () => {
  it('decodes the DC-09-2013 SIA-DCS example', () => {
    expect(decodeFrame(frameOf(FIXTURES.standardSia))).toStrictEqual({
      ok: true,
      quirks: [],
      frame: {
        token: 'SIA-DCS',
        encrypted: false,
        sequence: 9876,
        receiver: '579BDF',
        line: '789ABC',
        account: '12345A',
        data: '#12345A|NFA129',
        extended: [],
      },
    });
  });

  it('decodes the DC-09-2013 ADM-CID example', () => {
    const r = decodeFrame(frameOf(FIXTURES.standardCid));
    expect(r.ok && r.frame.data).toBe('#12345A|1110 00 129');
    expect(r.ok && r.frame.token).toBe('ADM-CID');
  });

  it('decodes a NAK with its A0 account and timestamp (fioletoven/dc09)', () => {
    expect(decodeFrame(frameOf(FIXTURES.fioletovenNak))).toStrictEqual({
      ok: true,
      quirks: [],
      frame: {
        token: 'NAK',
        encrypted: false,
        sequence: 0,
        receiver: '0',
        line: '0',
        account: '0',
        data: '',
        extended: [],
        timestamp: '16:20:01,09-24-2025',
      },
    });
  });

  it('tolerates a bare L from a real panel (ioBroker.sia #11)', () => {
    const r = decodeFrame(frameOf(FIXTURES.iobrokerPanelNull));
    expect(r).toStrictEqual({
      ok: true,
      quirks: ['line-empty'],
      frame: {
        token: 'NULL',
        encrypted: false,
        sequence: 1,
        line: '',
        account: '7303658550',
        data: '',
        extended: [],
        timestamp: '15:39:38,06-07-2019',
      },
    });
  });

  it('tolerates a missing L and a decimal length field', () => {
    const a = decodeFrame(frameOf(FIXTURES.fioletovenNoLine));
    expect(a.ok && a.quirks).toStrictEqual(['line-missing']);
    const b = decodeFrame(frameOf(FIXTURES.pysiaDecimalLength));
    expect(b.ok && b.quirks).toStrictEqual(['length-decimal']);
  });

  it('refuses a wrong length that no reading explains', () => {
    const r = decodeFrame(frameOf(FIXTURES.pysiaBadLength));
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toBe('length');
  });

  it('refuses a body longer than the 0LLL length field can state (5.5.1.3), whatever its CRC', () => {
    const body = `"SIA-DCS"0001L0#1234[#1234|N${'PA1/'.repeat(1100)}]`;
    const raw = Buffer.from(`\n${crc16Hex(body)}${body.length.toString(16).toUpperCase().padStart(4, '0')}${body}\r`, 'latin1');
    expect(decodeFrame(raw)).toStrictEqual({ ok: false, error: 'length', detail: `body of ${body.length} bytes is longer than 0x0FFF` });
  });

  it('reports a CRC mismatch before anything else', () => {
    expect(decodeFrame(frameOf(FIXTURES.pysiaBadCrc))).toStrictEqual({
      ok: false,
      error: 'crc',
      detail: 'crc field 9618, computed B7C9',
    });
  });

  it('reports framing, header, token and body errors with the header when known', () => {
    expect(decodeFrame(Buffer.from('hello\r')).ok).toBe(false);
    expect(decodeFrame(Buffer.from('\nZZZZ0000"SIA-DCS"\r'))).toMatchObject({ ok: false, error: 'framing' });
    expect(decodeFrame(wrapBody('"SIA-DCS"12L0#1234[]'))).toMatchObject({ ok: false, error: 'header' });
    expect(decodeFrame(wrapBody('"FOO"0001L0#1234[]'))).toStrictEqual({
      ok: false,
      error: 'token',
      detail: 'unknown token FOO',
      header: { token: 'FOO', encrypted: false, sequence: 1, line: '0', account: '1234' },
    });
    expect(decodeFrame(wrapBody('"SIA-DCS"0001L0#1234[x]junk'))).toMatchObject({ ok: false, error: 'body' });
    expect(decodeFrame(wrapBody('"SIA-DCS"0001L0#1234[x]_1:2:3,1-1-2020'))).toMatchObject({ ok: false, error: 'body' });
    expect(decodeFrame(wrapBody('"*SIA-DCS"0001L0#1234[00'))).toMatchObject({ ok: false, error: 'no-key' });
  });
});

describe('encodeFrame', () => {
  it('reproduces the standard and fioletoven fixtures byte for byte', () => {
    for (const wire of [FIXTURES.standardSia, FIXTURES.standardCid, FIXTURES.fioletovenReceiverLine, FIXTURES.fioletovenEmpty]) {
      const r = decodeFrame(frameOf(wire));
      if (!r.ok) throw new Error(r.detail);
      expect(encodeFrame(r.frame).toString('latin1')).toBe(`\n${wire}\r`);
    }
  });

  it('writes a NAK with its fixed header (fioletoven and ioBroker.sia NAKs)', () => {
    for (const wire of [FIXTURES.fioletovenNak, FIXTURES.iobrokerNak]) {
      const r = decodeFrame(frameOf(wire));
      if (!r.ok) throw new Error(r.detail);
      expect(encodeFrame(r.frame).toString('latin1')).toBe(`\n${wire}\r`);
    }
  });

  it('writes extended data and the timestamp', () => {
    const f: Dc09Frame = {
      token: 'SIA-DCS',
      encrypted: false,
      sequence: 4,
      line: '0',
      account: '1111',
      data: '#1111|Nri1/PA501',
      extended: [
        { id: 'X', value: '006E07.7777777' },
        { id: 'Y', value: '49N06.6666666' },
      ],
      timestamp: '20:45:46,04-22-2021',
    };
    const wire = encodeFrame(f).toString('latin1');
    // Same body as pysiaalarm's case_xdata_X_and_Y, with the length that body really has.
    expect(wire).toBe(`\n5B09005B${FIXTURES.pysiaBadLength.slice(8)}\r`);
    expect(decodeFrame(Buffer.from(wire, 'latin1'))).toStrictEqual({ ok: true, quirks: [], frame: f });
  });

  it('refuses fields outside the standard', () => {
    const base: Dc09Frame = { token: 'NULL', encrypted: false, sequence: 1, line: '0', account: '1234', data: '', extended: [] };
    expect(() => encodeFrame({ ...base, sequence: 10000 })).toThrow(expect.objectContaining({ name: 'Dc09Error' }));
    expect(() => encodeFrame({ ...base, account: '12' })).toThrow(/account/);
    expect(() => encodeFrame({ ...base, receiver: 'XYZ' })).toThrow(/receiver/);
    expect(() => encodeFrame({ ...base, data: 'a]b' })).toThrow(/data/);
    expect(() => encodeFrame({ ...base, encrypted: true, timestamp: '00:00:00,01-01-2020' })).toThrow(/key/);
    expect(() => encodeFrame({ ...base, encrypted: true }, { key: Buffer.alloc(16) })).toThrow(/timestamp/);
  });

  it('round-trips any valid plain frame (property)', () => {
    const hex = (min: number, max: number) => fc.stringMatching(new RegExp(`^[0-9A-F]{${min},${max}}$`));
    const frameArb = fc.record({
      token: fc.constantFrom(...DC09_TOKENS.filter((t) => t !== 'NAK')),
      encrypted: fc.constant(false),
      sequence: fc.integer({ min: 0, max: 9999 }),
      receiver: fc.option(hex(1, 6), { nil: undefined }),
      line: hex(1, 6),
      account: hex(3, 16),
      data: fc.stringMatching(/^[ -Z\\^-~]{0,40}$/),
      extended: fc.array(fc.record({ id: fc.constantFrom('X', 'Y', 'M', 'V'), value: fc.stringMatching(/^[ -Z\\^-~]{0,20}$/) }), { maxLength: 3 }),
      timestamp: fc.option(fc.constant('12:34:56,01-02-2026'), { nil: undefined }),
    });
    fc.assert(
      fc.property(frameArb, (f) => {
        // fast-check records have a null prototype; rebuild plain objects for toStrictEqual.
        const plain = { ...f, extended: f.extended.map((x) => ({ id: x.id, value: x.value })) };
        const clean = Object.fromEntries(Object.entries(plain).filter(([, v]) => v !== undefined)) as unknown as Dc09Frame;
        const r = decodeFrame(encodeFrame(clean));
        expect(r).toStrictEqual({ ok: true, quirks: [], frame: clean });
      }),
    );
  });
});
