/**
 * The sms-cmpp channel adapter: broadcasts over one CMPP long connection to the ISMG, tracks
 * every recipient from queued to delivered/failed (durably, so reports still match after a
 * restart), and hands replies to the gateway for the roll-call.
 */
import type { AdapterContext, CheckResult } from '../../gateway/contract/adapter.js';
import type { BroadcastChannel, DeliveryResult, Outbound } from '../../gateway/contract/capabilities.js';
import { errorMessage } from '../../gateway/contract/errors.js';
import type { Device } from '../../gateway/contract/types.js';
import { maskNumber, relativeValidity, type LinkEvent, type ReplyEvent, type SendOptions, type SmsCmppAdapter, type SubmissionResult } from './adapter-api.js';
import { msgIdKey } from './cmpp-auth.js';
import { decodeStatusReport } from './cmpp-codec.js';
import { RESULT, type CmppVersion } from './cmpp-constants.js';
import { CmppLink, type SubmitFields } from './cmpp-link.js';
import type { DeliverPdu } from './cmpp-pdu.js';
import { decodeMo, MoReassembler, partCount, segmentMt } from './cmpp-text.js';
import type { ResolvedCmppConfig } from './config.js';
import { smsBroadcastChannel } from '../shared/sms-broadcast-channel.js';
import { DeliveryTracker, keyOf, MemoryRecipientStore, type RecipientState, type RecipientStatus, type RecipientStore, type StatusChange } from './delivery-tracker.js';
import { CMPP_ERRORS } from './errors.js';
import { Listeners, type Listener } from '../shared/listeners.js';
import { KeyWaiters } from '../shared/key-waiters.js';
import type { FailureReason } from './report-stat.js';
import { SqliteRecipientStore } from './recipient-store.js';
import { SubmitWindow, type PartJob, type WindowStats } from './submit-window.js';

interface Running {
  store: RecipientStore;
  tracker: DeliveryTracker;
  window: SubmitWindow;
  link: CmppLink;
  reassembler: MoReassembler;
  housekeeping: ReturnType<AdapterContext['clock']['setInterval']>;
  waiters: KeyWaiters;
  concatRef: number;
}

const EMPTY_STATS: WindowStats = { queued: 0, inFlight: 0, window: 0, throttled: false, peakInFlight: 0 };

export class SmsCmppAdapterImpl implements SmsCmppAdapter {
  private broadcastChannel: BroadcastChannel | undefined;
  private run: Running | undefined;
  private readonly statusListeners: Listeners<StatusChange>;
  private readonly replyListeners: Listeners<ReplyEvent>;
  private readonly linkListeners: Listeners<LinkEvent>;

  constructor(
    private readonly cfg: ResolvedCmppConfig,
    private readonly ctx: AdapterContext,
  ) {
    this.statusListeners = new Listeners('sms-cmpp.status', ctx.log, ctx.clock);
    this.replyListeners = new Listeners('sms-cmpp.reply', ctx.log, ctx.clock);
    this.linkListeners = new Listeners('sms-cmpp.link', ctx.log, ctx.clock);
  }

  get deviceId(): string {
    return this.cfg.deviceId;
  }

  onStatus(cb: Listener<StatusChange>): () => void {
    return this.statusListeners.add(cb);
  }
  onReply(cb: Listener<ReplyEvent>): () => void {
    return this.replyListeners.add(cb);
  }
  onLink(cb: Listener<LinkEvent>): () => void {
    return this.linkListeners.add(cb);
  }

  isConnected(): boolean {
    return this.run?.link.isConnected() ?? false;
  }

  status(ref?: string): RecipientStatus[] {
    return this.run?.tracker.list(ref) ?? [];
  }

  windowStats(): WindowStats {
    return this.run?.window.stats() ?? EMPTY_STATS;
  }

  /** The broadcast service's 'sms' channel (one per adapter: it keeps the channel's listeners). */
  channel(): BroadcastChannel {
    this.broadcastChannel ??= smsBroadcastChannel(this);
    return this.broadcastChannel;
  }

  async start(): Promise<void> {
    if (this.run) return;
    const { cfg, ctx } = this;
    const log = ctx.log.child({ adapter: 'sms-cmpp', deviceId: cfg.deviceId });
    let store: RecipientStore;
    try {
      store = new SqliteRecipientStore(ctx.dataDir, (err, failures) => {
        // Every failure counts; the log says so at 1, 2, 4, 8… so a full disk does not flood it.
        if ((failures & (failures - 1)) === 0) log.error({ err, failures }, 'receipt store write failed: reports after a restart may not match');
      });
    } catch (err) {
      // Broadcasts matter more than receipts across a restart: run, say so loudly.
      log.error({ err }, 'receipt store unavailable: reports for messages sent before a restart will not match');
      store = new MemoryRecipientStore();
    }
    const tracker = new DeliveryTracker(store, { orphanTtlMs: cfg.orphanReportTtlMs });
    const link = new CmppLink(
      {
        host: cfg.host,
        port: cfg.port,
        spId: cfg.spId,
        sharedSecret: cfg.secret,
        version: cfg.version,
        versionFallback: cfg.versionFallback,
        verifyIsmg: cfg.verifyIsmg,
        timeZone: cfg.timeZone,
        connectTimeoutMs: cfg.connectTimeoutSeconds * 1000,
        responseTimeoutMs: cfg.responseTimeoutSeconds * 1000,
        activeTestMs: cfg.activeTestSeconds * 1000,
        activeTestTimeoutMs: cfg.activeTestTimeoutSeconds * 1000,
        activeTestTries: cfg.activeTestTries,
        reconnectMinMs: cfg.reconnectMinMs,
        reconnectMaxMs: cfg.reconnectMaxMs,
      },
      ctx.clock,
      log,
      {
        onConnected: (version) => this.linkChanged(true, version),
        onDisconnected: (detail) => this.linkChanged(false, undefined, detail),
        onDeliver: (pdu) => this.onDeliver(pdu),
        onActiveTest: (rtt) => this.emitEvent('telemetry', { bound: true, activeTestMs: rtt, ...this.statsData() }),
        onMalformed: (detail) => ctx.reject('cmpp-malformed', detail, cfg.deviceId),
      },
    );
    const window = new SubmitWindow(
      {
        clock: ctx.clock,
        submit: (job) => link.submit(this.submitFields(job)),
        onAccepted: (job, msgId) => this.apply(tracker.accepted(job.ref, job.recipient, job.index, msgId, ctx.clock.now())),
        onGaveUp: (job, reason, detail) => this.gaveUp(job, reason, detail),
        onThrottle: (active, detail) => {
          log.warn({ active, detail }, 'ISMG flow control');
          ctx.setCondition(cfg.deviceId, 'throttled', active, active ? detail : undefined);
        },
      },
      {
        window: cfg.window,
        submitTries: cfg.submitTries,
        retryBackoffMs: cfg.retryBackoffMs,
        throttleBackoffMs: cfg.throttleBackoffMs,
        throttleBackoffMaxMs: cfg.throttleBackoffMaxMs,
        maxQueueMs: cfg.maxQueueMs,
      },
    );
    this.run = {
      store,
      tracker,
      window,
      link,
      reassembler: new MoReassembler(cfg.concatTimeoutMs),
      housekeeping: ctx.clock.setInterval(() => this.housekeeping(), 1000),
      waiters: new KeyWaiters(),
      concatRef: Math.floor(Math.random() * 256),
    };
    if (tracker.size > 0) log.info({ recipients: tracker.size }, 'recipients restored from the receipt store');
    link.start();
  }

  async stop(): Promise<void> {
    const run = this.run;
    if (!run) return;
    run.window.stop();
    this.ctx.clock.clearInterval(run.housekeeping);
    await run.link.stop();
    run.waiters.wakeAll();
    run.store.close();
    this.run = undefined;
  }

  async send(recipients: string[], text: string, ref: string, opts: SendOptions = {}): Promise<SubmissionResult[]> {
    const run = this.run;
    if (!run) throw CMPP_ERRORS.error('GW_ERR_CMPP_NOT_STARTED', 'sms-cmpp adapter is not started');
    const unique = [...new Set(recipients.map((r) => r.trim()).filter((r) => r.length > 0))];
    if (unique.length === 0) throw CMPP_ERRORS.error('GW_ERR_CMPP_NO_RECIPIENTS', `broadcast ${ref} has no recipients`);
    const parts = partCount(text); // validates before anything is queued
    const now = this.ctx.clock.now();
    const duplicates = new Set<string>();
    for (const recipient of unique) {
      const known = run.tracker.get(ref, recipient);
      if (known?.state === 'queued' && !run.window.holds(ref, recipient)) {
        // Queued before a restart: the ISMG has not accepted every part. Send the missing ones
        // under the same UDH reference, so the phone still joins them to the accepted ones.
        const pending = run.tracker.pendingParts(ref, recipient);
        if (pending) {
          const wanted = new Set(pending.indexes);
          run.window.enqueue(segmentMt(text, pending.concatRef).filter((p) => wanted.has(p.index)).map((p) => ({ ref, recipient, ...p })));
          continue;
        }
      }
      run.concatRef = (run.concatRef + 1) & 0xff;
      const queued = run.tracker.enqueue(ref, recipient, parts, run.concatRef, now);
      if (!queued.isNew) {
        duplicates.add(recipient);
        continue;
      }
      if (queued.change) this.apply([queued.change]);
      run.window.enqueue(segmentMt(text, run.concatRef).map((p) => ({ ref, recipient, ...p })));
    }
    await run.waiters.waitAll(unique.filter((r) => run.tracker.get(ref, r)?.state === 'queued').map((r) => keyOf(ref, r)), opts.signal);
    return unique.map((recipient) => {
      const s = run.tracker.get(ref, recipient);
      const r: SubmissionResult = { recipient, state: s?.state ?? 'queued', msgIds: s?.msgIds ?? [], duplicate: duplicates.has(recipient) };
      if (s?.reason) r.reason = s.reason;
      if (s?.detail) r.detail = s.detail;
      return r;
    });
  }

  cancel(ref: string): number {
    const run = this.run;
    if (!run) return 0;
    const removed = run.window.cancel((j) => j.ref === ref);
    const recipients = new Set(removed.map((j) => j.recipient));
    for (const r of recipients) this.apply(maybe(run.tracker.rejected(ref, r, 'NOT_SENT', 'cancelled', this.ctx.clock.now())));
    return recipients.size;
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
      return { ok: false, reference: msg.id, detail: errorMessage(err) };
    }
    const count = (states: RecipientState[]) => results.filter((r) => states.includes(r.state));
    const failed = count(['failed']);
    const queued = count(['queued']);
    const parts = [`accepted ${count(['sent', 'delivered']).length}/${results.length}`];
    if (failed.length > 0) parts.push(`failed ${failed.map((r) => `${maskNumber(r.recipient)} ${r.reason ?? ''} ${r.detail ?? ''}`.trim()).join(', ')}`);
    if (queued.length > 0) parts.push(`queued ${queued.length}${this.isConnected() ? '' : ` (not connected: ${this.run?.link.detail ?? ''})`}`);
    return { ok: failed.length === 0 && queued.length === 0, reference: msg.id, latencyMs: this.ctx.clock.now() - started, detail: parts.join('; ') };
  }

  async check(device: Device, signal: AbortSignal): Promise<CheckResult> {
    const run = this.run;
    if (!run || device.id !== this.cfg.deviceId) {
      return { status: 'unknown', reasons: [{ code: 'check-error', detail: run ? `${device.id} is not this SMS channel` : 'adapter not started' }], evidence: {} };
    }
    const stats = this.statsData();
    if (!run.link.isConnected()) return { status: 'offline', reasons: [{ code: 'channel-unbound', detail: run.link.detail }], evidence: { bound: false, ...stats } };
    let onAbort: () => void = () => undefined;
    const aborted = new Promise<undefined>((resolve) => {
      onAbort = () => resolve(undefined);
      signal.addEventListener('abort', onAbort, { once: true });
    });
    const rtt = signal.aborted ? undefined : await Promise.race([run.link.activeTest(), aborted]);
    signal.removeEventListener('abort', onAbort);
    if (rtt === undefined) {
      const detail = signal.aborted ? 'check aborted before CMPP_ACTIVE_TEST_RESP' : 'no CMPP_ACTIVE_TEST_RESP';
      return { status: 'offline', reasons: [{ code: 'channel-unbound', detail }], evidence: { bound: run.link.isConnected(), ...stats } };
    }
    const reasons: CheckResult['reasons'] = stats.throttled ? [{ code: 'throttled', detail: 'ISMG flow control (Result 8)' }] : [];
    return { status: stats.throttled ? 'degraded' : 'ok', reasons, evidence: { bound: true, version: run.link.version, activeTestMs: rtt, ...stats } };
  }

  private statsData(): { queued: number; inFlight: number; window: number; throttled: boolean } {
    const s = this.windowStats();
    return { queued: s.queued, inFlight: s.inFlight, window: s.window, throttled: s.throttled };
  }

  private submitFields(job: PartJob): SubmitFields {
    const c = this.cfg;
    return {
      // §7.4.3.1 / §8.4.3.1: the ISMG fills in Msg_Id; the SP sends zeros.
      msgId: 0n,
      // Pk_total / Pk_number: the part count and number of a long message, 1/1 otherwise.
      pkTotal: job.total,
      pkNumber: job.index,
      registeredDelivery: 1,
      msgLevel: c.msgLevel,
      serviceId: c.serviceId,
      feeUserType: c.feeUserType,
      feeTerminalId: c.feeTerminalId,
      feeTerminalType: 0,
      tpPid: 0,
      tpUdhi: job.tpUdhi,
      msgFmt: job.msgFmt,
      msgSrc: c.spId,
      feeType: c.feeType,
      feeCode: c.feeCode,
      validTime: c.validityMinutes > 0 ? relativeValidity(c.validityMinutes) : '',
      atTime: '',
      srcId: c.srcId,
      destTerminalIds: [job.recipient],
      destTerminalType: 0,
      msgContent: job.content,
      linkId: '',
    };
  }

  private linkChanged(connected: boolean, version?: CmppVersion, detail?: string): void {
    const run = this.run;
    if (!run) return;
    run.window.setReady(connected);
    this.ctx.setCondition(this.cfg.deviceId, 'channel-unbound', !connected, connected ? undefined : detail);
    if (connected) this.ctx.setCondition(this.cfg.deviceId, 'throttled', false);
    this.emitEvent(connected ? 'bound' : 'unbound', connected ? { host: this.cfg.host, port: this.cfg.port } : { detail: detail ?? '' });
    const e: LinkEvent = { connected, at: this.ctx.clock.now(), ...(version ? { version } : {}), ...(detail ? { detail } : {}) };
    void this.linkListeners.emit(e, this.cfg.listenerTimeoutMs);
  }

  private emitEvent(type: 'bound' | 'unbound' | 'telemetry', data: Record<string, string | number | boolean>): void {
    this.ctx.emit({ deviceId: this.cfg.deviceId, type, data }).catch((err: unknown) => this.ctx.log.debug({ err, type }, 'channel event refused'));
  }

  private gaveUp(job: PartJob, reason: FailureReason, detail: string): void {
    const run = this.run;
    if (!run) return;
    // A long message missing a part is useless: drop its unsent siblings too.
    run.window.cancel((j) => j.ref === job.ref && j.recipient === job.recipient);
    this.apply(maybe(run.tracker.rejected(job.ref, job.recipient, reason, detail, this.ctx.clock.now())));
  }

  /** Forwards state changes to listeners and wakes send() calls waiting on them. */
  private apply(changes: StatusChange[]): void {
    for (const change of changes) {
      const s = change.status;
      if (s.state !== 'queued') {
        this.run?.waiters.wake(keyOf(s.ref, s.recipient));
      }
      void this.statusListeners.emit(change, this.cfg.listenerTimeoutMs);
    }
  }


  private async onDeliver(pdu: DeliverPdu): Promise<number> {
    const run = this.run;
    // Not ours to take right now: the ISMG keeps it and delivers it again.
    if (!run) return RESULT.FLOW_CONTROL;
    const now = this.ctx.clock.now();
    if (pdu.registeredDelivery === 1) {
      const decoded = decodeStatusReport(pdu.msgContent);
      if (!decoded.ok) {
        // Acknowledged anyway: sent again it would be just as unreadable.
        this.ctx.reject('report-unreadable', decoded.detail, this.cfg.deviceId);
        return RESULT.OK;
      }
      const m = run.tracker.report({ msgId: msgIdKey(decoded.pdu.msgId), stat: decoded.pdu.stat }, now);
      if (m.change) this.apply([m.change]);
      return RESULT.OK;
    }
    const mo = decodeMo(pdu.msgContent, pdu.msgFmt, pdu.tpUdhi);
    const whole = run.reassembler.add(pdu.srcTerminalId, mo.concat, mo.text, now);
    if (!whole.complete) return RESULT.OK;
    return this.reply(run, pdu.srcTerminalId, pdu.destId, whole.text, whole.parts, true, now);
  }

  private async reply(run: Running, from: string, to: string, text: string, parts: number, complete: boolean, at: number): Promise<number> {
    const change = run.tracker.reply(from, at);
    if (change) this.apply([change]);
    this.ctx.log.info({ from: maskNumber(from), ref: change?.status.ref, parts, complete }, 'SMS reply');
    const e: ReplyEvent = { from, to, text, at, parts, complete, ...(change ? { ref: change.status.ref, status: change.status } : {}) };
    // A listener that failed: Result 8 ("flow control", §7.4.5.2 / §8.4.5.2) asks the ISMG to
    // deliver it again later; CMPP has no temporary application error of its own.
    return (await this.replyListeners.emit(e, this.cfg.listenerTimeoutMs)) ? RESULT.OK : RESULT.FLOW_CONTROL;
  }

  private housekeeping(): void {
    const run = this.run;
    if (!run) return;
    const now = this.ctx.clock.now();
    run.window.expire();
    for (const r of run.tracker.expireOrphans(now)) this.ctx.reject('report-unmatched', `no submitted message ${r.msgId} (stat ${r.stat})`, this.cfg.deviceId);
    for (const m of run.reassembler.expire(now)) void this.reply(run, m.from, '', m.text, m.received, false, now);
    run.tracker.prune(now, this.cfg.retainHours * 3600_000);
  }
}

function maybe<T>(v: T | undefined): T[] {
  return v === undefined ? [] : [v];
}
