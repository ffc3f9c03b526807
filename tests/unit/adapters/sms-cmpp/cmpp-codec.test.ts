/**
 * The CMPP codec against byte-exact frames built from the 2.0 and 3.0 specifications
 * (cmpp-fixtures.ts): every fixture decodes to the whole expected PDU and the PDU encodes back
 * to the same bytes; the MD5 authenticators and the Msg_Id bit layout match the spec's formulas.
 */
import { describe, expect, it } from 'vitest';
import { authenticatorIsmg, authenticatorSource, cmppTimestamp, msgIdKey, packMsgId, timestampText, unpackMsgId } from '../../../../adapters/sms-cmpp/cmpp-auth.js';
import { decodePdu, decodeStatusReport, encodePdu, encodeStatusReport } from '../../../../adapters/sms-cmpp/cmpp-codec.js';
import type { CmppVersion } from '../../../../adapters/sms-cmpp/cmpp-constants.js';
import type { CmppPdu, StatusReport, SubmitPdu } from '../../../../adapters/sms-cmpp/cmpp-pdu.js';
import * as F from './cmpp-fixtures.js';

const AUTH = F.hex('d42ed1a529ec68d7c935a6b2cceedec1');

const submit20: SubmitPdu = {
  command: 'submit',
  sequenceId: 17,
  msgId: 0n,
  pkTotal: 1,
  pkNumber: 1,
  registeredDelivery: 1,
  msgLevel: 0,
  serviceId: 'MJS0001',
  feeUserType: 2,
  feeTerminalId: '',
  feeTerminalType: 0,
  tpPid: 0,
  tpUdhi: 0,
  msgFmt: 8,
  msgSrc: '901234',
  feeType: '01',
  feeCode: '0',
  validTime: '',
  atTime: '',
  srcId: '1065710001',
  destTerminalIds: ['13800138000'],
  destTerminalType: 0,
  msgContent: F.hex('65365230'),
  linkId: '',
};

const report20: StatusReport = { msgId: F.MSG_ID, stat: 'DELIVRD', submitTime: '2611031405', doneTime: '2611031405', destTerminalId: '13800138000', smscSequence: 1 };
const report30: StatusReport = { msgId: F.MSG_ID, stat: 'UNDELIV', submitTime: '2611031405', doneTime: '2611031406', destTerminalId: '13800138000', smscSequence: 2 };

const CASES: { name: string; bytes: Buffer; version: CmppVersion; pdu: CmppPdu }[] = [
  { name: 'CONNECT 2.0', bytes: F.CONNECT_20, version: '2.0', pdu: { command: 'connect', sequenceId: 1, sourceAddr: '901234', authenticatorSource: AUTH, version: 0x20, timestamp: 1103140509 } },
  { name: 'CONNECT 3.0', bytes: F.CONNECT_30, version: '3.0', pdu: { command: 'connect', sequenceId: 1, sourceAddr: '901234', authenticatorSource: AUTH, version: 0x30, timestamp: 1103140509 } },
  {
    name: 'CONNECT_RESP 2.0',
    bytes: F.CONNECT_RESP_20,
    version: '2.0',
    pdu: { command: 'connect_resp', sequenceId: 1, status: 0, authenticatorIsmg: F.hex('e7f6b1a079ad0b5bfb454f7e58992d94'), version: 0x20, statusWidth: 1 },
  },
  {
    name: 'CONNECT_RESP 3.0',
    bytes: F.CONNECT_RESP_30,
    version: '3.0',
    pdu: { command: 'connect_resp', sequenceId: 1, status: 0, authenticatorIsmg: F.hex('827c54a048816389e9aece4136cd4aaf'), version: 0x30, statusWidth: 4 },
  },
  { name: 'CONNECT_RESP 2.0 auth error', bytes: F.CONNECT_RESP_20_AUTH, version: '2.0', pdu: { command: 'connect_resp', sequenceId: 1, status: 3, authenticatorIsmg: Buffer.alloc(16), version: 0x20, statusWidth: 1 } },
  { name: 'SUBMIT 2.0', bytes: F.SUBMIT_20, version: '2.0', pdu: submit20 },
  {
    name: 'SUBMIT 3.0 long part',
    bytes: F.SUBMIT_30_LONG_PART,
    version: '3.0',
    pdu: { ...submit20, sequenceId: 18, pkTotal: 2, tpUdhi: 1, msgContent: F.hex('0500037b0201', '7d276025') },
  },
  { name: 'SUBMIT_RESP 2.0', bytes: F.SUBMIT_RESP_20, version: '2.0', pdu: { command: 'submit_resp', sequenceId: 17, msgId: F.MSG_ID, result: 0, resultWidth: 1 } },
  { name: 'SUBMIT_RESP 3.0', bytes: F.SUBMIT_RESP_30, version: '3.0', pdu: { command: 'submit_resp', sequenceId: 18, msgId: F.MSG_ID, result: 0, resultWidth: 4 } },
  { name: 'SUBMIT_RESP 2.0 flow control', bytes: F.SUBMIT_RESP_20_FLOW, version: '2.0', pdu: { command: 'submit_resp', sequenceId: 19, msgId: 0n, result: 8, resultWidth: 1 } },
  {
    name: 'DELIVER report 2.0',
    bytes: F.DELIVER_REPORT_20,
    version: '2.0',
    pdu: {
      command: 'deliver',
      sequenceId: 7,
      msgId: F.DELIVER_MSG_ID,
      destId: '1065710001',
      serviceId: 'MJS0001',
      tpPid: 0,
      tpUdhi: 0,
      msgFmt: 0,
      srcTerminalId: '13800138000',
      srcTerminalType: 0,
      registeredDelivery: 1,
      msgContent: encodeStatusReport(report20, '2.0'),
      linkId: '',
      layout: '2.0',
    },
  },
  {
    name: 'DELIVER report 3.0',
    bytes: F.DELIVER_REPORT_30,
    version: '3.0',
    pdu: {
      command: 'deliver',
      sequenceId: 8,
      msgId: F.DELIVER_MSG_ID,
      destId: '1065710001',
      serviceId: 'MJS0001',
      tpPid: 0,
      tpUdhi: 0,
      msgFmt: 0,
      srcTerminalId: '13800138000',
      srcTerminalType: 0,
      registeredDelivery: 1,
      msgContent: encodeStatusReport(report30, '3.0'),
      linkId: '',
      layout: '3.0',
    },
  },
  {
    name: 'DELIVER from a phone 2.0',
    bytes: F.DELIVER_MO_20,
    version: '2.0',
    pdu: {
      command: 'deliver',
      sequenceId: 9,
      msgId: F.DELIVER_MSG_ID,
      destId: '1065710001',
      serviceId: '',
      tpPid: 0,
      tpUdhi: 0,
      msgFmt: 8,
      srcTerminalId: '8613800138000',
      srcTerminalType: 0,
      registeredDelivery: 0,
      msgContent: F.hex('65365230'),
      linkId: '',
      layout: '2.0',
    },
  },
  { name: 'DELIVER_RESP 2.0', bytes: F.DELIVER_RESP_20, version: '2.0', pdu: { command: 'deliver_resp', sequenceId: 7, msgId: F.DELIVER_MSG_ID, result: 0, resultWidth: 1 } },
  { name: 'DELIVER_RESP 3.0', bytes: F.DELIVER_RESP_30, version: '3.0', pdu: { command: 'deliver_resp', sequenceId: 8, msgId: F.DELIVER_MSG_ID, result: 0, resultWidth: 4 } },
  { name: 'ACTIVE_TEST', bytes: F.ACTIVE_TEST, version: '2.0', pdu: { command: 'active_test', sequenceId: 5 } },
  { name: 'ACTIVE_TEST_RESP', bytes: F.ACTIVE_TEST_RESP, version: '3.0', pdu: { command: 'active_test_resp', sequenceId: 5, reserved: 0 } },
  { name: 'TERMINATE', bytes: F.TERMINATE, version: '2.0', pdu: { command: 'terminate', sequenceId: 6 } },
  { name: 'TERMINATE_RESP', bytes: F.TERMINATE_RESP, version: '3.0', pdu: { command: 'terminate_resp', sequenceId: 6 } },
];

describe('CMPP codec: byte-exact frames from the specifications', () => {
  for (const c of CASES) {
    it(`${c.name}: decodes to the PDU and encodes back to the same bytes`, () => {
      expect(decodePdu(c.bytes, c.version)).toStrictEqual({ ok: true, pdu: c.pdu });
      expect(encodePdu(c.pdu, c.version).toString('hex')).toBe(c.bytes.toString('hex'));
    });
  }

  it('reads the version-dependent responses by their length, whatever the session speaks', () => {
    // A 2.0-only ISMG answering a 3.0 CONNECT, and a 3.0 one answering in its own layout.
    expect(decodePdu(F.CONNECT_RESP_20, '3.0')).toMatchObject({ ok: true, pdu: { statusWidth: 1, status: 0 } });
    expect(decodePdu(F.SUBMIT_RESP_30, '2.0')).toMatchObject({ ok: true, pdu: { resultWidth: 4, msgId: F.MSG_ID } });
    expect(decodePdu(F.DELIVER_REPORT_20, '3.0')).toMatchObject({ ok: true, pdu: { layout: '2.0', srcTerminalId: '13800138000' } });
    expect(decodePdu(F.DELIVER_REPORT_30, '2.0')).toMatchObject({ ok: true, pdu: { layout: '3.0', srcTerminalId: '13800138000' } });
  });

  it('accepts a DELIVER whose Reserved / LinkID is short or missing (the report is what matters)', () => {
    const bare = Buffer.from(F.DELIVER_REPORT_20.subarray(0, F.DELIVER_REPORT_20.length - 8));
    bare.writeUInt32BE(bare.length, 0);
    expect(decodePdu(bare, '2.0')).toMatchObject({ ok: true, pdu: { layout: '2.0', registeredDelivery: 1, msgContent: encodeStatusReport(report20, '2.0'), linkId: '' } });
    const short = Buffer.from(F.DELIVER_REPORT_30.subarray(0, F.DELIVER_REPORT_30.length - 12));
    short.writeUInt32BE(short.length, 0);
    expect(decodePdu(short, '3.0')).toMatchObject({ ok: true, pdu: { layout: '3.0', msgContent: encodeStatusReport(report30, '3.0') } });
  });

  it('status reports: 60 octets (2.0) and 71 (3.0) read to the whole report', () => {
    const at = (frame: Buffer, start: number, len: number) => frame.subarray(start, start + len);
    expect(decodeStatusReport(at(F.DELIVER_REPORT_20, 12 + 8 + 21 + 10 + 3 + 21 + 2, 60))).toStrictEqual({ ok: true, pdu: report20 });
    expect(decodeStatusReport(at(F.DELIVER_REPORT_30, 12 + 8 + 21 + 10 + 3 + 32 + 3, 71))).toStrictEqual({ ok: true, pdu: report30 });
    expect(decodeStatusReport(Buffer.alloc(59))).toStrictEqual({ ok: false, detail: 'status report is 60 (2.0) or 71 (3.0) octets, got 59' });
  });

  it('refuses frames that break their layout, with the reason and the sequence id', () => {
    const truncated = Buffer.from(F.SUBMIT_RESP_20.subarray(0, 20));
    truncated.writeUInt32BE(20, 0);
    expect(decodePdu(truncated, '2.0')).toStrictEqual({ ok: false, detail: 'response body is 9 (2.0) or 12 (3.0) octets, got 8', sequenceId: 17, commandId: 0x80000004 });
    const lying = Buffer.from(F.ACTIVE_TEST);
    lying.writeUInt32BE(13, 0);
    expect(decodePdu(lying, '2.0')).toStrictEqual({ ok: false, detail: 'Total_Length 13 but the frame has 12 octets', sequenceId: 5, commandId: 8 });
    const withBody = Buffer.concat([F.TERMINATE, Buffer.from([0])]);
    withBody.writeUInt32BE(13, 0);
    expect(decodePdu(withBody, '2.0')).toStrictEqual({ ok: false, detail: 'CMPP_TERMINATE has no body, got 1 octets', sequenceId: 6, commandId: 2 });
    expect(decodePdu(Buffer.alloc(5), '2.0')).toStrictEqual({ ok: false, detail: 'frame of 5 octets is shorter than the 12-octet header' });
  });

  it('keeps commands it does not use (QUERY, CANCEL…) as bytes', () => {
    const query = F.hex('0000000f', '00000006', '00000009', 'aabbcc');
    expect(decodePdu(query, '2.0')).toStrictEqual({ ok: true, pdu: { command: 'other', sequenceId: 9, commandId: 6, body: F.hex('aabbcc') } });
  });

  it('refuses to encode a field longer than its octet string', () => {
    expect(() => encodePdu({ ...submit20, srcId: '1'.repeat(22) }, '2.0')).toThrow(expect.objectContaining({ code: 'GW_ERR_CMPP_FIELD', message: 'Src_Id is 22 octets; CMPP allows 21' }));
    expect(() => encodePdu({ ...submit20, destTerminalIds: ['8'.repeat(22)] }, '2.0')).toThrow(expect.objectContaining({ code: 'GW_ERR_CMPP_FIELD' }));
    // 3.0 has room for 32-octet numbers.
    expect(() => encodePdu({ ...submit20, destTerminalIds: ['8'.repeat(22)] }, '3.0')).not.toThrow();
  });
});

describe('CMPP authenticators, timestamp and Msg_Id', () => {
  it('AuthenticatorSource = MD5(Source_Addr + 9 zero octets + secret + MMDDHHMMSS) (§7.4.1.1)', () => {
    expect(authenticatorSource('901234', 'secret0', '1103140509')).toStrictEqual(AUTH);
    expect(authenticatorSource('901234', 'secret1', '1103140509').equals(AUTH)).toBe(false);
  });

  it('AuthenticatorISMG = MD5(Status + AuthenticatorSource + secret), Status in its field width (§7.4.1.2, §8.4.1.2)', () => {
    expect(authenticatorIsmg(0, 1, AUTH, 'secret0').toString('hex')).toBe('e7f6b1a079ad0b5bfb454f7e58992d94');
    expect(authenticatorIsmg(0, 4, AUTH, 'secret0').toString('hex')).toBe('827c54a048816389e9aece4136cd4aaf');
  });

  it('Timestamp: MMDDHHMMSS in the ISMG time zone, the same digits as an integer', () => {
    const at = Date.UTC(2026, 10, 3, 6, 5, 9); // 14:05:09 in Beijing
    expect(cmppTimestamp(at, 'Asia/Shanghai')).toStrictEqual({ text: '1103140509', value: 1103140509 });
    // January keeps its leading zero in the MD5 text; the integer loses it and gets it back.
    const jan = cmppTimestamp(Date.UTC(2027, 0, 2, 3, 4, 5), 'UTC');
    expect(jan).toStrictEqual({ text: '0102030405', value: 102030405 });
    expect(timestampText(jan.value)).toBe('0102030405');
  });

  it('Msg_Id: month 4 bits, day 5, hour 5, minute 6, second 6, ISMG 22, sequence 16 (§7.4.3.2)', () => {
    const parts = { month: 11, day: 3, hour: 14, minute: 5, second: 9, ismg: 571001, sequence: 1 };
    expect(packMsgId(parts)).toBe(F.MSG_ID);
    expect(unpackMsgId(F.MSG_ID)).toStrictEqual(parts);
    expect(msgIdKey(F.MSG_ID)).toBe('b1b85248b6790001');
    expect(msgIdKey(1n)).toBe('0000000000000001');
  });
});
