/**
 * The sms-cmpp adapter as the broadcast channel 'sms': what its channel() offers the gateway,
 * exactly as sms-smpp offers it, so the broadcast service cannot tell which protocol carries
 * its SMS. The adapter already tracks each (ref, recipient) and is idempotent per pair; this
 * only translates its events.
 */
import type { BroadcastChannel, ChannelReply, ChannelStatus } from '../../gateway/contract/capabilities.js';
import type { SmsCmppAdapter } from './adapter-api.js';
import type { RecipientStatus } from './delivery-tracker.js';

/** The part of the adapter a broadcast uses. */
export type CmppSender = Pick<SmsCmppAdapter, 'send' | 'onStatus' | 'onReply'>;

function statusOf(s: RecipientStatus): ChannelStatus {
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

export function smsCmppBroadcastChannel(sms: CmppSender): BroadcastChannel {
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
