/**
 * Forwards alarms and end-to-end test reports to a far end (the 110 alarm centre) over a
 * forwarding link (an adapter's `forwarding()` capability), from the durable outbox: in order
 * (alarms before tests), one at a time, retrying with backoff until acknowledged, and never
 * again once it is. Every step lands on the alarm's timeline.
 *
 * A new alarm it carries is queued as the alarm is committed (onRaise: the outbox entry and
 * the alarm in one transaction, before the device is acknowledged), and the first attempt
 * starts as soon as the raise is announced, before other work of the same press.
 *
 * The outbox is a database: when it cannot be reached, the pump logs it once and looks again
 * after a while; nothing is lost (entries leave the outbox only once acknowledged and recorded).
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { DeviceRegistry } from '../../contract/adapter.js';
import type { DeliveryResult, ForwardingLink, Outbound } from '../../contract/capabilities.js';
import type { Clock, Timer } from '../../contract/clock.js';
import type { Alarm, AlarmEntry } from '../../contract/types.js';
import { errorMessage, isUncommitted } from '../../contract/errors.js';
import { forwardQueuedEntry, type Outbox, type OutboxEntry, type OutboxRequest } from './outbox.js';
import type { AlarmService, RaiseParticipant } from './service.js';
import type { PressPathRecorder } from './press-path.js';

export interface ForwarderOptions {
  link: ForwardingLink;
  outbox: Outbox;
  alarms: Pick<AlarmService, 'get' | 'note' | 'openAlarms'>;
  registry: Pick<DeviceRegistry, 'get' | 'site'>;
  clock: Clock;
  log: Logger;
  /** Called when an end-to-end test report was acknowledged (its record is awaited). */
  onTestAcked?(deviceId: string, at: number, latencyMs: number, reference?: string): void | Promise<void>;
  /** How long the pump waits before looking at an unreachable outbox again (default 1 s). */
  storeRetryMs?: number;
  /** Told when a press's alarm report was acknowledged, with the link's marks (press-path.ts). */
  pressPath?: Pick<PressPathRecorder, 'delivered'>;
}

/** Timeline entries for failed attempts are kept for the first few, then every tenth. */
const noteAttempt = (n: number) => n <= 5 || n % 10 === 0;

export class Forwarder implements RaiseParticipant {
  private timer?: Timer;
  private running = false;
  private stopped = true;
  private inflight?: AbortController;
  private idle?: Promise<void>;
  /** True while the outbox cannot be read or written: logged once per outage. */
  private storeDown = false;
  /**
   * Entries the far end acknowledged whose markAcked the store refused (disk full, database
   * down): delivered, so never sent again by this process while the ones behind them go out;
   * their record is retried before each pass.
   */
  private readonly ackedUnrecorded = new Set<string>();
  /** Woken while pumping (another node queued an entry): look again right after. */
  private again = false;
  /** What the pump reads and records delivery in: the outbox, or a lease-fenced view of it (start()). */
  private pump: Outbox;

  constructor(private readonly o: ForwarderOptions) {
    this.pump = o.outbox;
  }

  get channel(): string {
    return this.o.link.channel;
  }

  /**
   * Starts pumping; first queues open alarms a crash left without their outbox entry. In
   * cluster mode the lease holder passes the outbox fenced by its token: a delivery it records
   * after losing the lease is refused by the database.
   */
  async start(opts: { outbox?: Outbox } = {}): Promise<void> {
    this.pump = opts.outbox ?? this.o.outbox;
    this.stopped = false;
    this.again = false;
    try {
      await this.recover();
    } catch (err) {
      // The outbox is unreachable now: the pump retries, and recover() runs again on the next start.
      this.o.log.warn({ err: errorMessage(err) }, 'open alarms could not be checked against the outbox');
    }
    this.kick();
  }

  /**
   * What a crash (or a holder's death in cluster mode) can leave half done, for every open alarm
   * this link carries: no outbox entry (killed between the two) → queued; an entry the far end
   * acknowledged without the alarm's `forward-acked` note (killed between recording the ACK and
   * writing the note) → the note, marked `recovered`, added once, so the board and the button
   * (110-received) learn the centre has it.
   */
  async recover(): Promise<void> {
    for (const alarm of this.o.alarms.openAlarms()) {
      if (!this.carries(alarm)) continue;
      const entry = await this.o.outbox.forAlarm(this.channel, alarm.id);
      if (!entry) await this.enqueueAlarm(alarm);
      else if (entry.state === 'acked') {
        const channel = this.channel;
        await this.o.alarms.note(
          alarm.id,
          { action: 'forward-acked', by: 'system', data: { channel, sequence: entry.sequence, recovered: true } },
          { unless: (e) => e.action === 'forward-acked' && (e.data as { channel?: string } | undefined)?.channel === channel },
        );
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) this.o.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.inflight?.abort();
    await this.idle;
  }

  /** Another node queued an entry (NOTIFY outbox), or the safety poll: look at the outbox now. */
  wake(): void {
    if (this.stopped) return;
    if (this.running) this.again = true;
    else this.kick();
  }

  /** Whether the pump runs (this node holds the link). */
  get pumping(): boolean {
    return !this.stopped;
  }

  carries(alarm: Alarm): boolean {
    return !alarm.drill && this.o.link.types.includes(alarm.type);
  }

  /**
   * Part of committing a new alarm (AlarmService.raise): what this link carries, an alarm report
   * or, for a drill, a test report, is queued in the raise's transaction. The first attempt
   * starts when the raise is announced (onRaised).
   */
  onRaise(alarm: Alarm): OutboxRequest[] {
    const asTest = this.carriesAsTest(alarm);
    if (!this.carries(alarm) && !asTest) return [];
    return [
      {
        id: randomUUID(),
        channel: this.channel,
        kind: asTest ? 'test-report' : 'alarm-report',
        alarmId: alarm.id,
        ...(alarm.deviceId ? { deviceId: alarm.deviceId } : {}),
        siteId: alarm.siteId,
        createdAt: this.o.clock.now(),
      },
    ];
  }

  queuedEntry(entry: OutboxEntry): Omit<AlarmEntry, 'at'> {
    return forwardQueuedEntry(entry);
  }

  /**
   * The raise was committed and is being announced: start the first attempt now, so a new
   * alarm's frame is written (and its forward-sent note committed) before the rest of the
   * press's work (its broadcast) runs.
   */
  onRaised(alarm: Alarm, queued: readonly OutboxEntry[]): void {
    const entry = queued[0];
    if (!entry || this.stopped || this.running) return;
    // An idle pump has nothing due (it waits on a timer for later retries, or has nothing): the
    // new entry is first in line, as the pump would pick it.
    if (this.timer) this.o.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.running = true;
    this.idle = this.run(async () => {
      await this.attempt(entry, alarm);
      return this.drain();
    });
  }

  /** Queues an alarm committed without its entry (a crash between the two); a second call is a no-op. */
  async enqueueAlarm(alarm: Alarm): Promise<void> {
    if (await this.o.outbox.forAlarm(this.channel, alarm.id)) return;
    const entry = await this.o.outbox.enqueue({
      id: randomUUID(),
      channel: this.channel,
      kind: 'alarm-report',
      alarmId: alarm.id,
      ...(alarm.deviceId ? { deviceId: alarm.deviceId } : {}),
      siteId: alarm.siteId,
      createdAt: this.o.clock.now(),
    });
    await this.o.alarms.note(alarm.id, forwardQueuedEntry(entry));
    this.kick();
  }

  /** Queues an end-to-end test report for a device (a test press, a self-test). */
  async enqueueTest(deviceId: string): Promise<void> {
    const device = this.o.registry.get(deviceId);
    if (!device) return;
    await this.o.outbox.enqueue({ id: randomUUID(), channel: this.channel, kind: 'test-report', deviceId, siteId: device.siteId, createdAt: this.o.clock.now() });
    this.kick();
  }

  /** Drill alarms of the types this channel carries go out as test reports (and keep their timeline). */
  carriesAsTest(alarm: Alarm): boolean {
    return alarm.drill && this.o.link.types.includes(alarm.type) && alarm.deviceId !== undefined;
  }

  pending(): Promise<OutboxEntry[]> {
    return this.o.outbox.pending(this.channel);
  }

  private kick(delayMs = 0): void {
    if (this.stopped || this.running) return;
    if (this.timer) this.o.clock.clearTimeout(this.timer);
    this.timer = undefined;
    if (delayMs === 0) {
      // Now, not on the next timer tick: a new alarm's DC-09 frame is written before the work
      // queued behind it gets the event loop.
      this.running = true;
      queueMicrotask(() => {
        this.idle = this.run(() => this.drain());
      });
      return;
    }
    this.timer = this.o.clock.setTimeout(() => {
      this.timer = undefined;
      if (this.stopped || this.running) return;
      this.running = true;
      this.idle = this.run(() => this.drain());
    }, delayMs);
  }

  /** Runs the pump's work with `running` set, then arms the next look (a retry, or the store). */
  private async run(work: () => Promise<number | undefined>): Promise<void> {
    let next: number | undefined;
    try {
      next = await work();
      if (this.storeDown) {
        this.storeDown = false;
        this.o.log.info('outbox reachable again');
      }
    } catch (err) {
      if (!this.storeDown) this.o.log.error({ err: errorMessage(err) }, 'outbox unavailable: retrying');
      this.storeDown = true;
      next = this.o.storeRetryMs ?? 1000;
    } finally {
      this.running = false;
    }
    if (this.again) {
      this.again = false;
      next = 0;
    }
    if (typeof next === 'number') this.kick(next);
  }

  /** Sends what is due, in order; returns how long until the next entry is due (undefined: none). */
  private async drain(): Promise<number | undefined> {
    await this.recordAcked();
    for (;;) {
      if (this.stopped) return undefined;
      const now = this.o.clock.now();
      this.again = false;
      const queue = (await this.pump.pending(this.channel)).filter((e) => !this.ackedUnrecorded.has(e.id));
      const due = queue.find((e) => e.nextAt <= now);
      if (!due) {
        const next = Math.min(...queue.map((e) => e.nextAt));
        if (this.ackedUnrecorded.size > 0) return Math.min(Number.isFinite(next) ? Math.max(10, next - now) : Infinity, this.o.storeRetryMs ?? 1000);
        return Number.isFinite(next) ? Math.max(10, next - now) : undefined;
      }
      await this.attempt(due);
    }
  }

  private outbound(entry: OutboxEntry, alarm: Alarm | undefined): Outbound | undefined {
    const site = this.o.registry.site(entry.siteId);
    if (!site) return undefined;
    const device = entry.deviceId ? this.o.registry.get(entry.deviceId) : undefined;
    return {
      id: entry.id,
      kind: entry.kind,
      site,
      ...(device ? { device } : {}),
      ...(alarm ? { alarm } : {}),
      sequence: entry.sequence,
      attempt: entry.attempts + 1,
    };
  }

  /** One attempt at an entry; `known` is its alarm when the caller holds it (a new raise). */
  private async attempt(entry: OutboxEntry, known?: Alarm): Promise<void> {
    const alarm = known ?? (entry.alarmId ? await this.o.alarms.get(entry.alarmId) : undefined);
    const msg = this.outbound(entry, alarm);
    if (!msg) {
      await this.pump.abandon(entry.id, 'site no longer configured');
      return;
    }
    const attempt = entry.attempts + 1;
    const ctrl = new AbortController();
    this.inflight = ctrl;
    const timeout = this.o.clock.setTimeout(() => ctrl.abort(new Error('attempt timed out')), this.o.link.attemptTimeoutMs);
    // Started now (a throw becomes the attempt's failure below).
    const delivery = (async () => this.o.link.deliver(msg, ctrl.signal))();
    // Committed beside the send, after the link had its turn (a DC-09 frame is written by now
    // when the link was idle): the frame does not wait for the database, not even SQLite's
    // synchronous write. The outcome's note waits for it, so the timeline keeps its order.
    const sent = entry.alarmId && attempt === 1 ? this.note(entry.alarmId, { action: 'forward-sent', by: 'system', data: { channel: this.channel, attempt } }) : undefined;
    let ok = false;
    let detail: string;
    let latencyMs: number | undefined;
    let reference: string | undefined;
    let result: DeliveryResult | undefined;
    try {
      result = await delivery;
      ok = result.ok;
      detail = result.detail ?? '';
      latencyMs = result.latencyMs;
      reference = result.reference;
    } catch (err) {
      detail = (err as Error).message;
    } finally {
      this.o.clock.clearTimeout(timeout);
      this.inflight = undefined;
    }
    await sent;
    const now = this.o.clock.now();
    if (ok) {
      if (entry.alarmId && result?.writtenAt !== undefined) {
        this.o.pressPath?.delivered(entry.alarmId, { writtenAt: result.writtenAt, attempt, ...(result.answeredAt !== undefined ? { answeredAt: result.answeredAt } : {}), ...(reference ? { receiver: reference } : {}) });
      }
      // If this write fails the entry stays queued and is sent again with the same sequence
      // number: the receiver drops the repeat (SIA DC-09 5.5.1.5).
      try {
        await this.pump.markAcked(entry.id);
      } catch (err) {
        if (!isUncommitted(err)) throw err;
        // Delivered all the same: the entries behind it must not wait for the disk.
        this.ackedUnrecorded.add(entry.id);
        this.o.log.warn({ entry: entry.id, err: errorMessage(err) }, 'forwarded, but the acknowledgement could not be recorded yet');
      }
      // The link's own marks (wall-clock ms, µs precision) travel with the note: in cluster mode
      // the node that took the press learns from it when its report was written and answered.
      const marks = result?.writtenAt !== undefined ? { writtenAt: result.writtenAt, ...(result.answeredAt !== undefined ? { answeredAt: result.answeredAt } : {}) } : {};
      const data = { channel: this.channel, attempt, ...(latencyMs !== undefined ? { latencyMs: Math.round(latencyMs * 10) / 10 } : {}), ...(reference ? { receiver: reference } : {}), ...marks };
      if (entry.alarmId) await this.note(entry.alarmId, { action: 'forward-acked', by: 'system', data });
      if (entry.kind === 'test-report' && entry.deviceId) await this.o.onTestAcked?.(entry.deviceId, now, latencyMs ?? 0, reference);
      this.o.log.info({ entry: entry.id, kind: entry.kind, alarmId: entry.alarmId, deviceId: entry.deviceId, latencyMs, reference }, 'forwarded');
      return;
    }
    const backoff = Math.min(this.o.link.backoff.maxMs, this.o.link.backoff.minMs * 2 ** Math.min(attempt - 1, 20));
    // Jitter: a district's worth of queued reports must not hammer a receiver coming back in lockstep.
    const nextAt = now + Math.round(backoff * (0.8 + Math.random() * 0.4));
    await this.pump.markFailed(entry.id, nextAt, detail || 'failed');
    if (entry.alarmId && noteAttempt(attempt)) {
      await this.note(entry.alarmId, { action: 'forward-failed', by: 'system', data: { channel: this.channel, attempt, detail: detail.slice(0, 200), retryInMs: nextAt - now } });
    }
    this.o.log.warn({ entry: entry.id, attempt, detail }, 'forwarding failed; will retry');
  }

  /** Records the acknowledgements the store refused earlier; stops at the first still refused. */
  private async recordAcked(): Promise<void> {
    for (const id of [...this.ackedUnrecorded]) {
      try {
        await this.pump.markAcked(id); // fenced like every delivery write in cluster mode
        this.ackedUnrecorded.delete(id);
      } catch (err) {
        if (!isUncommitted(err)) throw err;
        return;
      }
    }
  }

  /** A timeline note is the alarm's history, not the delivery: one that cannot be written is logged. */
  private async note(alarmId: string, entry: Omit<AlarmEntry, 'at'>): Promise<void> {
    try {
      await this.o.alarms.note(alarmId, entry);
    } catch (err) {
      this.o.log.warn({ err: errorMessage(err), alarmId, action: entry.action }, 'alarm note could not be written');
    }
  }
}
