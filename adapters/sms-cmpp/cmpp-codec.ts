/**
 * CMPP 2.0 / 3.0 PDU codec: one frame (a whole PDU, header included) ↔ CmppPdu. Pure: no
 * sockets, no clock. decodePdu never throws: a PDU that breaks its layout is a `{ ok: false }`
 * with the reason, and the sequence id when the header was readable.
 *
 * Layouts (2.0 | 3.0 where they differ, see WIDTHS): CMPP 2.0 §7.4.1–§7.4.7, 3.0 §8.4.1–§8.4.7.
 * Responses whose width differs by version (CONNECT_RESP Status, SUBMIT_RESP and DELIVER_RESP
 * Result) are read by their body length, so a 2.0-only ISMG answering a 3.0 CONNECT is understood.
 */
import { Reader, Writer } from './cmpp-bytes.js';
import { COMMAND, HEADER_LENGTH, WIDTHS, type CmppVersion } from './cmpp-constants.js';
import type {
  CmppPdu,
  ConnectPdu,
  ConnectRespPdu,
  Decoded,
  DeliverPdu,
  DeliverRespPdu,
  StatusReport,
  SubmitPdu,
  SubmitRespPdu,
} from './cmpp-pdu.js';
import { errorMessage } from '../../gateway/contract/errors.js';
import { CMPP_ERRORS } from './errors.js';

const COMMAND_OF: Readonly<Record<Exclude<CmppPdu['command'], 'other'>, number>> = {
  connect: COMMAND.CONNECT,
  connect_resp: COMMAND.CONNECT_RESP,
  terminate: COMMAND.TERMINATE,
  terminate_resp: COMMAND.TERMINATE_RESP,
  submit: COMMAND.SUBMIT,
  submit_resp: COMMAND.SUBMIT_RESP,
  deliver: COMMAND.DELIVER,
  deliver_resp: COMMAND.DELIVER_RESP,
  active_test: COMMAND.ACTIVE_TEST,
  active_test_resp: COMMAND.ACTIVE_TEST_RESP,
};

const field = (detail: string) => CMPP_ERRORS.error('GW_ERR_CMPP_FIELD', detail);
const malformed = (detail: string) => CMPP_ERRORS.error('GW_ERR_CMPP_MALFORMED', detail);

function result(w: Writer, value: number, width: 1 | 4): void {
  if (width === 1) w.u8(value);
  else w.u32(value);
}

function body(pdu: CmppPdu, version: CmppVersion): Writer {
  const v = WIDTHS[version];
  const w = new Writer();
  switch (pdu.command) {
    case 'connect':
      return w.octets(pdu.sourceAddr, 6, 'Source_Addr').bytes(fixed(pdu.authenticatorSource, 16)).u8(pdu.version).u32(pdu.timestamp);
    case 'connect_resp':
      result(w, pdu.status, pdu.statusWidth);
      return w.bytes(fixed(pdu.authenticatorIsmg, 16)).u8(pdu.version);
    case 'submit': {
      if (pdu.destTerminalIds.length < 1 || pdu.destTerminalIds.length > 99) throw field(`DestUsr_tl ${pdu.destTerminalIds.length} is not 1..99`);
      if (pdu.msgContent.length > 255) throw field(`Msg_Length ${pdu.msgContent.length} is over 255`);
      w.u64(pdu.msgId).u8(pdu.pkTotal).u8(pdu.pkNumber).u8(pdu.registeredDelivery).u8(pdu.msgLevel);
      w.octets(pdu.serviceId, 10, 'Service_Id').u8(pdu.feeUserType).octets(pdu.feeTerminalId, v.terminalId, 'Fee_terminal_Id');
      if (v.terminalTypes) w.u8(pdu.feeTerminalType);
      w.u8(pdu.tpPid).u8(pdu.tpUdhi).u8(pdu.msgFmt).octets(pdu.msgSrc, 6, 'Msg_src').octets(pdu.feeType, 2, 'FeeType').octets(pdu.feeCode, 6, 'FeeCode');
      w.octets(pdu.validTime, 17, 'ValId_Time').octets(pdu.atTime, 17, 'At_Time').octets(pdu.srcId, 21, 'Src_Id').u8(pdu.destTerminalIds.length);
      for (const d of pdu.destTerminalIds) w.octets(d, v.terminalId, 'Dest_terminal_Id');
      if (v.terminalTypes) w.u8(pdu.destTerminalType);
      return w.u8(pdu.msgContent.length).bytes(pdu.msgContent).octets(pdu.linkId, v.trailer, version === '2.0' ? 'Reserve' : 'LinkID');
    }
    case 'submit_resp':
    case 'deliver_resp':
      w.u64(pdu.msgId);
      result(w, pdu.result, pdu.resultWidth);
      return w;
    case 'deliver': {
      if (pdu.msgContent.length > 255) throw field(`Msg_Length ${pdu.msgContent.length} is over 255`);
      const l = WIDTHS[pdu.layout];
      w.u64(pdu.msgId).octets(pdu.destId, 21, 'Dest_Id').octets(pdu.serviceId, 10, 'Service_Id').u8(pdu.tpPid).u8(pdu.tpUdhi).u8(pdu.msgFmt);
      w.octets(pdu.srcTerminalId, l.terminalId, 'Src_terminal_Id');
      if (l.terminalTypes) w.u8(pdu.srcTerminalType);
      return w.u8(pdu.registeredDelivery).u8(pdu.msgContent.length).bytes(pdu.msgContent).octets(pdu.linkId, l.trailer, pdu.layout === '2.0' ? 'Reserved' : 'LinkID');
    }
    case 'active_test_resp':
      return w.u8(pdu.reserved);
    case 'other':
      return w.bytes(pdu.body);
    default:
      // terminate, terminate_resp, active_test: header only.
      return w;
  }
}

function fixed(b: Uint8Array, n: number): Buffer {
  const out = Buffer.alloc(n);
  Buffer.from(b).copy(out, 0, 0, Math.min(n, b.length));
  return out;
}

/** The whole frame: header (§7.3 / §8.3) and body in `version`'s layout. */
export function encodePdu(pdu: CmppPdu, version: CmppVersion): Buffer {
  const b = body(pdu, version);
  const commandId = pdu.command === 'other' ? pdu.commandId : COMMAND_OF[pdu.command];
  const head = new Writer().u32(HEADER_LENGTH + b.length).u32(commandId).u32(pdu.sequenceId);
  return Buffer.concat([head.toBuffer(), b.toBuffer()]);
}

function resultWidth(bodyLength: number, min: number): 1 | 4 {
  return bodyLength >= min + 3 ? 4 : 1;
}

function decodeDeliver(r: Reader, sequenceId: number, layout: CmppVersion): DeliverPdu {
  const l = WIDTHS[layout];
  const msgId = r.u64('Msg_Id');
  const destId = r.octets(21, 'Dest_Id');
  const serviceId = r.octets(10, 'Service_Id');
  const tpPid = r.u8('TP_pid');
  const tpUdhi = r.u8('TP_udhi');
  const msgFmt = r.u8('Msg_Fmt');
  const srcTerminalId = r.octets(l.terminalId, 'Src_terminal_Id');
  const srcTerminalType = l.terminalTypes ? r.u8('Src_terminal_type') : 0;
  const registeredDelivery = r.u8('Registered_Delivery');
  const len = r.u8('Msg_Length');
  const msgContent = r.bytes(len, 'Msg_Content');
  // Reserved / LinkID carry nothing we use; some gateways send it short or not at all, which
  // costs nothing to accept (a status report lost to a missing trailer would cost a recipient).
  const linkId = r.octets(Math.min(l.trailer, r.remaining), layout === '2.0' ? 'Reserved' : 'LinkID');
  if (r.remaining !== 0) throw malformed(`${r.remaining} octets after ${layout === '2.0' ? 'Reserved' : 'LinkID'}`);
  return { command: 'deliver', sequenceId, msgId, destId, serviceId, tpPid, tpUdhi, msgFmt, srcTerminalId, srcTerminalType, registeredDelivery, msgContent, linkId, layout };
}

/** Offset of Msg_Length in a DELIVER body of that layout. */
const DELIVER_LENGTH_AT: Readonly<Record<CmppVersion, number>> = { '2.0': 8 + 21 + 10 + 3 + 21 + 1, '3.0': 8 + 21 + 10 + 3 + 32 + 1 + 1 };

/**
 * The layout a DELIVER body is consistent with: exactly (with its whole trailer) in the
 * session's layout, then in the other one, then with a short trailer in either.
 */
function deliverLayout(b: Buffer, preferred: CmppVersion): CmppVersion {
  const other: CmppVersion = preferred === '2.0' ? '3.0' : '2.0';
  const trailerLeft = (l: CmppVersion): number => {
    const at = DELIVER_LENGTH_AT[l];
    return b.length > at ? b.length - (at + 1 + (b[at] as number)) : -1;
  };
  for (const l of [preferred, other]) if (trailerLeft(l) === WIDTHS[l].trailer) return l;
  for (const l of [preferred, other]) if (trailerLeft(l) >= 0 && trailerLeft(l) < WIDTHS[l].trailer) return l;
  return preferred;
}

function decodeSubmit(r: Reader, sequenceId: number, version: CmppVersion): SubmitPdu {
  const v = WIDTHS[version];
  const msgId = r.u64('Msg_Id');
  const pkTotal = r.u8('Pk_total');
  const pkNumber = r.u8('Pk_number');
  const registeredDelivery = r.u8('Registered_Delivery');
  const msgLevel = r.u8('Msg_level');
  const serviceId = r.octets(10, 'Service_Id');
  const feeUserType = r.u8('Fee_UserType');
  const feeTerminalId = r.octets(v.terminalId, 'Fee_terminal_Id');
  const feeTerminalType = v.terminalTypes ? r.u8('Fee_terminal_type') : 0;
  const tpPid = r.u8('TP_pId');
  const tpUdhi = r.u8('TP_udhi');
  const msgFmt = r.u8('Msg_Fmt');
  const msgSrc = r.octets(6, 'Msg_src');
  const feeType = r.octets(2, 'FeeType');
  const feeCode = r.octets(6, 'FeeCode');
  const validTime = r.octets(17, 'ValId_Time');
  const atTime = r.octets(17, 'At_Time');
  const srcId = r.octets(21, 'Src_Id');
  const n = r.u8('DestUsr_tl');
  // §8.4.3.1: "fewer than 100 users"; zero recipients is no message at all.
  if (n < 1 || n > 99) throw malformed(`DestUsr_tl ${n} is not 1..99`);
  const destTerminalIds: string[] = [];
  for (let i = 0; i < n; i++) destTerminalIds.push(r.octets(v.terminalId, 'Dest_terminal_Id'));
  const destTerminalType = v.terminalTypes ? r.u8('Dest_terminal_type') : 0;
  const len = r.u8('Msg_Length');
  const msgContent = r.bytes(len, 'Msg_Content');
  const linkId = r.octets(v.trailer, version === '2.0' ? 'Reserve' : 'LinkID');
  if (r.remaining !== 0) throw malformed(`${r.remaining} octets after the last field`);
  return {
    command: 'submit',
    sequenceId,
    msgId,
    pkTotal,
    pkNumber,
    registeredDelivery,
    msgLevel,
    serviceId,
    feeUserType,
    feeTerminalId,
    feeTerminalType,
    tpPid,
    tpUdhi,
    msgFmt,
    msgSrc,
    feeType,
    feeCode,
    validTime,
    atTime,
    srcId,
    destTerminalIds,
    destTerminalType,
    msgContent,
    linkId,
  };
}

/**
 * One frame → PDU. `version` is the session's: it picks the SUBMIT and DELIVER layouts
 * (DELIVER falls back to the other layout when only that one fits the body length).
 */
export function decodePdu(frame: Buffer, version: CmppVersion): Decoded<CmppPdu> {
  if (frame.length < HEADER_LENGTH) return { ok: false, detail: `frame of ${frame.length} octets is shorter than the 12-octet header` };
  const total = frame.readUInt32BE(0);
  const commandId = frame.readUInt32BE(4);
  const sequenceId = frame.readUInt32BE(8);
  if (total !== frame.length) return { ok: false, detail: `Total_Length ${total} but the frame has ${frame.length} octets`, sequenceId, commandId };
  const b = frame.subarray(HEADER_LENGTH);
  const r = new Reader(b, `0x${commandId.toString(16).padStart(8, '0')}`);
  try {
    const pdu = decodeBody(r, b, commandId, sequenceId, version);
    return { ok: true, pdu };
  } catch (err) {
    return { ok: false, detail: errorMessage(err), sequenceId, commandId };
  }
}

function noBody(b: Buffer, name: string): void {
  // §7.4.2 and §7.4.7.1 define no body; octets there mean the peer speaks something else.
  if (b.length !== 0) throw malformed(`${name} has no body, got ${b.length} octets`);
}

function decodeBody(r: Reader, b: Buffer, commandId: number, sequenceId: number, version: CmppVersion): CmppPdu {
  switch (commandId) {
    case COMMAND.CONNECT: {
      const pdu: ConnectPdu = {
        command: 'connect',
        sequenceId,
        sourceAddr: r.octets(6, 'Source_Addr'),
        authenticatorSource: r.bytes(16, 'AuthenticatorSource'),
        version: r.u8('Version'),
        timestamp: r.u32('Timestamp'),
      };
      if (r.remaining !== 0) throw malformed(`CMPP_CONNECT body is 27 octets, got ${b.length}`);
      return pdu;
    }
    case COMMAND.CONNECT_RESP: {
      // 2.0: Status(1) + AuthenticatorISMG(16) + Version(1) = 18; 3.0: Status(4) … = 21.
      if (b.length !== 18 && b.length !== 21) throw malformed(`CMPP_CONNECT_RESP body is 18 (2.0) or 21 (3.0) octets, got ${b.length}`);
      const statusWidth = b.length === 21 ? 4 : 1;
      const status = statusWidth === 4 ? r.u32('Status') : r.u8('Status');
      const pdu: ConnectRespPdu = { command: 'connect_resp', sequenceId, status, authenticatorIsmg: r.bytes(16, 'AuthenticatorISMG'), version: r.u8('Version'), statusWidth };
      return pdu;
    }
    case COMMAND.SUBMIT:
      return decodeSubmit(r, sequenceId, version);
    case COMMAND.SUBMIT_RESP:
    case COMMAND.DELIVER_RESP: {
      // Msg_Id(8) + Result (1 in 2.0, 4 in 3.0).
      if (b.length !== 9 && b.length !== 12) throw malformed(`response body is 9 (2.0) or 12 (3.0) octets, got ${b.length}`);
      const width = resultWidth(b.length, 9);
      const msgId = r.u64('Msg_Id');
      const res = width === 4 ? r.u32('Result') : r.u8('Result');
      const pdu: SubmitRespPdu | DeliverRespPdu =
        commandId === COMMAND.SUBMIT_RESP
          ? { command: 'submit_resp', sequenceId, msgId, result: res, resultWidth: width }
          : { command: 'deliver_resp', sequenceId, msgId, result: res, resultWidth: width };
      return pdu;
    }
    case COMMAND.DELIVER:
      return decodeDeliver(r, sequenceId, deliverLayout(b, version));
    case COMMAND.TERMINATE:
      noBody(b, 'CMPP_TERMINATE');
      return { command: 'terminate', sequenceId };
    case COMMAND.TERMINATE_RESP:
      noBody(b, 'CMPP_TERMINATE_RESP');
      return { command: 'terminate_resp', sequenceId };
    case COMMAND.ACTIVE_TEST:
      noBody(b, 'CMPP_ACTIVE_TEST');
      return { command: 'active_test', sequenceId };
    case COMMAND.ACTIVE_TEST_RESP:
      // §7.4.7.2: Reserved, 1 octet; some ISMGs send none, which costs nothing to accept.
      if (b.length > 1) throw malformed(`CMPP_ACTIVE_TEST_RESP body is 1 octet, got ${b.length}`);
      return { command: 'active_test_resp', sequenceId, reserved: b.length === 1 ? r.u8('Reserved') : 0 };
    default:
      return { command: 'other', sequenceId, commandId, body: Buffer.from(b) };
  }
}

/**
 * A status report's Msg_Content (§7.4.5.1: 60 octets; §8.4.5.1: 71). The Dest_terminal_Id
 * width follows the content's length, not the session: 60 → 21 octets, 71 → 32.
 */
export function decodeStatusReport(content: Buffer): Decoded<StatusReport> {
  if (content.length !== WIDTHS['2.0'].report && content.length !== WIDTHS['3.0'].report) {
    return { ok: false, detail: `status report is 60 (2.0) or 71 (3.0) octets, got ${content.length}` };
  }
  const r = new Reader(content, 'status report');
  try {
    const terminal = content.length === WIDTHS['3.0'].report ? 32 : 21;
    const report: StatusReport = {
      msgId: r.u64('Msg_Id'),
      stat: r.octets(7, 'Stat'),
      submitTime: r.octets(10, 'Submit_time'),
      doneTime: r.octets(10, 'Done_time'),
      destTerminalId: r.octets(terminal, 'Dest_terminal_Id'),
      smscSequence: r.u32('SMSC_sequence'),
    };
    return { ok: true, pdu: report };
  } catch (err) {
    return { ok: false, detail: errorMessage(err) };
  }
}

export function encodeStatusReport(r: StatusReport, version: CmppVersion): Buffer {
  return new Writer()
    .u64(r.msgId)
    .octets(r.stat, 7, 'Stat')
    .octets(r.submitTime, 10, 'Submit_time')
    .octets(r.doneTime, 10, 'Done_time')
    .octets(r.destTerminalId, WIDTHS[version].terminalId, 'Dest_terminal_Id')
    .u32(r.smscSequence)
    .toBuffer();
}
