/**
 * The public face of the radio adapter: what the gateway calls (transmit, broadcast, deliver,
 * check) and what it hears (roll-call answers, tx acks). Emergency calls go to the core as
 * DeviceEvents through ctx.emit, like a button press.
 */
import type { Device } from '../../gateway/contract/types.js';
import type { Adapter, CheckResult } from '../../gateway/contract/adapter.js';
import type { DeliveryResult, Outbound } from '../../gateway/contract/capabilities.js';
import type { TxCommand } from './codec.js';
import type { Listener } from '../shared/listeners.js';
import type { TalkgroupOutcome } from './transmitter.js';

export interface TransmitOptions {
  signal?: AbortSignal;
  /** 'emergency' pre-empts ongoing traffic on radio systems that support it (default 'normal'). */
  priority?: TxCommand['priority'];
  /** Ask units to confirm (default: config rollCall). */
  rollCall?: boolean;
  /** Spoken form; default spokenForm(text, spokenMaxChars). */
  speech?: string;
}

/** A radio unit confirmed a broadcast (roll-call, 点名). Reported once per (ref, unit). */
export interface RollCallAck {
  radioId: string;
  ref: string;
  unit: string;
  talkgroup?: string;
  at: number;
}

/** Every tx-ack the radio gateways send, including those arriving after the wait ended. */
export interface TxAckEvent {
  radioId: string;
  ref: string;
  talkgroup: string;
  status: 'ok' | 'failed';
  reason?: string;
  /** The radio gateway had already announced this (ref, talkgroup): not announced again. */
  dup: boolean;
  /** No transmit() was waiting for it any more (its outcome said timeout). */
  late: boolean;
  at: number;
}

export interface RadioAdapter extends Adapter {
  /** Radio gateway devices this adapter owns (kind 'radio', adapter 'radio'). */
  readonly radioIds: readonly string[];
  /** Transmits on one radio gateway; one outcome per talkgroup, in the order given. */
  transmit(radioId: string, talkgroups: string[], text: string, ref: string, signal?: AbortSignal, opts?: Omit<TransmitOptions, 'signal'>): Promise<TalkgroupOutcome[]>;
  /** Routes talkgroups to their radio gateways (talkgroup directory) and transmits on all of them. */
  broadcast(talkgroups: string[], text: string, ref: string, opts?: TransmitOptions): Promise<TalkgroupOutcome[]>;
  /** Outcomes of a recent broadcast delivered through deliver()/broadcast(). */
  outcomes(ref: string): TalkgroupOutcome[] | undefined;
  /** Units that confirmed `ref`, in the order they answered. */
  rollCall(ref: string): RollCallAck[];
  onRollCall(cb: Listener<RollCallAck>): () => void;
  onTxAck(cb: Listener<TxAckEvent>): () => void;
  /** The school a talkgroup belongs to, from the directory. */
  siteOfTalkgroup(talkgroup: string): string | undefined;
  /** False while the gateway is `unreachable`. */
  isReachable(radioId: string): boolean;
  check(device: Device, signal: AbortSignal): Promise<CheckResult>;
  deliver(msg: Outbound, signal: AbortSignal): Promise<DeliveryResult>;
}

export type { TalkgroupOutcome, TxStatus } from './transmitter.js';
