/** Text ↔ Msg_Content: UCS-2 (Msg_Fmt 8), long messages with a concatenation UDH, inbound by Msg_Fmt. */
import { describe, expect, it } from 'vitest';
import { decodeMo, MoReassembler, partCount, segmentMt } from '../../../../adapters/sms-cmpp/cmpp-text.js';

const LONG = '【城东区校园安全】城东区第一中学于11月3日 14:05一键报警（一键报警 门卫室）。请就近巡逻民警立即赶赴，门卫室关闭校门。收到请回复1或收到。';

describe('CMPP text', () => {
  it('a short text is one UCS-2 part without a UDH', () => {
    expect(segmentMt('收到', 7)).toStrictEqual([{ index: 1, total: 1, tpUdhi: 0, msgFmt: 8, content: Buffer.from('65365230', 'hex') }]);
    expect(partCount('x'.repeat(70))).toBe(1);
  });

  it('a long text is split in parts of 67 code units, each after the UDH 05 00 03 ref total seq', () => {
    expect(LONG.length).toBeGreaterThan(70);
    const parts = segmentMt(LONG, 0x7b);
    expect(parts.map((p) => [p.index, p.total, p.tpUdhi, p.msgFmt, p.content.subarray(0, 6).toString('hex'), p.content.length <= 140])).toStrictEqual(
      parts.map((_, i) => [i + 1, 2, 1, 8, `0500037b02${String(i + 1).padStart(2, '0')}`, true]),
    );
    expect(parts.map((p) => decodeMo(p.content, p.msgFmt, p.tpUdhi).text).join('')).toBe(LONG);
  });

  it('never splits a surrogate pair', () => {
    const text = `${'a'.repeat(66)}😀${'b'.repeat(10)}`;
    const parts = segmentMt(text, 1);
    const texts = parts.map((p) => decodeMo(p.content, 8, 1).text);
    expect(texts).toStrictEqual(['a'.repeat(66), `😀${'b'.repeat(10)}`]);
  });

  it('refuses empty texts and texts over 255 parts', () => {
    expect(() => partCount('')).toThrow(expect.objectContaining({ code: 'GW_ERR_CMPP_EMPTY_TEXT' }));
    expect(() => partCount('字'.repeat(67 * 255 + 1))).toThrow(expect.objectContaining({ code: 'GW_ERR_CMPP_TOO_LONG' }));
  });

  it('decodes replies by Msg_Fmt: UCS-2, GB (GBK), ASCII; a UDH comes off with its concatenation IE', () => {
    expect(decodeMo(Buffer.from('65365230', 'hex'), 8, 0)).toStrictEqual({ text: '收到' });
    expect(decodeMo(Buffer.from('cad5b5bd', 'hex'), 15, 0)).toStrictEqual({ text: '收到' });
    expect(decodeMo(Buffer.from('1', 'ascii'), 0, 0)).toStrictEqual({ text: '1' });
    expect(decodeMo(Buffer.from('0500031103026536', 'hex'), 8, 1)).toStrictEqual({ text: '收', concat: { ref: 0x11, total: 3, index: 2 } });
    // 16-bit reference, IE 0x08 (TS 23.040 §9.2.3.24.8).
    expect(decodeMo(Buffer.from('06080412340201', 'hex').subarray(0, 7), 0, 1)).toStrictEqual({ text: '', concat: { ref: 0x1234, total: 2, index: 1 } });
  });

  it('reassembles a long reply per sender, a repeated part replacing itself', () => {
    const r = new MoReassembler(1000);
    expect(r.add('138', { ref: 1, total: 2, index: 2 }, '到', 0)).toStrictEqual({ complete: false });
    expect(r.add('139', { ref: 1, total: 2, index: 1 }, 'X', 0)).toStrictEqual({ complete: false });
    expect(r.add('138', { ref: 1, total: 2, index: 2 }, '到', 1)).toStrictEqual({ complete: false });
    expect(r.add('138', { ref: 1, total: 2, index: 1 }, '收', 2)).toStrictEqual({ complete: true, text: '收到', parts: 2 });
    expect(r.expire(5000)).toStrictEqual([{ from: '139', text: 'X', received: 1, total: 2 }]);
  });
});
