/**
 * An open broadcast held in memory: its recipients indexed by channel address and by
 * person, so receipts and replies find their row without scanning. Pure bookkeeping.
 */
import { normalizePhone } from './recipient.js';
import type { Broadcast, BroadcastRecipient } from './types.js';
import type { ChannelName, ChannelReply } from '../../contract/capabilities.js';
import type { Timer } from '../../contract/clock.js';

const addrKey = (channel: ChannelName, address: string) => `${channel}\u0000${address}`;

export class LiveBroadcast {
  timer: Timer | undefined;
  private readonly byAddress = new Map<string, BroadcastRecipient[]>();
  private readonly byPerson = new Map<string, BroadcastRecipient[]>();

  constructor(readonly b: Broadcast) {
    for (const r of b.recipients) {
      if (r.phone) this.push(this.byPerson, `p:${normalizePhone(r.phone)}`, r);
      if (r.radio?.unit) this.push(this.byPerson, `u:${r.radio.unit}`, r);
      else if (r.radio) this.push(this.byPerson, `t:${r.radio.talkgroup}`, r);
      if (r.channel && r.address) this.indexAddress(r);
      for (const a of r.attempts) this.push(this.byAddress, addrKey(a.channel, a.address), r);
    }
  }

  private push(map: Map<string, BroadcastRecipient[]>, key: string, r: BroadcastRecipient): void {
    const list = map.get(key);
    if (!list) map.set(key, [r]);
    else if (!list.includes(r)) list.push(r);
  }

  /** Call after a recipient moved to a new channel/address. */
  indexAddress(r: BroadcastRecipient): void {
    if (r.channel && r.address) this.push(this.byAddress, addrKey(r.channel, r.address), r);
  }

  /** Recipients that were ever sent this broadcast at this address on this channel. */
  at(channel: ChannelName, address: string): BroadcastRecipient[] {
    return this.byAddress.get(addrKey(channel, address)) ?? [];
  }

  /** Is someone at this address waiting to be sent on this channel? */
  waiting(channel: ChannelName, address: string): boolean {
    return this.at(channel, address).some((r) => r.channel === channel && r.address === address && r.state === 'queued');
  }

  /**
   * The people a reply comes from: by phone for SMS; for radio by unit, or, for people known
   * only by their talkgroup (a guard post's handset), by the talkgroup the ack came in on.
   */
  people(channel: ChannelName, reply: ChannelReply): BroadcastRecipient[] {
    if (channel === 'sms') return this.byPerson.get(`p:${normalizePhone(reply.address)}`) ?? [];
    return [...(this.byPerson.get(`u:${reply.address}`) ?? []), ...(reply.talkgroup ? (this.byPerson.get(`t:${reply.talkgroup}`) ?? []) : [])];
  }

  /**
   * Which open broadcast a reply answers, and for whom: the one the channel names (ref) if
   * the person has not confirmed it yet, else the newest they have not confirmed, else the
   * named or newest one (a repeated answer is recorded, nothing more).
   */
  static answered(lives: readonly LiveBroadcast[], channel: ChannelName, reply: ChannelReply): { lb: LiveBroadcast; people: BroadcastRecipient[] } | undefined {
    const candidates = lives
      .map((lb) => ({ lb, people: lb.people(channel, reply) }))
      .filter((c) => c.people.length > 0)
      .sort((x, y) => y.lb.b.createdAt - x.lb.b.createdAt);
    const open = (c: (typeof candidates)[number]) => c.people.some((r) => r.state !== 'confirmed');
    const byRef = reply.ref !== undefined ? candidates.find((c) => c.lb.b.id === reply.ref) : undefined;
    return (byRef && open(byRef) ? byRef : undefined) ?? candidates.find(open) ?? byRef ?? candidates[0];
  }

  /** The channel after the current one this person can still be tried on. */
  static nextChannel(r: BroadcastRecipient): ChannelName | undefined {
    const i = r.channel ? r.channels.indexOf(r.channel) : -1;
    return r.channels[i + 1];
  }

  /** Nothing more can happen for this person: answered, or failed on the last channel. */
  static final(r: BroadcastRecipient): boolean {
    return r.state === 'confirmed' || (r.state === 'failed' && LiveBroadcast.nextChannel(r) === undefined);
  }

  allFinal(): boolean {
    return this.b.recipients.every((r) => LiveBroadcast.final(r));
  }

  /** Earliest moment something is due: a fallback or the end of the roll-call window. */
  nextDeadline(): number {
    let t = this.b.closesAt;
    for (const r of this.b.recipients) if (r.fallbackAt !== undefined && r.fallbackAt < t) t = r.fallbackAt;
    return t;
  }
}
