/**
 * The public face of the sms-cmpp adapter: what the gateway calls (send, status, cancel,
 * check, deliver, channel) and what it hears (status changes, replies, link state).
 */
import type { Adapter, CheckResult } from '../../gateway/contract/adapter.js';
import type { BroadcastChannel, DeliveryResult, Outbound } from '../../gateway/contract/capabilities.js';
import type { Device } from '../../gateway/contract/types.js';
import type { CmppVersion } from './cmpp-constants.js';
import type { RecipientState, RecipientStatus, StatusChange } from './delivery-tracker.js';
import type { Listener } from '../shared/listeners.js';
import type { FailureReason } from './report-stat.js';
import type { WindowStats } from './submit-window.js';

/** What send() reports per recipient once the ISMG answered for it (or the wait ended). */
export interface SubmissionResult {
  recipient: string;
  state: RecipientState;
  /** One Msg_Id (16 hex digits) per part, '' for parts not accepted (yet). */
  msgIds: string[];
  reason?: FailureReason;
  detail?: string;
  /** The (ref, recipient) pair was already known and nothing was sent again. */
  duplicate: boolean;
}

export interface ReplyEvent {
  from: string;
  /** Dest_Id: the service number the phone wrote to. */
  to: string;
  text: string;
  at: number;
  parts: number;
  /** False when parts of a long reply never arrived (text has what did). */
  complete: boolean;
  /** The broadcast this most likely answers (the latest one that reached that number). */
  ref?: string;
  status?: RecipientStatus;
}

export interface LinkEvent {
  connected: boolean;
  /** The negotiated version, while connected. */
  version?: CmppVersion;
  detail?: string;
  at: number;
}

export interface SendOptions {
  /** Stops waiting; recipients still queued stay queued and are sent when the link allows. */
  signal?: AbortSignal;
}

export interface SmsCmppAdapter extends Adapter {
  readonly deviceId: string;
  send(recipients: string[], text: string, ref: string, opts?: SendOptions): Promise<SubmissionResult[]>;
  /** Per-recipient states, of one broadcast or of all kept ones. */
  status(ref?: string): RecipientStatus[];
  /** Drops parts of `ref` not yet submitted (those recipients fail with NOT_SENT); returns how many recipients. */
  cancel(ref: string): number;
  isConnected(): boolean;
  windowStats(): WindowStats;
  onStatus(cb: Listener<StatusChange>): () => void;
  onReply(cb: Listener<ReplyEvent>): () => void;
  onLink(cb: Listener<LinkEvent>): () => void;
  check(device: Device, signal: AbortSignal): Promise<CheckResult>;
  deliver(msg: Outbound, signal: AbortSignal): Promise<DeliveryResult>;
  channel(): BroadcastChannel;
}

/** 138****0101: numbers are personal data; logs keep enough to tell them apart. */
export function maskNumber(n: string): string {
  return n.length <= 6 ? '***' : `${n.slice(0, 3)}****${n.slice(-4)}`;
}

/** ValId_Time, relative (SMPP 3.3 time format, as §7.4.3.1 / §8.4.3.1 refer to it): YYMMDDhhmmss000R. */
export function relativeValidity(minutes: number): string {
  const two = (v: number) => String(v).padStart(2, '0');
  return `0000${two(Math.floor(minutes / 1440))}${two(Math.floor((minutes % 1440) / 60))}${two(minutes % 60)}00000R`;
}
