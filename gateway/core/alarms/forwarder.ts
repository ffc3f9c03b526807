/**
 * Forwards alarms and end-to-end test reports to a far end (the 110 alarm centre) over a
 * forwarding link (an adapter's `forwarding()` capability), from the durable outbox: in order
 * (alarms before tests), one at a time, retrying with backoff until acknowledged, and never
 * again once it is. Every step lands on the alarm's timeline.
 *
 * A new alarm it carries is queued as the alarm is committed (onRaise: the outbox entry and
 * the alarm in one transaction, before the device is acknowledged), and the first attempt
 * starts as the raise is announced, before the bus's listeners (its broadcast) get their turn.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { DeviceRegistry } from '../../contract/adapter.js';
import type { DeliveryResult, ForwardingLink, Outbound } from '../../contract/capabilities.js';
import type { Clock, Timer } from '../../contract/clock.js';
import type { Alarm, AlarmEntry } from '../../contract/types.js';
import type { Outbox, OutboxEntry } from './outbox.js';
import type { AlarmService, RaiseParticipant } from './service.js';

export interface ForwarderOptions {
  link: ForwardingLink;
  outbox: Outbox;
  alarms: Pick<AlarmService, 'get' | 'note' | 'openAlarms'>;
  registry: Pick<DeviceRegistry, 'get' | 'site'>;
  clock: Clock;
  log: Logger;
  /** Called when an end-to-end test report was acknowledged. */
  onTestAcked?(deviceId: string, at: number, latencyMs: number, reference?: string): void;
}

/** Timeline entries for failed attempts are kept for the first few, then every tenth. */
const noteAttempt = (n: number) => n <= 5 || n % 10 === 0;

export class Forwarder implements RaiseParticipant {
  private timer?: Timer;
  private running = false;
  private stopped = true;
  private inflight?: AbortController;
  private idle?: Promise<void>;

  constructor(private readonly o: ForwarderOptions) {}

  get channel(): string {
    return this.o.link.channel;
  }

  start(): void {
    this.stopped = false;
    // After a crash an alarm may be committed without its outbox entry: queue it now.
    for (const alarm of this.o.alarms.openAlarms()) {
      if (this.carries(alarm) && !this.o.outbox.hasAlarm(this.channel, alarm.id)) this.enqueueAlarm(alarm);
    }
    this.kick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) this.o.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.inflight?.abort();
    await this.idle;
  }

  carries(alarm: Alarm): boolean {
    return !alarm.drill && this.o.link.types.includes(alarm.type);
  }

  /**
   * Part of committing a new alarm (AlarmService.raise): queues what this link carries, an
   * alarm report or, for a drill, a test report, in the raise's transaction, and returns the
   * timeline entry that says so. The first attempt starts when the raise is announced (start()).
   */
  onRaise(alarm: Alarm): Omit<AlarmEntry, 'at'>[] {
    const asTest = this.carriesAsTest(alarm);
    if (!this.carries(alarm) && !asTest) return [];
    if (this.o.outbox.hasAlarm(this.channel, alarm.id)) return [];
    const entry = this.o.outbox.enqueue({
      id: randomUUID(),
      channel: this.channel,
      kind: asTest ? 'test-report' : 'alarm-report',
      alarmId: alarm.id,
      ...(alarm.deviceId ? { deviceId: alarm.deviceId } : {}),
      siteId: alarm.siteId,
      createdAt: this.o.clock.now(),
    });
    return [{ action: 'forward-queued', by: 'system', data: { channel: this.channel, sequence: entry.sequence, ...(asTest ? { as: 'test-report' } : {}) } }];
  }

  /**
   * The raise was committed and is being announced: the first attempt starts now (its
   * forward-sent note reaches the bus right after the raise), ahead of the bus's listeners.
   * The frame itself is written by the link's transmitter in a later microtask, as before.
   */
  onRaised(alarm: Alarm): void {
    if (this.carries(alarm) || this.carriesAsTest(alarm)) this.sendNow();
  }

  /** Queues an alarm committed without its entry (a crash between the two); a second call is a no-op. */
  enqueueAlarm(alarm: Alarm): void {
    if (this.o.outbox.hasAlarm(this.channel, alarm.id)) return;
    const entry = this.o.outbox.enqueue({
      id: randomUUID(),
      channel: this.channel,
      kind: 'alarm-report',
      alarmId: alarm.id,
      ...(alarm.deviceId ? { deviceId: alarm.deviceId } : {}),
      siteId: alarm.siteId,
      createdAt: this.o.clock.now(),
    });
    this.o.alarms.note(alarm.id, { action: 'forward-queued', by: 'system', data: { channel: this.channel, sequence: entry.sequence } });
    this.kick();
  }

  /** Queues an end-to-end test report for a device (a test press, a self-test). */
  enqueueTest(deviceId: string): void {
    const device = this.o.registry.get(deviceId);
    if (!device) return;
    this.o.outbox.enqueue({ id: randomUUID(), channel: this.channel, kind: 'test-report', deviceId, siteId: device.siteId, createdAt: this.o.clock.now() });
    this.kick();
  }

  /** Drill alarms of the types this channel carries go out as test reports (and keep their timeline). */
  carriesAsTest(alarm: Alarm): boolean {
    return alarm.drill && this.o.link.types.includes(alarm.type) && alarm.deviceId !== undefined;
  }

  pending(): OutboxEntry[] {
    return this.o.outbox.pending(this.channel);
  }

  /** Starts pumping now, in the caller's turn (it runs up to the first await of the attempt). */
  private sendNow(): void {
    if (this.stopped || this.running) return;
    if (this.timer) this.o.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.idle = this.pump();
  }

  private kick(delayMs = 0): void {
    if (this.stopped || this.running) return;
    if (this.timer) this.o.clock.clearTimeout(this.timer);
    this.timer = undefined;
    if (delayMs === 0) {
      // Now, not on the next timer tick: a test report queued by a press leaves in this turn of
      // the event loop, not after the next timer.
      this.running = true;
      queueMicrotask(() => {
        this.running = false;
        this.idle = this.pump();
      });
      return;
    }
    this.timer = this.o.clock.setTimeout(() => {
      this.timer = undefined;
      this.idle = this.pump();
    }, delayMs);
  }

  private async pump(): Promise<void> {
    if (this.running || this.stopped) return;
    this.running = true;
    try {
      for (;;) {
        if (this.stopped) return;
        const now = this.o.clock.now();
        const queue = this.o.outbox.pending(this.channel);
        const due = queue.find((e) => e.nextAt <= now);
        if (!due) {
          const next = Math.min(...queue.map((e) => e.nextAt));
          if (Number.isFinite(next)) {
            this.running = false;
            this.kick(Math.max(10, next - now));
          }
          return;
        }
        await this.attempt(due);
      }
    } finally {
      this.running = false;
    }
  }

  private outbound(entry: OutboxEntry): Outbound | undefined {
    const site = this.o.registry.site(entry.siteId);
    if (!site) return undefined;
    const device = entry.deviceId ? this.o.registry.get(entry.deviceId) : undefined;
    const alarm = entry.alarmId ? this.o.alarms.get(entry.alarmId) : undefined;
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

  private async attempt(entry: OutboxEntry): Promise<void> {
    const msg = this.outbound(entry);
    if (!msg) {
      this.o.outbox.abandon(entry.id, 'site no longer configured');
      return;
    }
    const attempt = entry.attempts + 1;
    if (entry.alarmId && attempt === 1) this.o.alarms.note(entry.alarmId, { action: 'forward-sent', by: 'system', data: { channel: this.channel, attempt } });
    const ctrl = new AbortController();
    this.inflight = ctrl;
    const timeout = this.o.clock.setTimeout(() => ctrl.abort(new Error('attempt timed out')), this.o.link.attemptTimeoutMs);
    let ok = false;
    let detail: string;
    let latencyMs: number | undefined;
    let reference: string | undefined;
    try {
      const result: DeliveryResult = await this.o.link.deliver(msg, ctrl.signal);
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
    const now = this.o.clock.now();
    if (ok) {
      this.o.outbox.markAcked(entry.id);
      const data = { channel: this.channel, attempt, ...(latencyMs !== undefined ? { latencyMs: Math.round(latencyMs * 10) / 10 } : {}), ...(reference ? { receiver: reference } : {}) };
      if (entry.alarmId) this.o.alarms.note(entry.alarmId, { action: 'forward-acked', by: 'system', data });
      if (entry.kind === 'test-report' && entry.deviceId) this.o.onTestAcked?.(entry.deviceId, now, latencyMs ?? 0, reference);
      this.o.log.info({ entry: entry.id, kind: entry.kind, alarmId: entry.alarmId, deviceId: entry.deviceId, latencyMs, reference }, 'forwarded');
      return;
    }
    const backoff = Math.min(this.o.link.backoff.maxMs, this.o.link.backoff.minMs * 2 ** Math.min(attempt - 1, 20));
    // Jitter: a district's worth of queued reports must not hammer a receiver coming back in lockstep.
    const nextAt = now + Math.round(backoff * (0.8 + Math.random() * 0.4));
    this.o.outbox.markFailed(entry.id, nextAt, detail || 'failed');
    if (entry.alarmId && noteAttempt(attempt)) {
      this.o.alarms.note(entry.alarmId, { action: 'forward-failed', by: 'system', data: { channel: this.channel, attempt, detail: detail.slice(0, 200), retryInMs: nextAt - now } });
    }
    this.o.log.warn({ entry: entry.id, attempt, detail }, 'forwarding failed; will retry');
  }
}
