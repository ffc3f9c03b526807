/**
 * Broadcasts ("一呼百应"): one incident message to every patrol officer, guard post and school
 * contact at once, with per-person delivery and roll-call. Pure data types; the channel
 * interface the broadcast service drives is a capability of the contract (BroadcastChannel).
 */
import type { ChannelName } from '../../contract/capabilities.js';

/**
 * One person's progress on the channel currently carrying the message:
 * queued → sent (accepted by the far end: SMSC submit_sm_resp, radio tx-ack) → delivered
 * (handset receipt) → confirmed (the person answered the roll-call); failed is final for
 * the channel and moves the person to the next channel of the policy, if any.
 */
export const RECIPIENT_STATES = ['queued', 'sent', 'delivered', 'confirmed', 'failed'] as const;
export type RecipientState = (typeof RECIPIENT_STATES)[number];

export interface RadioAddress {
  /** Talkgroup the message is transmitted on (group call). */
  talkgroup: string;
  /** The person's own radio unit, when known: its roll-call ack confirms this person only. */
  unit?: string;
}

/** How a person can be reached; a recipient needs at least one address. */
export interface Contact {
  name: string;
  phone?: string;
  radio?: RadioAddress;
}

/** A person to reach, before channels are chosen. */
export interface RecipientSpec extends Contact {
  group: string;
  siteId?: string;
}

/** Earlier channel a person was tried on before falling back. */
export interface RecipientAttempt {
  channel: ChannelName;
  address: string;
  state: RecipientState;
  reason?: string;
  detail?: string;
  at: Partial<Record<RecipientState, number>>;
}

export interface RecipientReply {
  channel: ChannelName;
  at: number;
  /** What the person sent (SMS text); absent for a radio roll-call ack. */
  text?: string;
  /** The reply matched the roll-call code (or was a radio roll-call ack). */
  confirms: boolean;
}

export interface BroadcastRecipient extends Contact {
  /** Stable within the broadcast: r1, r2, … */
  id: string;
  /** Group the person was drawn from ('station-patrol', 'guard-posts', 'ad-hoc', …). */
  group: string;
  /** School the person belongs to, for contacts drawn from a site. */
  siteId?: string;
  /** Channels this person is tried on, in order (the policy's order, filtered by address). */
  channels: ChannelName[];
  /** Channel and address currently carrying the message (absent: no channel could). */
  channel?: ChannelName;
  address?: string;
  state: RecipientState;
  reason?: string;
  detail?: string;
  /** When each state was reached on the current channel (ms since epoch). */
  at: Partial<Record<RecipientState, number>>;
  /** Falls back to the next channel at this time unless delivered/confirmed by then. */
  fallbackAt?: number;
  attempts: RecipientAttempt[];
  reply?: RecipientReply;
}

/** Live roll-call count. sent/delivered count people who reached at least that state. */
export interface Tally {
  total: number;
  sent: number;
  delivered: number;
  confirmed: number;
  failed: number;
}

export type BroadcastState = 'open' | 'closed';

export interface BroadcastSummary {
  id: string;
  alarmId?: string;
  siteId?: string;
  /** Drill broadcasts run the roll-call too, and say so in the text. */
  drill: boolean;
  text: string;
  createdBy: string;
  createdAt: number;
  state: BroadcastState;
  /** Replies and receipts count until then; the broadcast closes earlier once every person is final. */
  closesAt: number;
  closedAt?: number;
  policyId?: string;
  groups: string[];
  channels: ChannelName[];
  fallbackAfterSeconds: number;
  /** A person stays on the current channel once in this state (or confirmed). */
  fallbackUnless: 'delivered' | 'confirmed';
  tally: Tally;
}

export interface Broadcast extends BroadcastSummary {
  recipients: BroadcastRecipient[];
}

/** What the service tells its listeners (the lead forwards these to /api/live). */
export type BroadcastChange =
  | { change: 'created'; broadcast: Broadcast }
  | { change: 'recipient'; broadcastId: string; recipient: BroadcastRecipient; tally: Tally }
  | { change: 'closed'; broadcastId: string; tally: Tally; at: number };

// ── persistence and audit, as the service sees them ──────────────────────────────────────

export interface BroadcastQuery {
  limit?: number;
  alarmId?: string;
  state?: BroadcastState;
}

/** Where broadcasts are kept (gateway/store/sqlite|pg/broadcast-store.ts). */
export interface BroadcastRepository {
  /** The broadcast and every recipient, in one transaction. */
  insertBroadcast(b: Broadcast): Promise<void>;
  updateBroadcast(b: BroadcastSummary): Promise<void>;
  /** One recipient's row and the broadcast's tally, in one transaction. */
  updateRecipient(broadcastId: string, r: BroadcastRecipient, tally: Tally): Promise<void>;
  getBroadcast(id: string): Promise<Broadcast | undefined>;
  /** Newest first. */
  listBroadcasts(q?: BroadcastQuery): Promise<BroadcastSummary[]>;
  /** Open broadcasts, oldest first, with their recipients. */
  openBroadcasts(): Promise<Broadcast[]>;
  hasBroadcastForAlarm(alarmId: string): Promise<boolean>;
}

/** The hash-chained audit log (the state store's audit() fits). */
export interface AuditSink {
  audit(e: { at: number; actor: string; action: string; target: string; detail: Record<string, unknown>; ip?: string }): Promise<unknown>;
}
