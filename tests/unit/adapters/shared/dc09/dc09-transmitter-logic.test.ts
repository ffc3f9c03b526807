import { describe, expect, it } from 'vitest';
import { decodeFrame, wrapBody } from '../../../../../adapters/shared/dc09/dc09-frame.js';
import { buildAck, buildNak, decideReply } from '../../../../../adapters/shared/dc09/dc09-receiver-logic.js';
import { buildMessage, parseReply } from '../../../../../adapters/shared/dc09/dc09-transmitter-logic.js';
import { DC09SPT_TIME, FIXTURES, KEYS, frameOf } from './fixtures.js';

const NOW = Date.UTC(2026, 10, 23, 8, 0, 0);

describe('buildMessage', () => {
  it('builds the same plain frames as dc09_spt (timestamp off)', () => {
    const sia = buildMessage({
      account: '1234',
      sequence: 3,
      event: { protocol: 'sia', code: 'PA', area: '1', zone: '501' },
      nowMs: NOW,
      timestamp: false,
    });
    // dc09_spt writes `Nri1PA501`; we write `Nri1/PA501` as the DC-09 examples and panels do.
    expect(sia.bytes.toString('latin1')).toBe(wrapBody('"SIA-DCS"0003L0#1234[#1234|Nri1/PA501]').toString('latin1'));
    const cid = buildMessage({
      account: '1234',
      sequence: 4,
      event: { protocol: 'cid', qualifier: 1, code: '120', partition: 1, zone: 15 },
      nowMs: NOW,
      timestamp: false,
    });
    expect(cid.bytes.toString('latin1')).toBe(`\n${FIXTURES.dc09sptPlainCid}\r`);
  });

  it('builds a periodic test, a manual test and a NULL with timestamps', () => {
    const t = buildMessage({ account: 'ABC', sequence: 9999, receiver: '1', event: { protocol: 'cid', qualifier: 1, code: '602', partition: 0, zone: 0 }, nowMs: NOW });
    expect(t.frame).toStrictEqual({
      token: 'ADM-CID',
      encrypted: false,
      sequence: 9999,
      receiver: '1',
      line: '0',
      account: 'ABC',
      data: '#ABC|1602 00 000',
      extended: [],
      timestamp: '08:00:00,11-23-2026',
    });
    expect(buildMessage({ account: 'ABC', sequence: 1, event: { protocol: 'sia', code: 'RX' }, nowMs: NOW }).frame.data).toBe('#ABC|NRX');
    const n = buildMessage({ account: 'ABC', sequence: 2, event: { protocol: 'null' }, nowMs: NOW, key: KEYS.aes128 });
    expect(decodeFrame(n.bytes, () => KEYS.aes128)).toStrictEqual({ ok: true, quirks: [], frame: n.frame });
  });
});

describe('parseReply', () => {
  const sent = { sequence: 7, account: '1234' };

  it('reads ACK, NAK with receiver time, and DUH', () => {
    const ack = parseReply(wrapBody('"ACK"0007R0L0#1234[]'), sent);
    expect(ack).toMatchObject({ ok: true, reply: 'ack' });
    expect(ack.ok && 'receiverTimeMs' in ack).toBe(false);
    expect(parseReply(frameOf(FIXTURES.fioletovenNak), sent)).toMatchObject({
      ok: true,
      reply: 'nak',
      receiverTimeMs: Date.UTC(2025, 8, 24, 16, 20, 1),
    });
    expect(parseReply(frameOf(FIXTURES.iobrokerNak), sent)).toMatchObject({ ok: true, reply: 'nak' });
    expect(parseReply(wrapBody('"DUH"0007L0#1234[]'), sent)).toMatchObject({ ok: true, reply: 'duh' });
  });

  it('reads the encrypted *ACK our receiver builds for a dc09_spt frame', () => {
    const d = decideReply(frameOf(FIXTURES.dc09sptAes128Cid), DC09SPT_TIME, { keys: () => KEYS.aes128 });
    if (d.reply !== 'ack') throw new Error('expected ack');
    expect(parseReply(d.response, { ...sent, key: KEYS.aes128 })).toMatchObject({ ok: true, reply: 'ack', receiverTimeMs: DC09SPT_TIME });
  });

  it('refuses replies to another message, non-replies, and a plain ACK to an encrypted message', () => {
    expect(parseReply(wrapBody('"ACK"0008L0#1234[]'), sent)).toMatchObject({ ok: false, error: 'mismatch' });
    expect(parseReply(wrapBody('"ACK"0007L0#9999[]'), sent)).toMatchObject({ ok: false, error: 'mismatch' });
    expect(parseReply(frameOf(FIXTURES.standardSia), sent)).toMatchObject({ ok: false, error: 'not-a-reply' });
    expect(parseReply(wrapBody('"ACK"0007L0#1234[]'), { ...sent, key: KEYS.aes128 })).toMatchObject({ ok: false, error: 'unencrypted-ack' });
    expect(parseReply(Buffer.from('\n0000001A"ACK"0007L0#1234[]\r'), sent)).toMatchObject({ ok: false, error: 'crc' });
  });

  it('round-trips: our transmitter frame → our receiver → our reply parser', () => {
    for (const key of [undefined, KEYS.aes128, KEYS.aes256]) {
      const m = buildMessage({ account: '00AB', sequence: 42, receiver: '12', line: '3', event: { protocol: 'sia', code: 'PA', zone: '1' }, nowMs: NOW, ...(key ? { key } : {}) });
      const d = decideReply(m.bytes, NOW + 1000, { keys: () => key });
      expect(d.reply).toBe('ack');
      if (d.reply !== 'ack') return;
      expect(parseReply(d.response, { sequence: 42, account: '00AB', ...(key ? { key } : {}) })).toMatchObject({ ok: true, reply: 'ack' });
      expect(parseReply(buildNak(NOW), { sequence: 42, account: '00AB' })).toMatchObject({ ok: true, reply: 'nak', receiverTimeMs: NOW });
      expect(buildAck(d.message.frame, NOW, key).length).toBeGreaterThan(0);
    }
  });
});
