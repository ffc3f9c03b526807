import smpp from 'smpp';
import { describe, expect, it } from 'vitest';
import { decodeBytes, decodeMessageField, readDeliverSm } from '../../../../adapters/sms-smpp/deliver-sm.js';
import { interpretReceipt } from '../../../../adapters/sms-smpp/receipt-codec.js';

/**
 * A deliver_sm body captured from a real SMSC, published in github.com/onlinecity/php-smpp/issues/70:
 * source 917013103030, destination AMARVT, esm_class 0x04, the receipt text with a GSM escape
 * inside `text:` ("H\x1bello"), network_error_code 0x0423 and two vendor TLVs (0x1454, 0x1418).
 */
const PHP_SMPP_70_BODY =
  '000101393137303133313033303330000500414d41525654000400000000000000007b69643a313137303632373134323434373938323631207375623a30303120646c7672643a303031207375626d697420646174653a3137303632373136323420646f6e6520646174653a3137303632373136323420737461743a44454c49565244206572723a3030303020746578743a481b656c6c6f20776f726c640423000303000014540004000000011418000400000000';

function pduFromBody(commandId: number, bodyHex: string): smpp.PDU {
  const body = Buffer.from(bodyHex, 'hex');
  const header = Buffer.alloc(16);
  header.writeUInt32BE(16 + body.length, 0);
  header.writeUInt32BE(commandId, 4);
  header.writeUInt32BE(0, 8);
  header.writeUInt32BE(7, 12);
  return new smpp.PDU(Buffer.concat([header, body]));
}

describe('readDeliverSm', () => {
  it('reads a real receipt PDU and interprets it', () => {
    const f = readDeliverSm(pduFromBody(0x00000005, PHP_SMPP_70_BODY));
    expect({ ...f, networkErrorCode: Buffer.from(f.networkErrorCode ?? []).toString('hex') }).toStrictEqual({
      from: '917013103030',
      to: 'AMARVT',
      esmClass: 0x04,
      dataCoding: 0,
      text: 'id:117062714244798261 sub:001 dlvrd:001 submit date:1706271624 done date:1706271624 stat:DELIVRD err:0000 text:H€llo world',
      networkErrorCode: '030000',
    });
    expect(interpretReceipt(f)).toStrictEqual({
      messageId: '117062714244798261',
      stat: 'DELIVRD',
      outcome: 'delivered',
      err: '0000',
      networkErrorCode: '030000',
      submitDate: '1706271624',
      doneDate: '1706271624',
      source: 'text',
    });
  });

  it('reads a concatenated UCS-2 MO part through the smpp package (UDH split off, text decoded)', () => {
    const udh = Buffer.from([5, 0, 3, 0x33, 2, 1]);
    const sent = new smpp.PDU('deliver_sm', {
      source_addr: '13805710101',
      destination_addr: '10690110',
      esm_class: 0x40,
      data_coding: 0x08,
      short_message: Buffer.concat([udh, Buffer.from('收到，北门', 'utf16le').swap16()]),
    });
    const received = new smpp.PDU(sent.toBuffer());
    expect(readDeliverSm(received)).toStrictEqual({
      from: '13805710101',
      to: '10690110',
      esmClass: 0x40,
      dataCoding: 0x08,
      text: '收到，北门',
      concat: { ref: 0x33, total: 2, index: 1 },
    });
  });

  it('takes concatenation from sar_* TLVs and text from message_payload (SMPP 3.4 §5.3.2.22–24, .32)', () => {
    const f = readDeliverSm({
      source_addr: '1',
      destination_addr: '2',
      esm_class: 0,
      data_coding: 0x08,
      short_message: { message: '' },
      message_payload: { message: '第二段' },
      sar_msg_ref_num: 0x1234,
      sar_total_segments: 3,
      sar_segment_seqnum: 2,
    });
    expect([f.text, f.concat]).toStrictEqual(['第二段', { ref: 0x1234, total: 3, index: 2 }]);
  });
});

describe('decoding user data', () => {
  it('decodes by data_coding: UCS-2, GSM default alphabet, IA5, GBK (0x0F on Chinese gateways), Latin-1', () => {
    expect(decodeBytes(Buffer.from('校门', 'utf16le').swap16(), 0x08)).toBe('校门');
    expect(decodeBytes(Uint8Array.from([0x00, 0x02, 0x11]), 0x00)).toBe('@$_');
    expect(decodeBytes(Buffer.from('a@b_c', 'ascii'), 0x01)).toBe('a@b_c');
    expect(decodeBytes(Uint8Array.from([0xc4, 0xe3, 0xba, 0xc3]), 0x0f)).toBe('你好');
    expect(decodeBytes(Uint8Array.from([0xe9]), 0x03)).toBe('é');
  });

  it('undoes the smpp package decoding IA5 (0x01) with the GSM table', () => {
    const sent = new smpp.PDU('deliver_sm', { source_addr: '1', destination_addr: '2', data_coding: 0x01, short_message: Buffer.from('OK @ gate_3 $5', 'ascii') });
    const received = new smpp.PDU(sent.toBuffer());
    expect((received.short_message as { message: string }).message).toBe('OK ¡ gate§3 ¤5');
    expect(decodeMessageField(received.short_message, 0x01).text).toBe('OK @ gate_3 $5');
  });
});
