/**
 * An SMS adapter (sms-smpp, sms-cmpp) as the broadcast channel 'sms': what its channel() offers
 * the gateway, the same whichever protocol carries the SMS, so the broadcast service cannot tell
 * them apart. The adapter already tracks each (ref, recipient) from queued to delivered/failed
 * and is idempotent per pair; this only translates its events.
 */
import type { BroadcastChannel, ChannelReply, ChannelStatus } from '../../gateway/contract/capabilities.js';

type SmsState = ChannelStatus['state'];

/** Where one recipient of a reference stands, as an SMS adapter tracks it. */
export interface SmsRecipientStatus {
  ref: string;
  recipient: string;
  state: SmsState;
  reason?: string;
  detail?: string;
  queuedAt: number;
  sentAt?: number;
  doneAt?: number;
  repliedAt?: number;
}

/** The part of an SMS adapter a broadcast uses. */
export interface SmsSender {
  send(recipients: string[], text: string, ref: string, opts: { signal?: AbortSignal }): Promise<readonly { recipient: string; state: SmsState; duplicate?: boolean; reason?: string; detail?: string }[]>;
  onStatus(cb: (change: { status: SmsRecipientStatus }) => void): () => void;
  onReply(cb: (reply: { from: string; text: string; at: number; ref?: string }) => void): () => void;
}

function statusOf(s: SmsRecipientStatus): ChannelStatus {
  const at = s.state === 'queued' ? s.queuedAt : s.state === 'sent' ? s.sentAt : (s.doneAt ?? s.repliedAt);
  return {
    ref: s.ref,
    address: s.recipient,
    state: s.state,
    ...(s.reason ? { reason: s.reason } : {}),
    ...(s.detail ? { detail: s.detail } : {}),
    ...(at !== undefined ? { at } : {}),
  };
}

export function smsBroadcastChannel(sms: SmsSender): BroadcastChannel {
  const statusListeners = new Set<(s: ChannelStatus) => void>();
  return {
    name: 'sms',
    async send(ref, targets, text, signal) {
      const results = await sms.send(
        targets.map((t) => t.address),
        text,
        ref,
        { signal },
      );
      // A repeated (ref, recipient) changes nothing in the adapter, so no onStatus follows:
      // report where it stands (after a restart, or a second send of the same broadcast).
      for (const r of results) {
        if (!r.duplicate) continue;
        const s: ChannelStatus = { ref, address: r.recipient, state: r.state, ...(r.reason ? { reason: r.reason } : {}), ...(r.detail ? { detail: r.detail } : {}) };
        for (const cb of statusListeners) cb(s);
      }
    },
    onStatus(cb) {
      statusListeners.add(cb);
      const off = sms.onStatus((c) => cb(statusOf(c.status)));
      return () => {
        statusListeners.delete(cb);
        off();
      };
    },
    onReply(cb) {
      return sms.onReply((e) => {
        const reply: ChannelReply = { address: e.from, text: e.text, at: e.at, ...(e.ref !== undefined ? { ref: e.ref } : {}) };
        cb(reply);
      });
    },
  };
}
