import { describe, expect, it } from 'vitest';
import { ConcatReassembler, concatFromIes, splitUdh } from '../../../../adapters/sms-smpp/concat-reassembler.js';

describe('UDH concatenation IEs (3GPP TS 23.040 §9.2.3.24.1, §9.2.3.24.8)', () => {
  it('reads 8-bit and 16-bit reference IEs and skips others', () => {
    const ies = splitUdh(Uint8Array.from([0x0b, 0x24, 0x01, 0x01, 0x08, 0x04, 0x12, 0x34, 0x03, 0x02, 0x00, 0x00]));
    expect(ies.map((ie) => Buffer.from(ie).toString('hex'))).toStrictEqual(['240101', '080412340302', '0000']);
    expect(concatFromIes(ies)).toStrictEqual({ ref: 0x1234, total: 3, index: 2 });
    expect(concatFromIes([Uint8Array.from([0x00, 0x03, 0x2a, 0x02, 0x01])])).toStrictEqual({ ref: 0x2a, total: 2, index: 1 });
    expect(concatFromIes([Uint8Array.from([0x24, 0x01, 0x01])])).toBeUndefined();
  });
});

describe('ConcatReassembler', () => {
  it('joins parts in order whatever order they arrive in, per sender', () => {
    const r = new ConcatReassembler(60_000);
    expect(r.add('A', { ref: 1, total: 3, index: 3 }, '丙', 0)).toStrictEqual({ complete: false });
    expect(r.add('B', { ref: 1, total: 2, index: 1 }, 'x', 0)).toStrictEqual({ complete: false });
    expect(r.add('A', { ref: 1, total: 3, index: 1 }, '甲', 1)).toStrictEqual({ complete: false });
    expect(r.add('A', { ref: 1, total: 3, index: 1 }, '甲', 2)).toStrictEqual({ complete: false });
    expect(r.add('A', { ref: 1, total: 3, index: 2 }, '乙', 3)).toStrictEqual({ complete: true, text: '甲乙丙', parts: 3 });
    expect(r.size).toBe(1);
  });

  it('passes single parts straight through and hands incomplete messages on after the timeout', () => {
    const r = new ConcatReassembler(1000);
    expect(r.add('A', { ref: 9, total: 1, index: 1 }, 'one', 0)).toStrictEqual({ complete: true, text: 'one', parts: 1 });
    r.add('A', { ref: 9, total: 3, index: 1 }, 'a', 0);
    r.add('A', { ref: 9, total: 3, index: 3 }, 'c', 10);
    expect(r.expire(999)).toStrictEqual([]);
    expect(r.expire(1000)).toStrictEqual([{ key: 'A', text: 'ac', received: 2, total: 3 }]);
    expect(r.size).toBe(0);
  });
});
