/**
 * SMSC delivery receipts → normalized Receipt. Pure.
 *
 * Two carriers, both in a deliver_sm whose esm_class says "SMSC delivery receipt"
 * (SMPP 3.4 §5.2.12, message type 0x04):
 * - the short_message text of SMPP 3.4 Appendix B:
 *   `id:IIIIIIIIII sub:SSS dlvrd:DDD submit date:YYMMDDhhmm done date:YYMMDDhhmm stat:DDDDDDD err:E text:...`
 *   which the spec itself calls vendor specific; real SMSCs vary the case (`Text:`), the date
 *   length (10 or 12 digits), the err width (3 or 4 digits), omit `text:` or send non-standard
 *   stat words (`FAILED`, jookies/jasmin#447);
 * - the TLVs receipted_message_id (SMPP 3.4 §5.3.2.12) and message_state (§5.3.2.35, values
 *   §5.2.28), which take precedence when present because they are not free text.
 */
import { ESM_CLASS, MESSAGE_STATE_STAT } from './smpp-constants.js';

/** Why a recipient did not get the message: receipt stat words plus two submit-side reasons. */
export const FAILURE_REASONS = ['EXPIRED', 'UNDELIV', 'REJECTD', 'DELETED', 'UNKNOWN', 'SUBMIT_REJECTED', 'NOT_SENT'] as const;
export type FailureReason = (typeof FAILURE_REASONS)[number];

export type ReceiptOutcome = 'delivered' | 'failed' | 'pending';

/** The Appendix B fields as they appeared, strings untouched (dates are SMSC local time). */
export interface ReceiptText {
  id: string;
  sub?: string;
  dlvrd?: string;
  submitDate?: string;
  doneDate?: string;
  stat: string;
  err?: string;
  text?: string;
}

export interface Receipt {
  /** The message_id the SMSC returned in submit_sm_resp (as the receipt spells it). */
  messageId: string;
  /** Upper-case stat word (DELIVRD, UNDELIV, …; from message_state when that TLV is present). */
  stat: string;
  outcome: ReceiptOutcome;
  /** Set when outcome is 'failed'. */
  reason?: FailureReason;
  err?: string;
  /** network_error_code TLV (SMPP 3.4 §5.3.2.31) as hex: network type + error code. */
  networkErrorCode?: string;
  submitDate?: string;
  doneDate?: string;
  /** Where messageId and stat came from. */
  source: 'tlv' | 'text' | 'tlv+text';
}

const KEY_RE = /(?:^|\s)(id|sub|dlvrd|dlvr|submit[ _]?date|done[ _]?date|stat|err|text):/gi;

function canonicalKey(raw: string): keyof ReceiptText | undefined {
  const k = raw.toLowerCase().replace(/[ _]/g, '');
  switch (k) {
    case 'id':
    case 'sub':
    case 'stat':
    case 'err':
    case 'text':
      return k;
    case 'dlvrd':
    case 'dlvr':
      return 'dlvrd';
    case 'submitdate':
      return 'submitDate';
    case 'donedate':
      return 'doneDate';
    default:
      return undefined;
  }
}

/**
 * Parses the Appendix B text. Returns null unless both `id` and `stat` are found: a receipt
 * we cannot tie to a message or read a state from is not a receipt we can act on.
 */
export function parseReceiptText(input: string): ReceiptText | null {
  const matches = [...input.matchAll(KEY_RE)];
  const fields: Partial<Record<keyof ReceiptText, string>> = {};
  for (let i = 0; i < matches.length; i++) {
    const m = matches[i] as RegExpMatchArray;
    const key = canonicalKey(m[1] as string);
    if (!key || fields[key] !== undefined) continue;
    const start = (m.index ?? 0) + m[0].length;
    if (key === 'text') {
      // `text:` is last by the format and may itself contain "stat:" and the like.
      fields.text = input.slice(start);
      break;
    }
    const end = i + 1 < matches.length ? ((matches[i + 1] as RegExpMatchArray).index ?? input.length) : input.length;
    const value = input.slice(start, end).trim();
    fields[key] = key === 'id' ? (value.split(/\s+/)[0] ?? '') : value;
  }
  if (!fields.id || !fields.stat) return null;
  const out: ReceiptText = { id: fields.id, stat: fields.stat };
  for (const k of ['sub', 'dlvrd', 'submitDate', 'doneDate', 'err', 'text'] as const) {
    const v = fields[k];
    if (v !== undefined) out[k] = v;
  }
  return out;
}

const PENDING_STATS: ReadonlySet<string> = new Set(['ENROUTE', 'ACCEPTD', 'ACCEPTED', 'BUFFRED', 'BUFFERED', 'SCHEDULED', 'SUBMITD']);
const FAILURE_ALIASES: ReadonlyMap<string, FailureReason> = new Map([
  ['EXPIRED', 'EXPIRED'],
  ['DELETED', 'DELETED'],
  ['UNDELIV', 'UNDELIV'],
  ['UNDELIVERABLE', 'UNDELIV'],
  ['REJECTD', 'REJECTD'],
  ['REJECTED', 'REJECTD'],
  ['UNKNOWN', 'UNKNOWN'],
]);

/**
 * Stat word → outcome. ACCEPTD stays pending: SMPP 3.4 §5.2.28 defines it as "manually read
 * on behalf of the subscriber by customer service", which is not proof the phone got it.
 * Unrecognized words (FAILED, NOROUTE, …) count as UNDELIV: for an emergency broadcast a
 * receipt that does not say delivered must reach a human as a failure, not sit as pending.
 */
export function classifyStat(stat: string): { outcome: ReceiptOutcome; reason?: FailureReason } {
  const s = stat.trim().toUpperCase();
  if (s === 'DELIVRD' || s === 'DELIVERED') return { outcome: 'delivered' };
  if (PENDING_STATS.has(s)) return { outcome: 'pending' };
  return { outcome: 'failed', reason: FAILURE_ALIASES.get(s) ?? 'UNDELIV' };
}

/** True when esm_class marks the deliver_sm as a receipt or intermediate notification. */
export function isReceiptEsmClass(esmClass: number): boolean {
  const type = esmClass & ESM_CLASS.TYPE_MASK;
  return type === ESM_CLASS.SMSC_DELIVERY_RECEIPT || type === ESM_CLASS.INTERMEDIATE_NOTIFICATION;
}

export interface ReceiptFields {
  text?: string;
  receiptedMessageId?: string;
  messageState?: number;
  networkErrorCode?: Uint8Array;
}

/** Combines TLVs and text into one Receipt; null when neither yields an id and a state. */
export function interpretReceipt(f: ReceiptFields): Receipt | null {
  const parsed = f.text !== undefined ? parseReceiptText(f.text) : null;
  const tlvId = f.receiptedMessageId?.trim() || undefined;
  const tlvStat = f.messageState !== undefined ? MESSAGE_STATE_STAT.get(f.messageState) : undefined;
  const messageId = tlvId ?? parsed?.id;
  const stat = (tlvStat ?? parsed?.stat)?.toUpperCase();
  if (!messageId || !stat) return null;
  const usedTlv = tlvId !== undefined || tlvStat !== undefined;
  const source: Receipt['source'] = usedTlv ? (parsed ? 'tlv+text' : 'tlv') : 'text';
  const { outcome, reason } = classifyStat(stat);
  const r: Receipt = { messageId, stat, outcome, source };
  if (reason) r.reason = reason;
  if (parsed?.err !== undefined) r.err = parsed.err;
  if (f.networkErrorCode && f.networkErrorCode.length > 0) r.networkErrorCode = Buffer.from(f.networkErrorCode).toString('hex');
  if (parsed?.submitDate !== undefined) r.submitDate = parsed.submitDate;
  if (parsed?.doneDate !== undefined) r.doneDate = parsed.doneDate;
  return r;
}
