/** Options, modes and records of the simulated SMSC. */

export interface SmsCentreStartOptions {
  host?: string;
  port?: number;
  systemId?: string;
  password?: string;
  receiptDelayMs?: number;
  /** Number the simulated phones reply to (destination_addr of MO messages). */
  serviceNumber?: string;
}

export interface SmsCentreMode {
  refuseBinds: boolean;
  /** Destinations whose receipts say `failStat` (UNDELIV by default). */
  failNumbers: string[];
  failStat: string;
  failErr: string;
  /** Destination → submit_sm_resp command_status (e.g. 0x0B ESME_RINVDSTADR). */
  rejectNumbers: Record<string, number>;
  /** The next N submits are answered ESME_RTHROTTLED. */
  throttleNext: number;
  /** At most this many submits accepted per second, the rest ESME_RTHROTTLED; 0 = no limit. */
  throttleRate: number;
  /** Every submit is answered with this command_status (e.g. 0x45 ESME_RSUBMITFAIL); 0 = off. */
  refuseSubmits: number;
  /** The next N submits are recorded and never answered. */
  dropResponses: number;
  /** DELIVRD right after submit_sm_resp, whatever really happens (an untrustworthy SMSC). */
  fakeInstantReceipts: boolean;
  receiptDelayMs: number;
  /** Add receipted_message_id and message_state TLVs to receipts, or only the text. */
  receiptTlvs: boolean;
  /** Receipt id as in submit_sm_resp, or its decimal value (a common SMSC quirk). */
  receiptIdStyle: 'same' | 'decimal';
  redeliverDelayMs: number;
}

export interface SubmitRecord {
  type: 'submit';
  at: number;
  systemId: string;
  from: string;
  to: string;
  dataCoding: number;
  esmClass: number;
  registeredDelivery: number;
  udh?: string;
  concat?: { ref: number; total: number; index: number };
  text: string;
  /** command_status answered; -1 when the response was dropped. */
  status: number;
  messageId?: string;
}

export interface LogicalMessage {
  type: 'message';
  at: number;
  from: string;
  to: string;
  text: string;
  parts: number;
  dataCoding: number;
  messageIds: string[];
}

export type SmsCentreRecord =
  | { type: 'bind'; at: number; command: string; systemId: string; status: number }
  | { type: 'unbind'; at: number; systemId: string }
  | SubmitRecord
  | LogicalMessage
  | { type: 'receipt'; at: number; to: string; messageId: string; stat: string; text: string; ackStatus?: number }
  | { type: 'reply'; at: number; from: string; text: string; parts: number; ackStatus?: number }
  | { type: 'down'; at: number }
  | { type: 'up'; at: number; port: number };

export const DEFAULT_MODE: SmsCentreMode = {
  refuseBinds: false,
  failNumbers: [],
  failStat: 'UNDELIV',
  failErr: '001',
  rejectNumbers: {},
  throttleNext: 0,
  throttleRate: 0,
  refuseSubmits: 0,
  dropResponses: 0,
  fakeInstantReceipts: false,
  receiptDelayMs: 50,
  receiptTlvs: true,
  receiptIdStyle: 'same',
  redeliverDelayMs: 200,
};
