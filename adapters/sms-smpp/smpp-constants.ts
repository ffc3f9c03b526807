/**
 * The SMPP 3.4 numbers this adapter relies on, named once. The `smpp` package carries the
 * same tables untyped; keeping ours here makes every use site cite one place.
 */

/** command_status values (SMPP 3.4 §5.1.3). */
export const STATUS = {
  ESME_ROK: 0x00000000,
  ESME_RINVMSGLEN: 0x00000001,
  ESME_RINVBNDSTS: 0x00000004,
  ESME_RSYSERR: 0x00000008,
  ESME_RINVDSTADR: 0x0000000b,
  ESME_RBINDFAIL: 0x0000000d,
  ESME_RINVPASWD: 0x0000000e,
  ESME_RINVSYSID: 0x0000000f,
  ESME_RMSGQFUL: 0x00000014,
  ESME_RSUBMITFAIL: 0x00000045,
  ESME_RTHROTTLED: 0x00000058,
  ESME_RX_T_APPN: 0x00000064,
  ESME_RUNKNOWNERR: 0x000000ff,
} as const;

const STATUS_NAMES: ReadonlyMap<number, string> = new Map(
  [
    ...Object.entries(STATUS),
    ['ESME_RINVCMDLEN', 0x02],
    ['ESME_RINVCMDID', 0x03],
    ['ESME_RALYBND', 0x05],
    ['ESME_RINVPRTFLG', 0x06],
    ['ESME_RINVREGDLVFLG', 0x07],
    ['ESME_RINVSRCADR', 0x0a],
    ['ESME_RINVMSGID', 0x0c],
    ['ESME_RINVESMCLASS', 0x43],
    ['ESME_RINVSRCTON', 0x48],
    ['ESME_RINVSRCNPI', 0x49],
    ['ESME_RINVDSTTON', 0x50],
    ['ESME_RINVDSTNPI', 0x51],
    ['ESME_RINVSYSTYP', 0x53],
    ['ESME_RINVEXPIRY', 0x62],
    ['ESME_RX_P_APPN', 0x65],
    ['ESME_RX_R_APPN', 0x66],
  ].map(([name, value]) => [value as number, name as string]),
);

/** "ESME_RTHROTTLED (0x00000058)": the form every log line and detail uses. */
export function statusName(status: number): string {
  const hex = `0x${status.toString(16).toUpperCase().padStart(8, '0')}`;
  const name = STATUS_NAMES.get(status);
  return name ? `${name} (${hex})` : `status ${hex}`;
}

/**
 * Statuses after which the SMSC certainly did not accept the message and a later resubmit
 * cannot duplicate it (SMPP 3.4 §4.4.2: message_id is NULL when command_status is non-zero).
 * Throttling and a full queue mean "later"; the others are transient SMSC-side faults.
 */
export const BACKPRESSURE_STATUSES: ReadonlySet<number> = new Set([STATUS.ESME_RTHROTTLED, STATUS.ESME_RMSGQFUL]);
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([
  STATUS.ESME_RSYSERR,
  STATUS.ESME_RINVBNDSTS,
  STATUS.ESME_RSUBMITFAIL,
  STATUS.ESME_RX_T_APPN,
  STATUS.ESME_RUNKNOWNERR,
]);

/** esm_class bits (SMPP 3.4 §5.2.12). */
export const ESM_CLASS = {
  /** bits 5..2: message type. */
  TYPE_MASK: 0x3c,
  SMSC_DELIVERY_RECEIPT: 0x04,
  SME_DELIVERY_ACK: 0x08,
  SME_MANUAL_ACK: 0x10,
  INTERMEDIATE_NOTIFICATION: 0x20,
  /** bit 6: UDHI, the short_message starts with a User Data Header. */
  UDHI: 0x40,
} as const;

/** data_coding values (SMPP 3.4 §5.2.19). */
export const DATA_CODING = {
  SMSC_DEFAULT: 0x00,
  IA5: 0x01,
  LATIN1: 0x03,
  UCS2: 0x08,
} as const;

/** registered_delivery: SMSC delivery receipt on success and failure (SMPP 3.4 §5.2.17). */
export const REGISTERED_DELIVERY_FINAL = 0x01;

/** interface_version in bind PDUs for SMPP 3.4 (SMPP 3.4 §5.2.4). */
export const INTERFACE_VERSION_34 = 0x34;

/** message_state TLV values (SMPP 3.4 §5.2.28) to the Appendix B stat words. */
export const MESSAGE_STATE_STAT: ReadonlyMap<number, string> = new Map([
  [1, 'ENROUTE'],
  [2, 'DELIVRD'],
  [3, 'EXPIRED'],
  [4, 'DELETED'],
  [5, 'UNDELIV'],
  [6, 'ACCEPTD'],
  [7, 'UNKNOWN'],
  [8, 'REJECTD'],
]);
