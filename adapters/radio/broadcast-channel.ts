/**
 * The radio adapter as a broadcast channel ('radio'): what its channel() offers the gateway.
 * A talkgroup transmission is a group call: its tx-ack means the message went on air for
 * every person listening on that talkgroup ('sent'); only a unit's roll-call ack (点名应答)
 * tells that a person heard it ('confirmed'). A talkgroup that fails or never acks fails
 * its listeners, who then fall back to SMS at once.
 */
import type { RadioAdapter, TalkgroupOutcome } from './adapter-api.js';
import type { BroadcastChannel, ChannelStatus } from '../../gateway/contract/capabilities.js';

/** The part of the radio adapter a broadcast uses. */
export type RadioSender = Pick<RadioAdapter, 'broadcast' | 'onRollCall'>;

export function radioBroadcastChannel(radio: RadioSender): BroadcastChannel {
  const statusListeners = new Set<(s: ChannelStatus) => void>();
  const report = (s: ChannelStatus) => {
    for (const cb of statusListeners) cb(s);
  };
  return {
    name: 'radio',
    async send(ref, targets, text, signal, meta) {
      const talkgroups = [...new Set(targets.flatMap((t) => (t.talkgroup ? [t.talkgroup] : [])))];
      const outcomes: TalkgroupOutcome[] = await radio.broadcast(talkgroups, text, ref, {
        signal,
        rollCall: true,
        priority: meta.drill ? 'normal' : 'emergency',
      });
      const byTg = new Map(outcomes.map((o) => [o.talkgroup, o]));
      for (const t of targets) {
        const o = t.talkgroup ? byTg.get(t.talkgroup) : undefined;
        if (!o) {
          report({ ref, address: t.address, state: 'failed', reason: 'no-talkgroup', detail: 'no talkgroup to transmit on' });
        } else if (o.status === 'acked') {
          report({ ref, address: t.address, state: 'sent' });
        } else if (!signal.aborted) {
          report({ ref, address: t.address, state: 'failed', reason: `tx-${o.status}`, detail: o.detail ?? `${o.talkgroup}: ${o.status} after ${o.attempts} attempts` });
        }
      }
    },
    onStatus(cb) {
      statusListeners.add(cb);
      return () => void statusListeners.delete(cb);
    },
    onReply(cb) {
      return radio.onRollCall((a) => cb({ address: a.unit, ref: a.ref, ack: true, at: a.at, ...(a.talkgroup ? { talkgroup: a.talkgroup } : {}) }));
    },
  };
}
