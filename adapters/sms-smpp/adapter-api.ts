/**
 * The public face of the sms-smpp adapter: what the gateway calls (send, status, cancel,
 * check, deliver) and what it hears (status changes, receipts, replies, link state).
 */
import type { Device } from '../../gateway/contract/types.js';
import type { Adapter, CheckResult } from '../../gateway/contract/adapter.js';
import type { DeliveryResult, Outbound } from '../../gateway/contract/capabilities.js';
import type { RecipientState, RecipientStatus, StatusChange } from './delivery-tracker.js';
import type { Listener } from '../shared/listeners.js';
import type { FailureReason, Receipt } from './receipt-codec.js';

/** What send() reports per recipient once the SMSC has answered for it (or the wait ended). */
export interface SubmissionResult {
  recipient: string;
  state: RecipientState;
  /** One message_id per part, '' for parts not accepted (yet). */
  messageIds: string[];
  reason?: FailureReason;
  detail?: string;
  /** The (ref, recipient) pair was already known: nothing was sent again. */
  duplicate: boolean;
}

export interface ReceiptEvent {
  ref: string;
  recipient: string;
  receipt: Receipt;
  /** The recipient's state after this receipt (unchanged for ENROUTE and the like). */
  status: RecipientStatus;
  /** Set when the receipt moved the recipient to delivered or failed. */
  change?: StatusChange;
}

export interface ReplyEvent {
  from: string;
  to: string;
  text: string;
  at: number;
  parts: number;
  /** False when parts of a concatenated reply never arrived (text has what did). */
  complete: boolean;
  /** The broadcast this most likely answers (latest one sent to that number). */
  ref?: string;
  status?: RecipientStatus;
}

export interface LinkEvent {
  bound: boolean;
  detail?: string;
  at: number;
}

export interface SendOptions {
  /** Stops waiting; recipients still queued stay queued and are sent when the link allows. */
  signal?: AbortSignal;
}

export interface SmsSmppAdapter extends Adapter {
  readonly deviceId: string;
  send(recipients: string[], text: string, ref: string, opts?: SendOptions): Promise<SubmissionResult[]>;
  /** Per-recipient states, of one broadcast or of all kept ones. */
  status(ref?: string): RecipientStatus[];
  /** Drops parts of `ref` not yet submitted (those recipients fail with NOT_SENT); returns how many recipients. */
  cancel(ref: string): number;
  isBound(): boolean;
  onStatus(cb: Listener<StatusChange>): () => void;
  onReceipt(cb: Listener<ReceiptEvent>): () => void;
  onReply(cb: Listener<ReplyEvent>): () => void;
  onLink(cb: Listener<LinkEvent>): () => void;
  check(device: Device, signal: AbortSignal): Promise<CheckResult>;
  deliver(msg: Outbound, signal: AbortSignal): Promise<DeliveryResult>;
}

/** 138****0101: numbers are personal data; logs keep enough to tell them apart. */
export function maskNumber(n: string): string {
  return n.length <= 6 ? '***' : `${n.slice(0, 3)}****${n.slice(-4)}`;
}

/** Relative validity (SMPP 3.4 §7.1.1.2): YYMMDDhhmmss000R. */
export function relativeValidity(minutes: number): string {
  const d = Math.floor(minutes / 1440);
  const h = Math.floor((minutes % 1440) / 60);
  const m = minutes % 60;
  const two = (v: number) => String(v).padStart(2, '0');
  return `0000${two(d)}${two(h)}${two(m)}00000R`;
}
