import { describe, expect, it } from 'vitest';
import { encryptRegion } from '../../../../../adapters/shared/dc09/dc09-crypto.js';
import { decodeFrame, wrapBody } from '../../../../../adapters/shared/dc09/dc09-frame.js';
import { buildAck, buildDuh, buildNak, decideReply } from '../../../../../adapters/shared/dc09/dc09-receiver-logic.js';
import { buildMessage } from '../../../../../adapters/shared/dc09/dc09-transmitter-logic.js';
import { DC09SPT_TIME, FIXTURES, KEYS, frameOf } from './fixtures.js';

const NOW = Date.UTC(2026, 10, 23, 8, 0, 0);
const wire = (b: Buffer): string => b.toString('latin1');
const fixedPad = (n: number): Buffer => Buffer.alloc(n, 'q');

describe('decideReply', () => {
  it('ACKs the DC-09 example, echoing sequence, receiver, line and account', () => {
    const d = decideReply(frameOf(FIXTURES.standardSia), NOW);
    expect(d.reply).toBe('ack');
    if (d.reply !== 'ack') return;
    expect(wire(d.response)).toBe(wire(wrapBody('"ACK"9876R579BDFL789ABC#12345A[]')));
    expect(d.message).toStrictEqual({
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
      payload: {
        kind: 'sia',
        sia: { account: '12345A', isNew: true, modifiers: [], events: [{ code: 'FA', rawCode: 'FA', address: '129', kind: 'fire' }] },
      },
      quirks: [],
    });
  });

  it('ACKs a Contact ID panic and a NULL link test', () => {
    const cid = decideReply(frameOf(FIXTURES.dc09sptPlainCid), NOW);
    expect(cid.reply === 'ack' && cid.message.payload).toStrictEqual({
      kind: 'cid',
      cid: { account: '1234', qualifier: 1, code: '120', rawCode: '120', partition: 1, zoneOrUser: 15, isUser: false, kind: 'panic' },
    });
    const ok = decideReply(buildMessage({ account: '1234', sequence: 5, event: { protocol: 'null' }, nowMs: NOW }).bytes, NOW);
    expect(ok.reply === 'ack' && ok.message.payload).toStrictEqual({ kind: 'null' });
  });

  it('answers nothing to a bad CRC', () => {
    expect(decideReply(frameOf(FIXTURES.pysiaBadCrc), NOW)).toStrictEqual({
      reply: 'none',
      reason: 'crc',
      detail: 'crc field 9618, computed B7C9',
    });
  });

  it('answers DUH to junk, unknown tokens, bad lengths and unparseable payloads', () => {
    const junk = decideReply(Buffer.from('\nhello\r'), NOW);
    expect(junk).toMatchObject({ reply: 'duh', reason: 'junk' });
    expect(junk.reply === 'duh' && wire(junk.response)).toBe(wire(wrapBody('"DUH"0000R0L0A0[]')));
    const tok = decideReply(wrapBody('"FOO"0042R1L2#ABC[]'), NOW);
    expect(tok).toMatchObject({ reply: 'duh', reason: 'token' });
    expect(tok.reply === 'duh' && wire(tok.response)).toBe(wire(wrapBody('"DUH"0042R1L2#ABC[]')));
    expect(decideReply(frameOf(FIXTURES.pysiaBadLength), NOW)).toMatchObject({ reply: 'duh', reason: 'length' });
    expect(decideReply(wrapBody('"ADM-CID"0001L0#1234[#1234|9999 99 999]'), NOW)).toMatchObject({ reply: 'duh', reason: 'payload' });
    expect(decideReply(wrapBody('"ACK"0001L0#1234[]'), NOW)).toMatchObject({ reply: 'duh', reason: 'unexpected-token' });
  });

  it('answers DUH to encrypted frames it cannot read and to plain text from a keyed account', () => {
    const noKey = decideReply(frameOf(FIXTURES.dc09sptAes128Cid), DC09SPT_TIME);
    expect(noKey).toMatchObject({ reply: 'duh', reason: 'no-key' });
    expect(noKey.reply === 'duh' && wire(noKey.response)).toBe(wire(wrapBody('"DUH"0007R0L0#1234[]')));
    const wrong = decideReply(frameOf(FIXTURES.dc09sptAes128Cid), DC09SPT_TIME, { keys: () => KEYS.aes256 });
    expect(wrong.reply).toBe('duh');
    const plain = decideReply(frameOf(FIXTURES.dc09sptPlainCid), NOW, { keys: () => KEYS.aes128 });
    expect(plain).toMatchObject({ reply: 'duh', reason: 'encryption-required' });
    expect(decideReply(frameOf(FIXTURES.dc09sptPlainCid), NOW, { keys: () => KEYS.aes128, allowPlaintextWhenKeyed: true }).reply).toBe('ack');
  });

  it('ACKs dc09_spt encrypted frames inside the window with an encrypted *ACK', () => {
    const d = decideReply(frameOf(FIXTURES.dc09sptAes128Cid), DC09SPT_TIME + 3000, { keys: () => KEYS.aes128, pad: fixedPad });
    expect(d.reply).toBe('ack');
    if (d.reply !== 'ack') return;
    expect(d.message.timestampMs).toBe(DC09SPT_TIME);
    const ack = decodeFrame(d.response, () => KEYS.aes128);
    expect(ack).toStrictEqual({
      ok: true,
      quirks: [],
      frame: {
        token: 'ACK',
        encrypted: true,
        sequence: 7,
        receiver: '0',
        line: '0',
        account: '1234',
        data: '',
        extended: [],
        timestamp: '01:48:28,11-23-2026',
      },
    });
    expect(wire(d.response)).toBe(wire(buildAck(d.message.frame, DC09SPT_TIME + 3000, KEYS.aes128, fixedPad)));
  });

  it('NAKs with the receiver time just outside the window, ACKs on its edges', () => {
    const keys = () => KEYS.aes128;
    const at = (ms: number) => decideReply(frameOf(FIXTURES.dc09sptAes128Cid), ms, { keys });
    expect(at(DC09SPT_TIME + 40_000).reply).toBe('ack');
    expect(at(DC09SPT_TIME - 20_000).reply).toBe('ack');
    const stale = at(DC09SPT_TIME + 40_001);
    expect(stale).toMatchObject({ reply: 'nak', reason: 'timestamp' });
    expect(stale.reply === 'nak' && wire(stale.response)).toBe(wire(buildNak(DC09SPT_TIME + 40_001)));
    expect(stale.reply === 'nak' && wire(stale.response)).toBe(wire(wrapBody('"NAK"0000R0L0A0[]_01:49:05,11-23-2026')));
    expect(at(DC09SPT_TIME - 20_001)).toMatchObject({ reply: 'nak', reason: 'timestamp' });
    const narrow = decideReply(frameOf(FIXTURES.dc09sptAes128Cid), DC09SPT_TIME + 6000, { keys, window: { pastSeconds: 5, futureSeconds: 5 } });
    expect(narrow.reply).toBe('nak');
  });

  it('NAKs an encrypted frame without timestamp; plain timestamps are checked unless disabled', () => {
    const noTs = wrapBody(`"*NULL"0001L0#1234[${encryptRegion(']', KEYS.aes128)}`);
    expect(decideReply(noTs, NOW, { keys: () => KEYS.aes128 })).toMatchObject({
      reply: 'nak',
      reason: 'timestamp',
      detail: 'encrypted message without timestamp',
    });
    const plainOld = buildMessage({ account: '1234', sequence: 1, event: { protocol: 'sia', code: 'PA', zone: '1' }, nowMs: NOW - 120_000 });
    expect(decideReply(plainOld.bytes, NOW).reply).toBe('nak');
    expect(decideReply(plainOld.bytes, NOW, { checkPlainTimestamps: false }).reply).toBe('ack');
    const plainNoTs = buildMessage({ account: '1234', sequence: 1, event: { protocol: 'sia', code: 'PA' }, nowMs: 0, timestamp: false });
    expect(decideReply(plainNoTs.bytes, NOW).reply).toBe('ack');
  });

  it('DUH without a readable header uses the NAK placeholders', () => {
    expect(wire(buildDuh())).toBe(wire(wrapBody('"DUH"0000R0L0A0[]')));
  });
});
