/**
 * Capabilities an adapter may offer beyond start/stop/check (gateway/contract/adapter.ts). The
 * composition root asks every running adapter for them and plugs what it gets into the core
 * or the HTTP layer, which use them through these interfaces only, never a concrete adapter:
 *
 * - a broadcast channel, `channel()`: SMS, radio talkgroups (the broadcast service sends through it);
 * - a forwarding link, `forwarding()`: the 110 centre (the forwarder carries alarms over it from the outbox);
 * - a live view, `liveView()`: cameras' live pictures (GET /api/cameras/:id/live);
 * - a command target, `command()`: devices that take commands (barriers: raise, lower).
 */
import type { WebSocket } from 'ws';
import { errorMessage, GatewayError } from './errors.js';
import type { Alarm, Device, Site } from './types.js';
import type { AlarmType } from './alarm-types.js';
import type { BarrierCommand, BarrierPosition } from './vocabulary.js';

export type Unsubscribe = () => void;

// ── a broadcast channel ────────────────────────────────────────────────────────────────────

/** Channels a broadcast can use, in the closed vocabulary of the config. */
export const BROADCAST_CHANNELS = ['radio', 'sms'] as const;
export type ChannelName = (typeof BROADCAST_CHANNELS)[number];

/** One address to reach on a channel; radio targets name the talkgroup to transmit on. */
export interface ChannelTarget {
  address: string;
  talkgroup?: string;
}

/** A per-address state reported by a channel for one broadcast (`ref` = broadcast id). */
export interface ChannelStatus {
  ref: string;
  address: string;
  state: 'queued' | 'sent' | 'delivered' | 'failed';
  reason?: string;
  detail?: string;
  at?: number;
}

/** Something a person sent back: an SMS reply or a radio roll-call ack. */
export interface ChannelReply {
  /** Phone number (SMS) or radio unit id. */
  address: string;
  /** Radio: the talkgroup the ack came in on (confirms talkgroup-only recipients). */
  talkgroup?: string;
  /** The broadcast the channel believes this answers, when it knows. */
  ref?: string;
  text?: string;
  /** True for an explicit roll-call ack (radio): confirms without a reply code. */
  ack?: boolean;
  at?: number;
}

/** What a channel may need to know about the broadcast beyond its text. */
export interface SendMeta {
  /** Drills never pre-empt radio traffic; real incidents may (radio `priority: 'emergency'`). */
  drill: boolean;
}

/**
 * What the broadcast service needs from a channel. An adapter offers one through `channel()`
 * (adapters/sms-smpp/broadcast-channel.ts, adapters/radio/broadcast-channel.ts).
 */
export interface BroadcastChannel {
  readonly name: ChannelName;
  /**
   * Hands the message to the channel for these targets. Must be idempotent per (ref, address):
   * the service may call again after a restart. Progress comes through onStatus; the promise
   * settling only means the channel took the request (or gave up waiting, on `signal`).
   */
  send(ref: string, targets: ChannelTarget[], text: string, signal: AbortSignal, meta: SendMeta): Promise<void>;
  onStatus(cb: (s: ChannelStatus) => void): Unsubscribe;
  /** The listener may throw: SMS then asks the SMSC to deliver the reply again. */
  onReply(cb: (r: ChannelReply) => void): Unsubscribe;
}

// ── a forwarding link, and what an adapter delivers ─────────────────────────────────────────

/** Something to carry to a far end: a report to the 110 centre, a broadcast message. */
export interface Outbound {
  id: string;
  kind: 'alarm-report' | 'test-report' | 'message';
  site: Site;
  device?: Device;
  alarm?: Alarm;
  /** For messages: recipients' addresses on this channel (phone numbers, talkgroups). */
  to?: string[];
  text?: string;
  /** The channel's number for this entry (DC-09 sequence); the same on every retry. */
  sequence?: number;
  /** Delivery attempt, 1 for the first. */
  attempt?: number;
}

export interface DeliveryResult {
  ok: boolean;
  /** Far end's reference (message id, receipt). */
  reference?: string;
  latencyMs?: number;
  detail?: string;
  /** When the acknowledged attempt's frame was handed to the link's socket (preciseNow(), press-timing.ts). */
  writtenAt?: number;
  /** When the far end's acknowledgement arrived (preciseNow()). */
  answeredAt?: number;
}

/**
 * A link alarms are forwarded over (the 110 centre): the forwarder queues what it carries in
 * the durable outbox (committed with the alarm, before the device is acknowledged) and calls
 * deliver() until the far end acknowledges, retrying with backoff.
 */
export interface ForwardingLink {
  /** Names the link's outbox entries and its timeline notes; keep it stable across versions. */
  readonly channel: string;
  /** Alarm types it carries; drills of these types go as test reports. */
  readonly types: readonly AlarmType[];
  readonly backoff: { readonly minMs: number; readonly maxMs: number };
  /** One delivery attempt (every receiver tried) may take this long before it counts as failed. */
  readonly attemptTimeoutMs: number;
  /** Carries one report; `ok` only when the far end acknowledged it. */
  deliver(msg: Outbound, signal: AbortSignal): Promise<DeliveryResult>;
}

// ── a live view ──────────────────────────────────────────────────────────────────────────

/** What the HTTP layer needs of an adapter's live view (GET /api/cameras/:id/live). */
export interface LiveViewPort {
  readonly maxStreams: number;
  readonly frameSize: { width: number; height: number };
  /**
   * Starts the camera's stream (or joins it). Rejects with GW_ERR_LIVE_VIEW_BUSY (503) when
   * every stream is in use, GW_ERR_UNKNOWN_DEVICE when the camera is not this adapter's, or the
   * camera's own coded error (502) when its stream cannot start.
   */
  open(deviceId: string): Promise<unknown>;
  /** Hands a viewer socket to a stream open() started. */
  attach(deviceId: string, socket: WebSocket): void;
  openStreams(): string[];
  viewers(deviceId: string): number;
}

// ── a command target ──────────────────────────────────────────────────────────────────────

export interface CommandResult {
  deviceId: string;
  command: BarrierCommand;
  /** The position the device reached, as the adapter read it back. */
  position: BarrierPosition;
  latencyMs: number;
}

/**
 * What a failed device command becomes for its caller: GW_ERR_COMMAND_TIMEOUT (504) when the
 * device did not confirm in time, else GW_ERR_COMMAND_FAILED (502); the adapter's own coded
 * error is the cause (and gives the message).
 */
export function commandFailure(err: unknown, opts: { timedOut: boolean; deviceId?: string }): GatewayError {
  return new GatewayError(opts.timedOut ? 'GW_ERR_COMMAND_TIMEOUT' : 'GW_ERR_COMMAND_FAILED', errorMessage(err), {
    cause: err,
    ...(opts.deviceId ? { deviceId: opts.deviceId } : {}),
  });
}
