/**
 * CMPP numbers: command ids, versions, status and result codes, field widths. Clauses are
 * cited as CMPP 2.0 (中国移动通信互联网短信网关接口协议 V2.0, 2002) and CMPP 3.0 (V3.0.0); the
 * message definitions are §7.4.x in 2.0 and §8.4.x in 3.0, with the same sub-numbering.
 */

/** The versions we speak; the byte is major in the high nibble, minor in the low (CMPP 3.0 §8.4.1.1). */
export type CmppVersion = '2.0' | '3.0';
export const VERSION_BYTE: Readonly<Record<CmppVersion, number>> = { '2.0': 0x20, '3.0': 0x30 };

export function versionOfByte(b: number): CmppVersion | undefined {
  const major = b >> 4;
  if (major === 2) return '2.0';
  if (major === 3) return '3.0';
  return undefined;
}

/** CMPP 2.0 §7.3 / 3.0 §8.3: Total_Length, Command_Id, Sequence_Id, 4 octets each, network order. */
export const HEADER_LENGTH = 12;

/**
 * Largest frame we accept. The longest PDU an SP or ISMG sends is a CMPP 3.0 SUBMIT to 99
 * recipients (DestUsr_tl < 100, §8.4.3.1): 12 + 126 + 99 × 32 + 140 + 20 = 3466 octets.
 */
export const MAX_FRAME_LENGTH = 4096;

/** CMPP 3.0 §8.7.1 (the same table in 2.0): Command_Id; a response is its request with the high bit set. */
export const COMMAND = {
  CONNECT: 0x00000001,
  CONNECT_RESP: 0x80000001,
  TERMINATE: 0x00000002,
  TERMINATE_RESP: 0x80000002,
  SUBMIT: 0x00000004,
  SUBMIT_RESP: 0x80000004,
  DELIVER: 0x00000005,
  DELIVER_RESP: 0x80000005,
  QUERY: 0x00000006,
  QUERY_RESP: 0x80000006,
  CANCEL: 0x00000007,
  CANCEL_RESP: 0x80000007,
  ACTIVE_TEST: 0x00000008,
  ACTIVE_TEST_RESP: 0x80000008,
} as const;

export const RESPONSE_BIT = 0x80000000;

const COMMAND_NAMES: ReadonlyMap<number, string> = new Map(Object.entries(COMMAND).map(([k, v]) => [v, `CMPP_${k}`]));

export function commandName(id: number): string {
  return COMMAND_NAMES.get(id) ?? `0x${id.toString(16).padStart(8, '0')}`;
}

/** CMPP_CONNECT_RESP Status (2.0 §7.4.1.2: 1 octet; 3.0 §8.4.1.2: 4 octets). */
export const CONNECT_STATUS = {
  OK: 0,
  STRUCTURE: 1,
  ILLEGAL_SOURCE: 2,
  AUTH: 3,
  VERSION_TOO_HIGH: 4,
  OTHER: 5,
} as const;

const CONNECT_STATUS_TEXT = ['correct', 'message structure error', 'illegal source address', 'authentication error', 'version too high'];

export function connectStatusName(s: number): string {
  return `Status ${s} (${CONNECT_STATUS_TEXT[s] ?? 'other error'})`;
}

/**
 * CMPP_SUBMIT_RESP Result (2.0 §7.4.3.2: 0–8; 3.0 §8.4.3.2 adds 9–13) and CMPP_DELIVER_RESP
 * Result (§7.4.5.2 / §8.4.5.2: 0–8, 9~ other).
 */
export const RESULT = {
  OK: 0,
  STRUCTURE: 1,
  COMMAND: 2,
  DUPLICATE_SEQUENCE: 3,
  LENGTH: 4,
  FEE_CODE: 5,
  TOO_LONG: 6,
  SERVICE_ID: 7,
  FLOW_CONTROL: 8,
  OTHER: 9,
  SRC_ID: 10,
  MSG_SRC: 11,
  FEE_TERMINAL_ID: 12,
  DEST_TERMINAL_ID: 13,
} as const;

const RESULT_TEXT = [
  'correct',
  'message structure error',
  'command word error',
  'duplicate message sequence',
  'message length error',
  'fee code error',
  'message too long',
  'service id error',
  'flow control',
  'charged number not served by this gateway',
  'Src_Id error',
  'Msg_src error',
  'Fee_terminal_Id error',
  'Dest_terminal_Id error',
];

export function resultName(r: number): string {
  return `Result ${r} (${RESULT_TEXT[r] ?? 'other error'})`;
}

/** Msg_Fmt (§7.4.3.1 / §8.4.3.1). */
export const MSG_FMT = { ASCII: 0, WRITE_CARD: 3, BINARY: 4, UCS2: 8, GB: 15 } as const;

/** Fixed widths that differ between the versions (2.0 §7.4.3.1, §7.4.5.1; 3.0 §8.4.3.1, §8.4.5.1). */
export interface VersionWidths {
  /** Fee_terminal_Id, Dest_terminal_Id, Src_terminal_Id and the report's Dest_terminal_Id. */
  terminalId: number;
  /** CONNECT_RESP Status, SUBMIT_RESP and DELIVER_RESP Result. */
  result: 1 | 4;
  /** 2.0: Reserve/Reserved; 3.0: LinkID. */
  trailer: number;
  /** 3.0 adds Fee_terminal_type, Dest_terminal_type and Src_terminal_type. */
  terminalTypes: boolean;
  /** Length of a status report's Msg_Content (§7.4.5.1: 60; §8.4.5.1: 71). */
  report: number;
}

export const WIDTHS: Readonly<Record<CmppVersion, VersionWidths>> = {
  '2.0': { terminalId: 21, result: 1, trailer: 8, terminalTypes: false, report: 60 },
  '3.0': { terminalId: 32, result: 4, trailer: 20, terminalTypes: true, report: 71 },
};
