/**
 * Escalation's radio and SMS go through the broadcast service ("一呼百应"), so a supervisor's
 * call has the same queue, rate limits, receipts and roll-call as any broadcast: one broadcast
 * per step, each person once per channel (a radio-only and an SMS-only copy, so radio and SMS
 * both go out at once instead of SMS being radio's fallback). Receipts that arrive later
 * (delivered, confirmed, failed) are written to the alarm's timeline as `escalation-receipt`,
 * also after a restart (or on the node that took the duties over): a receipt for a broadcast
 * this process did not send is matched through the broadcast itself (sent by escalation, for
 * an alarm), read once from the store and remembered.
 */
import type { Logger } from 'pino';
import { errorMessage } from '../../contract/errors.js';
import type { AlarmService } from '../alarms/service.js';
import type { BroadcastService } from '../broadcast/service.js';
import type { BroadcastChange, Contact } from '../broadcast/types.js';
import type { EscalationNotice, EscalationReceipt, EscalationSender } from './service.js';
import { ESCALATION_ACTOR } from './service.js';

const FINAL = new Set(['delivered', 'confirmed', 'failed']);
/** Escalation broadcasts whose receipts are followed (bounded: the oldest are forgotten). */
const MAX_FOLLOWED = 1000;

/** The broadcast's policyId for an escalation step: `escalation:<policy>:<round>.<step>`. */
const stepLabel = (n: Pick<EscalationNotice, 'policy' | 'round' | 'step'>): string => `escalation:${n.policy}:${n.round}.${n.step}`;

export class BroadcastEscalationSender implements EscalationSender {
  /** broadcast id → alarm id (null: not an escalation's), for the receipts that come back later. */
  private readonly followed = new Map<string, string | null>();
  private off: (() => void) | undefined;

  constructor(private readonly d: { broadcasts: Pick<BroadcastService, 'create' | 'onChange' | 'get' | 'list'>; alarms: Pick<AlarmService, 'note'>; log: Logger }) {}

  start(): void {
    this.off ??= this.d.broadcasts.onChange((c) => this.onChange(c));
  }

  stop(): void {
    this.off?.();
    this.off = undefined;
    this.followed.clear();
  }

  async send(n: EscalationNotice): Promise<{ broadcastId?: string; receipts: EscalationReceipt[] }> {
    const receipts: EscalationReceipt[] = [];
    const contacts: Contact[] = [];
    for (const t of n.targets) {
      for (const channel of n.channels) {
        if (channel === 'sms' && t.phone) contacts.push({ name: t.name, phone: t.phone });
        else if (channel === 'radio' && t.radio) contacts.push({ name: t.name, radio: t.radio });
        else receipts.push({ who: t.name, channel, receipt: 'no-address' });
      }
    }
    if (contacts.length === 0) return { receipts };
    // A step is one broadcast: one already made for it (killed before its timeline entries were
    // written) is reported as it stands, never sent a second time.
    const policyId = stepLabel(n);
    const made = (await this.d.broadcasts.list({ alarmId: n.alarm.id })).find((s) => s.createdBy === ESCALATION_ACTOR && s.policyId === policyId);
    const b = (made && (await this.d.broadcasts.get(made.id))) || (await this.d.broadcasts.create({ text: n.text, recipients: contacts, channels: n.channels, alarmId: n.alarm.id, siteId: n.alarm.siteId, by: ESCALATION_ACTOR, policyId }));
    this.follow(b.id, n.alarm.id);
    for (const r of b.recipients) receipts.push({ who: r.name, channel: r.channel ?? (r.phone ? 'sms' : 'radio'), receipt: r.state === 'failed' && r.reason ? r.reason : r.state });
    return { broadcastId: b.id, receipts };
  }

  private follow(broadcastId: string, alarmId: string | null): void {
    this.followed.set(broadcastId, alarmId);
    if (this.followed.size > MAX_FOLLOWED) this.followed.delete(this.followed.keys().next().value as string);
  }

  /** The alarm an escalation broadcast was for; null for any other broadcast. */
  private async alarmOf(broadcastId: string): Promise<string | null> {
    const known = this.followed.get(broadcastId);
    if (known !== undefined) return known;
    const b = await this.d.broadcasts.get(broadcastId);
    if (!b) return null; // not stored yet: asked again at its next receipt
    const alarmId = b.createdBy === ESCALATION_ACTOR && b.alarmId ? b.alarmId : null;
    // A newer send() may have followed it meanwhile: that answer stands.
    if (!this.followed.has(broadcastId)) this.follow(broadcastId, alarmId);
    return this.followed.get(broadcastId) ?? alarmId;
  }

  private onChange(c: BroadcastChange): void {
    if (c.change === 'created') {
      // Known from its start, so its receipts need no read of the whole broadcast (a copy of
      // every recipient, or the database once it closed): every alarm's broadcast comes here.
      const b = c.broadcast;
      if (!this.followed.has(b.id)) this.follow(b.id, b.createdBy === ESCALATION_ACTOR && b.alarmId ? b.alarmId : null);
      return;
    }
    if (c.change !== 'recipient') return;
    const r = c.recipient;
    if (!FINAL.has(r.state) || !r.channel) return;
    const channel = r.channel;
    this.alarmOf(c.broadcastId)
      .then((alarmId) => {
        if (!alarmId) return;
        return this.d.alarms
          .note(alarmId, { action: 'escalation-receipt', by: ESCALATION_ACTOR, data: { broadcastId: c.broadcastId, who: r.name, channel, receipt: r.state } })
          .then(() => undefined);
      })
      .catch((err: unknown) => this.d.log.warn({ err: errorMessage(err), broadcastId: c.broadcastId }, 'escalation receipt not written'));
  }
}
