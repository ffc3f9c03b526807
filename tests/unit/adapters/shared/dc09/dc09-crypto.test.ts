import { describe, expect, it } from 'vitest';
import {
  decryptRegion,
  encryptRegion,
  keyFromAscii,
  keyFromHex,
  padLength,
  randomPad,
} from '../../../../../adapters/shared/dc09/dc09-crypto.js';
import { decodeFrame, encodeFrame, type Dc09Frame } from '../../../../../adapters/shared/dc09/dc09-frame.js';
import { FIXTURES, KEYS, frameOf } from './fixtures.js';

const fixedPad = (n: number): Buffer => Buffer.alloc(n, 'p');

describe('padding (SIA DC-09-2013 5.4.4)', () => {
  it('pads 1..16 bytes, a full block when already aligned', () => {
    expect(padLength(0)).toBe(16);
    expect(padLength(1)).toBe(15);
    expect(padLength(15)).toBe(1);
    expect(padLength(16)).toBe(16);
    expect(padLength(33)).toBe(15);
  });

  it('random pad never holds |, [ or ]', () => {
    const pad = randomPad(4096);
    expect(pad.length).toBe(4096);
    expect(pad.includes(0x7c) || pad.includes(0x5b) || pad.includes(0x5d)).toBe(false);
  });

  it('puts pad then | at the start of the encrypted region', () => {
    for (const rest of ['', ']', ']_01:02:03,04-05-2026', '#1234|Nri1/PA501]_01:02:03,04-05-2026']) {
      const hex = encryptRegion(rest, KEYS.aes128, fixedPad);
      expect(hex.length % 32).toBe(0);
      const plain = decryptRegion(hex, KEYS.aes128);
      expect(plain).toStrictEqual({ ok: true, rest, pad: fixedPad(padLength(rest.length + 1)), terminated: true });
    }
  });
});

describe('keys', () => {
  it('accepts AES-128/192/256 keys in hex or ASCII', () => {
    expect(keyFromHex('000102030405060708090a0b0c0d0e0f')).toStrictEqual(KEYS.aes128);
    expect(keyFromHex('00'.repeat(24)).length).toBe(24);
    expect(keyFromHex('00'.repeat(32)).length).toBe(32);
    expect(keyFromAscii('AAAAAAAAAAAAAAAA')).toStrictEqual(KEYS.pysiaAscii);
  });

  it('refuses other lengths with a coded error', () => {
    expect(() => keyFromHex('0011')).toThrow(expect.objectContaining({ name: 'Dc09Error' }));
    expect(() => keyFromAscii('short')).toThrow(expect.objectContaining({ code: 'GW_ERR_DC09_KEY_INVALID' }));
    expect(() => encryptRegion(']', Buffer.alloc(20))).toThrow(expect.objectContaining({ name: 'Dc09Error' }));
  });
});

describe('encrypted fixtures from independent implementations', () => {
  it('decrypts pysiaalarm encrypted NULL (ASCII key, no | terminator)', () => {
    expect(decodeFrame(frameOf(FIXTURES.pysiaEncryptedNull), () => KEYS.pysiaAscii)).toStrictEqual({
      ok: true,
      quirks: ['pad-terminator-missing'],
      frame: {
        token: 'NULL',
        encrypted: true,
        sequence: 0,
        receiver: '0',
        line: '0',
        account: 'AAAB',
        data: '',
        extended: [],
        timestamp: '18:24:52,07-05-2020',
      },
    });
  });

  it('decrypts dc09_spt AES-128 ADM-CID', () => {
    expect(decodeFrame(frameOf(FIXTURES.dc09sptAes128Cid), () => KEYS.aes128)).toStrictEqual({
      ok: true,
      quirks: [],
      frame: {
        token: 'ADM-CID',
        encrypted: true,
        sequence: 7,
        receiver: '0',
        line: '0',
        account: '1234',
        data: '#1234|1120 01 015',
        extended: [],
        timestamp: '01:48:25,11-23-2026',
      },
    });
  });

  it('decrypts dc09_spt AES-256 SIA-DCS whose pad has control bytes', () => {
    const r = decodeFrame(frameOf(FIXTURES.dc09sptAes256Sia), () => KEYS.aes256);
    expect(r).toMatchObject({ ok: true, frame: { data: '#1234|Nri1PA501', receiver: '1F', line: '2', sequence: 42 } });
  });

  it('fails to decrypt with the wrong key', () => {
    const r = decodeFrame(frameOf(FIXTURES.dc09sptAes128Cid), () => KEYS.pysiaAscii);
    expect(r.ok).toBe(false);
    expect(!r.ok && ['decrypt', 'body']).toContain(!r.ok && r.error);
  });

  it('re-encrypts the dc09_spt frame to the same cipher text given its pad', () => {
    const frame: Dc09Frame = {
      token: 'ADM-CID',
      encrypted: true,
      sequence: 7,
      receiver: '0',
      line: '0',
      account: '1234',
      data: '#1234|1120 01 015',
      extended: [],
      timestamp: '01:48:25,11-23-2026',
    };
    const bytes = encodeFrame(frame, { key: KEYS.aes128, pad: () => Buffer.from('Ey}`3HQo7', 'latin1') });
    expect(bytes.toString('latin1')).toBe(`\n${FIXTURES.dc09sptAes128Cid}\r`);
  });
});

describe('encryption round trip', () => {
  it.each([
    ['AES-128', KEYS.aes128],
    ['AES-192', Buffer.alloc(24, 7)],
    ['AES-256', KEYS.aes256],
  ])('%s with random pad', (_name, key) => {
    const frame: Dc09Frame = {
      token: 'SIA-DCS',
      encrypted: true,
      sequence: 9999,
      receiver: 'ABC',
      line: '1',
      account: '000123',
      data: '#000123|Nri1/PA501',
      extended: [{ id: 'X', value: '116E23.0' }],
      timestamp: '23:59:59,12-31-2026',
    };
    const a = encodeFrame(frame, { key });
    const b = encodeFrame(frame, { key });
    expect(a.equals(b)).toBe(false); // the random pad makes equal messages differ on the wire
    expect(decodeFrame(a, () => key)).toStrictEqual({ ok: true, quirks: [], frame });
  });

  it('refuses to encrypt a NAK (5.5.3.2)', () => {
    const nak: Dc09Frame = { token: 'NAK', encrypted: true, sequence: 0, account: '0', data: '', extended: [], timestamp: '00:00:00,01-01-2026' };
    expect(() => encodeFrame(nak, { key: KEYS.aes128 })).toThrow(/never encrypted/);
  });
});
