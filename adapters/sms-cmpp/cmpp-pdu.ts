/**
 * CMPP PDUs as plain data: one type per message an SP and an ISMG exchange (CMPP 2.0 §7.4,
 * 3.0 §8.4). Fields keep their spec names in camelCase; Msg_Id is a bigint (8 octets).
 */
import type { CmppVersion } from './cmpp-constants.js';

interface Base {
  sequenceId: number;
}

/** §7.4.1.1 / §8.4.1.1 */
export interface ConnectPdu extends Base {
  command: 'connect';
  sourceAddr: string;
  authenticatorSource: Buffer;
  version: number;
  timestamp: number;
}

/** §7.4.1.2 / §8.4.1.2. `statusWidth`: 1 in 2.0, 4 in 3.0 (read from the body length). */
export interface ConnectRespPdu extends Base {
  command: 'connect_resp';
  status: number;
  authenticatorIsmg: Buffer;
  version: number;
  statusWidth: 1 | 4;
}

/** §7.4.3.1 / §8.4.3.1. 3.0-only fields are ignored when encoding 2.0 (and read as 0/'' from 2.0). */
export interface SubmitPdu extends Base {
  command: 'submit';
  msgId: bigint;
  pkTotal: number;
  pkNumber: number;
  registeredDelivery: number;
  msgLevel: number;
  serviceId: string;
  feeUserType: number;
  feeTerminalId: string;
  /** 3.0 only. */
  feeTerminalType: number;
  tpPid: number;
  tpUdhi: number;
  msgFmt: number;
  msgSrc: string;
  feeType: string;
  feeCode: string;
  validTime: string;
  atTime: string;
  srcId: string;
  destTerminalIds: string[];
  /** 3.0 only. */
  destTerminalType: number;
  msgContent: Buffer;
  /** 3.0 LinkID (20 octets); 2.0 Reserve (8 octets). */
  linkId: string;
}

/** §7.4.3.2 / §8.4.3.2. `resultWidth` as for ConnectRespPdu.statusWidth. */
export interface SubmitRespPdu extends Base {
  command: 'submit_resp';
  msgId: bigint;
  result: number;
  resultWidth: 1 | 4;
}

/** §7.4.5.1 / §8.4.5.1 */
export interface DeliverPdu extends Base {
  command: 'deliver';
  msgId: bigint;
  destId: string;
  serviceId: string;
  tpPid: number;
  tpUdhi: number;
  msgFmt: number;
  srcTerminalId: string;
  /** 3.0 only. */
  srcTerminalType: number;
  /** 1: Msg_Content is a status report (StatusReport below); 0: a message from a phone. */
  registeredDelivery: number;
  msgContent: Buffer;
  linkId: string;
  /** The layout it was read in (an ISMG may answer a 3.0 CONNECT in 2.0 layouts). */
  layout: CmppVersion;
}

/** §7.4.5.2 / §8.4.5.2 */
export interface DeliverRespPdu extends Base {
  command: 'deliver_resp';
  msgId: bigint;
  result: number;
  resultWidth: 1 | 4;
}

/** §7.4.2 / §8.4.2: no body. */
export interface TerminatePdu extends Base {
  command: 'terminate' | 'terminate_resp';
}

/** §7.4.7.1: no body. */
export interface ActiveTestPdu extends Base {
  command: 'active_test';
}

/** §7.4.7.2: one Reserved octet. */
export interface ActiveTestRespPdu extends Base {
  command: 'active_test_resp';
  reserved: number;
}

/** Any other Command_Id (QUERY, CANCEL, the ISMG–GNS messages…): kept as bytes. */
export interface OtherPdu extends Base {
  command: 'other';
  commandId: number;
  body: Buffer;
}

export type CmppPdu =
  | ConnectPdu
  | ConnectRespPdu
  | SubmitPdu
  | SubmitRespPdu
  | DeliverPdu
  | DeliverRespPdu
  | TerminatePdu
  | ActiveTestPdu
  | ActiveTestRespPdu
  | OtherPdu;

/**
 * A status report, the Msg_Content of a DELIVER with Registered_Delivery 1 (§7.4.5.1 / §8.4.5.1):
 * Msg_Id, Stat, Submit_time, Done_time, Dest_terminal_Id (21 octets in 2.0, 32 in 3.0), SMSC_sequence.
 */
export interface StatusReport {
  msgId: bigint;
  stat: string;
  submitTime: string;
  doneTime: string;
  destTerminalId: string;
  smscSequence: number;
}

export type Decoded<T> = { ok: true; pdu: T } | { ok: false; detail: string; sequenceId?: number; commandId?: number };
