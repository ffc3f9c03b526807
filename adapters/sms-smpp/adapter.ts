/**
 * The sms-smpp channel adapter: broadcasts over one SMPP 3.4 transceiver link, tracks every
 * recipient from queued to delivered/failed, and hands receipts and replies to the gateway.
 */
import type { Device } from '../../gateway/contract/types.js';
import type { AdapterContext, CheckResult } from '../../gateway/contract/adapter.js';
import type { BroadcastChannel, DeliveryResult, Outbound } from '../../gateway/contract/capabilities.js';
import { smsBroadcastChannel } from '../shared/sms-broadcast-channel.js';
import {
  maskNumber,
  relativeValidity,
  type LinkEvent,
  type ReceiptEvent,
  type ReplyEvent,
  type SendOptions,
  type SmsSmppAdapter,
  type SubmissionResult,
} from './adapter-api.js';
import type { SmsSmppConfig } from './config.js';
import { ConcatReassembler } from './concat-reassembler.js';
import { readDeliverSm } from './deliver-sm.js';
import { DeliveryTracker, type RecipientState, type RecipientStatus, type RecipientStore, type StatusChange } from './delivery-tracker.js';
import { SqliteRecipientStore } from './recipient-store.js';
import { SMS_ERRORS } from './errors.js';
import { Listeners, type Listener } from '../shared/listeners.js';
import { KeyWaiters } from '../shared/key-waiters.js';
import { interpretReceipt, isReceiptEsmClass, type FailureReason } from './receipt-codec.js';
import { segment } from './segmenter.js';
import { REGISTERED_DELIVERY_FINAL, STATUS } from './smpp-constants.js';
import { SmppLink } from './smpp-link.js';
import { SubmitScheduler, type PartJob } from './submit-scheduler.js';

interface Running {
  tracker: DeliveryTracker;
  store?: RecipientStore;
  scheduler: SubmitScheduler;
  link: SmppLink;
  reassembler: ConcatReassembler;
  housekeeping: ReturnType<AdapterContext['clock']['setInterval']>;
  waiters: KeyWaiters;
  concatRef: number;
}

const key = (ref: string, recipient: string): string => `${ref}\u0000${recipient}`;

export class SmsSmppAdapterImpl implements SmsSmppAdapter {
  private broadcastChannel: BroadcastChannel | undefined;
  private run: Running | undefined;
  private readonly statusListeners: Listeners<StatusChange>;
  private readonly receiptListeners: Listeners<ReceiptEvent>;
  private readonly replyListeners: Listeners<ReplyEvent>;
  private readonly linkListeners: Listeners<LinkEvent>;

  constructor(
    private readonly cfg: SmsSmppConfig,
    private readonly ctx: AdapterContext,
  ) {
    this.statusListeners = new Listeners('sms-smpp.status', ctx.log, ctx.clock);
    this.receiptListeners = new Listeners('sms-smpp.receipt', ctx.log, ctx.clock);
    this.replyListeners = new Listeners('sms-smpp.reply', ctx.log, ctx.clock);
    this.linkListeners = new Listeners('sms-smpp.link', ctx.log, ctx.clock);
  }

  get deviceId(): string {
    return this.cfg.deviceId;
  }

  onStatus(cb: Listener<StatusChange>): () => void {
    return this.statusListeners.add(cb);
  }
  onReceipt(cb: Listener<ReceiptEvent>): () => void {
    return this.receiptListeners.add(cb);
  }
  onReply(cb: Listener<ReplyEvent>): () => void {
    return this.replyListeners.add(cb);
  }
  onLink(cb: Listener<LinkEvent>): () => void {
    return this.linkListeners.add(cb);
  }

  isBound(): boolean {
    return this.run?.link.isBound() ?? false;
  }

  status(ref?: string): RecipientStatus[] {
    return this.run?.tracker.list(ref) ?? [];
  }

  async start(): Promise<void> {
    if (this.run) return;
    const { cfg, ctx } = this;
    const log = ctx.log.child({ adapter: 'sms-smpp', deviceId: cfg.deviceId });
    let store: RecipientStore | undefined;
    try {
      store = new SqliteRecipientStore(ctx.dataDir, (err, failures) => {
        // Every failure counts; the log says so at 1, 2, 4, 8… so a full disk does not flood it.
        if ((failures & (failures - 1)) === 0) log.error({ err, failures }, 'receipt store write failed: receipts after a restart may not match');
      });
    } catch (err) {
      // Broadcasts matter more than receipts across a restart: run, say so loudly.
      log.error({ err }, 'receipt store unavailable: receipts for messages sent before a restart will not match');
    }
    const tracker = new DeliveryTracker({ idMatch: cfg.receiptIdMatch, suspectWithinMs: cfg.suspectReceiptMs, orphanTtlMs: cfg.orphanReceiptTtlMs }, store);
    const link = new SmppLink(cfg, ctx.clock, log, {
      onBound: () => this.linkChanged(true),
      onUnbound: (detail) => this.linkChanged(false, detail),
      onDeliverSm: (pdu) => this.onDeliverSm(pdu),
      onEnquireLink: (rtt) => this.emitEvent('telemetry', { bound: true, enquireLinkMs: rtt, ...this.queueStats() }),
    });
    const scheduler = new SubmitScheduler(
      {
        clock: ctx.clock,
        submit: (job) => link.submit(this.submitParams(job)),
        onAccepted: (job, id) => this.accepted(tracker, job, id),
        onGaveUp: (job, reason, detail) => this.gaveUp(job, reason, detail),
        onThrottle: (active, detail) => {
          log.warn({ active, detail }, 'SMSC throttling');
          ctx.setCondition(cfg.deviceId, 'throttled', active, active ? detail : undefined);
        },
      },
      cfg,
    );
    const housekeeping = ctx.clock.setInterval(() => this.housekeeping(), 1000);
    this.run = {
      tracker,
      store,
      scheduler,
      link,
      reassembler: new ConcatReassembler(cfg.concatTimeoutMs),
      housekeeping,
      waiters: new KeyWaiters(),
      concatRef: Math.floor(Math.random() * 256),
    };
    link.start();
  }

  async stop(): Promise<void> {
    const run = this.run;
    if (!run) return;
    run.scheduler.stop();
    this.ctx.clock.clearInterval(run.housekeeping);
    await run.link.stop();
    run.waiters.wakeAll();
    run.store?.close();
    this.run = undefined;
  }

  async send(recipients: string[], text: string, ref: string, opts: SendOptions = {}): Promise<SubmissionResult[]> {
    const run = this.run;
    if (!run) throw SMS_ERRORS.error('GW_ERR_SMS_NOT_STARTED', 'sms-smpp adapter is not started');
    const unique = [...new Set(recipients.map((r) => r.trim()).filter((r) => r.length > 0))];
    if (unique.length === 0) throw SMS_ERRORS.error('GW_ERR_SMS_NO_RECIPIENTS', `broadcast ${ref} has no recipients`);
    const encoding = this.cfg.forceUcs2 ? 'ucs2' : undefined;
    segment(text, 0, encoding); // validates length and text before anything is queued
    const duplicates = new Set<string>();
    for (const recipient of unique) {
      run.concatRef = (run.concatRef + 1) & 0xff;
      const { parts } = segment(text, run.concatRef, encoding);
      const queued = run.tracker.enqueue(ref, recipient, parts.length, this.ctx.clock.now());
      if (!queued.isNew) {
        duplicates.add(recipient);
        continue;
      }
      if (queued.change) this.apply([queued.change]);
      run.scheduler.enqueue(parts.map((p) => ({ ref, recipient, index: p.index, total: p.total, dataCoding: p.dataCoding, esmClass: p.esmClass, shortMessage: p.shortMessage })));
    }
    await run.waiters.waitAll(unique.filter((r) => run.tracker.get(ref, r)?.state === 'queued').map((r) => key(ref, r)), opts.signal);
    return unique.map((recipient) => {
      const s = run.tracker.get(ref, recipient);
      const r: SubmissionResult = { recipient, state: s?.state ?? 'queued', messageIds: s?.messageIds ?? [], duplicate: duplicates.has(recipient) };
      if (s?.reason) r.reason = s.reason;
      if (s?.detail) r.detail = s.detail;
      return r;
    });
  }

  cancel(ref: string): number {
    const run = this.run;
    if (!run) return 0;
    const removed = run.scheduler.cancel((j) => j.ref === ref);
    const recipients = new Set(removed.map((j) => j.recipient));
    for (const r of recipients) this.apply(maybe(run.tracker.rejected(ref, r, 'NOT_SENT', 'cancelled', this.ctx.clock.now())));
    return recipients.size;
  }

  /** The broadcast service's 'sms' channel (one per adapter: it keeps the channel's listeners). */
  channel(): BroadcastChannel {
    this.broadcastChannel ??= smsBroadcastChannel(this);
    return this.broadcastChannel;
  }

  async deliver(msg: Outbound, signal: AbortSignal): Promise<DeliveryResult> {
    const started = this.ctx.clock.now();
    const to = msg.to ?? msg.site.contacts.flatMap((c) => (c.phone ? [c.phone] : []));
    const text = msg.text ?? (msg.alarm ? `${msg.site.name}: ${msg.alarm.summary}` : undefined);
    if (!text) return { ok: false, detail: `${msg.id}: nothing to send (no text, no alarm)` };
    if (to.length === 0) return { ok: false, detail: `${msg.id}: no recipients` };
    let results: SubmissionResult[];
    try {
      results = await this.send(to, text, msg.id, { signal });
    } catch (err) {
      return { ok: false, reference: msg.id, detail: err instanceof Error ? err.message : String(err) };
    }
    const count = (states: RecipientState[]) => results.filter((r) => states.includes(r.state));
    const failed = count(['failed']);
    const queued = count(['queued']);
    const parts = [`accepted ${count(['sent', 'delivered']).length}/${results.length}`];
    if (failed.length > 0) parts.push(`failed ${failed.map((r) => `${maskNumber(r.recipient)} ${r.reason ?? ''} ${r.detail ?? ''}`.trim()).join(', ')}`);
    if (queued.length > 0) parts.push(`queued ${queued.length}${this.isBound() ? '' : ` (link unbound: ${this.run?.link.detail ?? ''})`}`);
    return { ok: failed.length === 0 && queued.length === 0, reference: msg.id, latencyMs: this.ctx.clock.now() - started, detail: parts.join('; ') };
  }

  async check(device: Device, signal: AbortSignal): Promise<CheckResult> {
    const run = this.run;
    if (!run || device.id !== this.cfg.deviceId) {
      return { status: 'unknown', reasons: [{ code: 'check-error', detail: run ? `${device.id} is not this SMS channel` : 'adapter not started' }], evidence: {} };
    }
    const stats = this.queueStats();
    if (!run.link.isBound()) {
      return { status: 'offline', reasons: [{ code: 'channel-unbound', detail: run.link.detail }], evidence: { bound: false, ...stats } };
    }
    let onAbort: () => void = () => undefined;
    const aborted = new Promise<undefined>((resolve) => {
      onAbort = () => resolve(undefined);
      signal.addEventListener('abort', onAbort, { once: true });
    });
    const rtt = signal.aborted ? undefined : await Promise.race([run.link.enquireLink(), aborted]);
    signal.removeEventListener('abort', onAbort);
    if (rtt === undefined) {
      const detail = signal.aborted ? 'check aborted before enquire_link_resp' : 'no enquire_link_resp';
      return { status: 'offline', reasons: [{ code: 'channel-unbound', detail }], evidence: { bound: run.link.isBound(), ...stats } };
    }
    const reasons: CheckResult['reasons'] = stats.throttled ? [{ code: 'throttled', detail: 'SMSC is throttling submits' }] : [];
    return { status: stats.throttled ? 'degraded' : 'ok', reasons, evidence: { bound: true, enquireLinkMs: rtt, ...stats } };
  }

  private queueStats(): { queued: number; inFlight: number; window: number; throttled: boolean } {
    return this.run?.scheduler.stats() ?? { queued: 0, inFlight: 0, window: 0, throttled: false };
  }

  private submitParams(job: PartJob): Record<string, unknown> {
    const c = this.cfg;
    const p: Record<string, unknown> = {
      source_addr_ton: c.sourceTon,
      source_addr_npi: c.sourceNpi,
      source_addr: c.sourceAddr,
      dest_addr_ton: c.destTon,
      dest_addr_npi: c.destNpi,
      destination_addr: job.recipient,
      esm_class: job.esmClass,
      registered_delivery: c.registeredDelivery ? REGISTERED_DELIVERY_FINAL : 0,
      data_coding: job.dataCoding,
      short_message: job.shortMessage,
    };
    if (c.validityMinutes > 0) p.validity_period = relativeValidity(c.validityMinutes);
    return p;
  }

  private linkChanged(bound: boolean, detail?: string): void {
    const run = this.run;
    if (!run) return;
    run.scheduler.setReady(bound);
    this.ctx.setCondition(this.cfg.deviceId, 'channel-unbound', !bound, bound ? undefined : detail);
    if (bound) this.ctx.setCondition(this.cfg.deviceId, 'throttled', false);
    this.emitEvent(bound ? 'bound' : 'unbound', bound ? { host: this.cfg.host, port: this.cfg.port } : { detail: detail ?? '' });
    const e: LinkEvent = { bound, at: this.ctx.clock.now(), ...(detail ? { detail } : {}) };
    void this.linkListeners.emit(e, this.cfg.listenerTimeoutMs);
  }

  private emitEvent(type: 'bound' | 'unbound' | 'telemetry', data: Record<string, string | number | boolean>): void {
    this.ctx.emit({ deviceId: this.cfg.deviceId, type, data }).catch((err: unknown) => this.ctx.log.warn({ err, type }, 'channel event refused'));
  }

  private accepted(tracker: DeliveryTracker, job: PartJob, messageId: string): void {
    const changes = tracker.accepted(job.ref, job.recipient, job.index, messageId, this.ctx.clock.now());
    this.apply(changes);
    // Receipts that overtook this submit_sm_resp were held back; their listeners hear of them now.
    for (const change of changes) {
      if (!change.receipt) continue;
      const e: ReceiptEvent = { ref: job.ref, recipient: job.recipient, receipt: change.receipt, status: change.status, change };
      void this.receiptListeners.emit(e, this.cfg.listenerTimeoutMs);
    }
  }

  private gaveUp(job: PartJob, reason: FailureReason, detail: string): void {
    const run = this.run;
    if (!run) return;
    // A concatenated message missing a part is useless: drop its unsent siblings too.
    run.scheduler.cancel((j) => j.ref === job.ref && j.recipient === job.recipient);
    this.apply(maybe(run.tracker.rejected(job.ref, job.recipient, reason, detail, this.ctx.clock.now())));
  }

  /** Forwards state changes to listeners and wakes send() calls waiting on them. */
  private apply(changes: StatusChange[]): void {
    for (const change of changes) {
      const s = change.status;
      if (s.state !== 'queued') {
        this.run?.waiters.wake(key(s.ref, s.recipient));
      }
      void this.statusListeners.emit(change, this.cfg.listenerTimeoutMs);
    }
  }


  private async onDeliverSm(pdu: Record<string, unknown>): Promise<number> {
    const run = this.run;
    if (!run) return STATUS.ESME_RX_T_APPN;
    const now = this.ctx.clock.now();
    const f = readDeliverSm(pdu);
    if (isReceiptEsmClass(f.esmClass) || f.receiptedMessageId !== undefined) {
      const receipt = interpretReceipt(f);
      if (!receipt) {
        // Acknowledged anyway: a resend would be just as unreadable.
        this.ctx.reject('receipt-unreadable', f.text.slice(0, 160), this.cfg.deviceId);
        return STATUS.ESME_ROK;
      }
      const m = run.tracker.receipt(receipt, now);
      if (m.change) this.apply([m.change]);
      if (m.matched && !m.duplicate && m.status) {
        const e: ReceiptEvent = { ref: m.status.ref, recipient: m.status.recipient, receipt, status: m.status, ...(m.change ? { change: m.change } : {}) };
        await this.receiptListeners.emit(e, this.cfg.listenerTimeoutMs);
      }
      return STATUS.ESME_ROK;
    }
    const whole = f.concat ? run.reassembler.add(f.from, f.concat, f.text, now) : { complete: true as const, text: f.text, parts: 1 };
    if (!whole.complete) return STATUS.ESME_ROK;
    return this.reply(run, f.from, f.to, whole.text, whole.parts, true, now);
  }

  private async reply(run: Running, from: string, to: string, text: string, parts: number, complete: boolean, at: number): Promise<number> {
    const change = run.tracker.reply(from, at);
    if (change) this.apply([change]);
    this.ctx.log.info({ from: maskNumber(from), ref: change?.status.ref, parts, complete }, 'SMS reply');
    const e: ReplyEvent = { from, to, text, at, parts, complete, ...(change ? { ref: change.status.ref, status: change.status } : {}) };
    // SMPP 3.4 §5.1.3 ESME_RX_T_APPN: a temporary failure makes the SMSC deliver it again.
    return (await this.replyListeners.emit(e, this.cfg.listenerTimeoutMs)) ? STATUS.ESME_ROK : STATUS.ESME_RX_T_APPN;
  }

  private housekeeping(): void {
    const run = this.run;
    if (!run) return;
    const now = this.ctx.clock.now();
    run.scheduler.expire();
    for (const r of run.tracker.expireOrphans(now)) {
      this.ctx.reject('receipt-unmatched', `no submitted message ${r.messageId} (stat ${r.stat})`, this.cfg.deviceId);
    }
    for (const m of run.reassembler.expire(now)) {
      void this.reply(run, m.key, '', m.text, m.received, false, now);
    }
    run.tracker.prune(now, this.cfg.retainMs);
  }
}

function maybe<T>(v: T | undefined): T[] {
  return v === undefined ? [] : [v];
}
