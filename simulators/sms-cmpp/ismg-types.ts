/** Options, modes and records of the simulated CMPP ISMG. */
import type { CmppVersion } from '../../adapters/sms-cmpp/cmpp-constants.js';

export interface IsmgStartOptions {
  host?: string;
  /** 0 = any free port. */
  port?: number;
  /** The SP_Id (Source_Addr) it accepts. */
  spId?: string;
  sharedSecret?: string;
  /** Highest version it speaks: a 3.0 CONNECT to a '2.0' ISMG gets Status 4 (version too high). */
  maxVersion?: CmppVersion;
  /** Dest_Id of messages from phones (the SP's service number). */
  serviceNumber?: string;
  /** ISMG code in the Msg_Ids it makes (22 bits). */
  ismgCode?: number;
  /** Send its own ACTIVE_TEST every this many ms on each session; 0 = never. */
  activeTestMs?: number;
  reportDelayMs?: number;
  /** Clock of Msg_Ids and report times (China Standard Time like a real ISMG). */
  timeZone?: string;
}

export interface IsmgMode {
  /** Every CMPP_CONNECT refused with Status 5 (other error). */
  refuseAll: boolean;
  /** Destinations whose reports say `failStat`. */
  failNumbers: string[];
  failStat: string;
  /** Destination → SUBMIT_RESP Result (e.g. 13, Dest_terminal_Id error). */
  rejectNumbers: Record<string, number>;
  /** The next N SUBMITs are answered Result 8 (flow control). */
  throttleNext: number;
  /** At most this many SUBMITs accepted per second, the rest Result 8; 0 = no limit. */
  throttleRate: number;
  /** SUBMIT_RESP held this long (to watch the SP's window). */
  submitRespDelayMs: number;
  /** The next N SUBMITs are recorded and never answered. */
  dropSubmitResp: number;
  /** Reports are kept until releaseReports() (a restart between submit and report). */
  holdReports: boolean;
  reportDelayMs: number;
  /** False: the SP's ACTIVE_TESTs are never answered (a half-dead link). */
  answerActiveTest: boolean;
  /** CONNECT_RESP with an AuthenticatorISMG the shared secret does not give (an impostor). */
  badAuthenticator: boolean;
  redeliverDelayMs: number;
}

export const DEFAULT_ISMG_MODE: IsmgMode = {
  refuseAll: false,
  failNumbers: [],
  failStat: 'UNDELIV',
  rejectNumbers: {},
  throttleNext: 0,
  throttleRate: 0,
  submitRespDelayMs: 0,
  dropSubmitResp: 0,
  holdReports: false,
  reportDelayMs: 50,
  answerActiveTest: true,
  badAuthenticator: false,
  redeliverDelayMs: 200,
};

export interface IsmgSubmitRecord {
  type: 'submit';
  at: number;
  spId: string;
  version: CmppVersion;
  from: string;
  to: string;
  destTerminalIds: string[];
  msgFmt: number;
  tpUdhi: number;
  pkTotal: number;
  pkNumber: number;
  registeredDelivery: number;
  serviceId: string;
  msgSrc: string;
  udh?: string;
  concat?: { ref: number; total: number; index: number };
  text: string;
  /** SUBMIT_RESP Result; -1 when never answered. */
  result: number;
  /** 16 hex digits. */
  msgId?: string;
}

export interface IsmgMessage {
  type: 'message';
  at: number;
  from: string;
  to: string;
  text: string;
  parts: number;
  msgFmt: number;
  msgIds: string[];
}

export type IsmgRecord =
  | { type: 'connect'; at: number; spId: string; version: number; status: number; negotiated?: CmppVersion }
  | IsmgSubmitRecord
  | IsmgMessage
  | { type: 'report'; at: number; to: string; msgId: string; stat: string; result?: number }
  | { type: 'reply'; at: number; from: string; text: string; parts: number; result?: number }
  /** The SP's CMPP_DELIVER_RESP to a report or a reply (Result ≠ 0: it is delivered again). */
  | { type: 'deliver-resp'; at: number; of: 'report' | 'reply'; result: number; attempt: number }
  | { type: 'active-test'; at: number; from: 'sp' | 'ismg'; answered: boolean }
  | { type: 'terminate'; at: number; from: 'sp' | 'ismg' }
  | { type: 'malformed'; at: number; detail: string }
  | { type: 'down'; at: number }
  | { type: 'up'; at: number; port: number };
