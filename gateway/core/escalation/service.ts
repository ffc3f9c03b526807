/**
 * Escalation: an alarm nobody acknowledges goes, step by step, to the people on call (the
 * board sounds again; the supervisor, then the station chief, by radio and SMS), repeats, and
 * then stays on the board as unanswered. Acknowledging stops it.
 *
 * Nothing lives only in memory: what is due is derived from each open alarm's raise time and
 * timeline (schedule.ts), and every step is written to the timeline as `escalated` before the
 * next is considered, so a restarted gateway continues where it was. One timer (the next due
 * step of all open alarms) is armed by start() and released by stop(); in cluster mode the
 * lease holder is the one that calls start(), so one node escalates.
 */
import type { Logger } from 'pino';
import type { Clock, Timer } from '../../contract/clock.js';
import { errorMessage } from '../../contract/errors.js';
import type { Alarm, AlarmEntry } from '../../contract/types.js';
import type { EventBus } from '../bus.js';
import type { AlarmService } from '../alarms/service.js';
import type { EscalationChannel, EscalationConfig, EscalationPolicy } from './config.js';
import { decide, ESCALATED, plan, policyOf, UNANSWERED, type PlannedStep } from './schedule.js';

/** A person an escalation step reaches. */
export interface EscalationTarget {
  name: string;
  /** The on-call role or broadcast group that named them. */
  via: string;
  phone?: string;
  radio?: { talkgroup: string; unit?: string };
}

/** What a step sends over radio and SMS. */
export interface EscalationNotice {
  alarm: Alarm;
  policy: string;
  round: number;
  step: number;
  text: string;
  channels: ('radio' | 'sms')[];
  targets: EscalationTarget[];
}

/** One person on one channel, as the sender left it. */
export interface EscalationReceipt {
  who: string;
  channel: 'radio' | 'sms';
  /** queued, sent, delivered, failed, no-address… (the broadcast recipient's state). */
  receipt: string;
}

/** Sends a notice (gateway/core/escalation/broadcast-sender.ts: through the broadcast service). */
export interface EscalationSender {
  send(n: EscalationNotice): Promise<{ broadcastId?: string; receipts: EscalationReceipt[] }>;
}

export interface EscalationDeps {
  config: EscalationConfig;
  alarms: Pick<AlarmService, 'openAlarms' | 'get' | 'note'>;
  bus: Pick<EventBus, 'on'>;
  clock: Clock;
  log: Logger;
  /** Who an on-call role or broadcast group names at this alarm now ([] when nobody). */
  targets(notify: string, alarm: Alarm): Promise<EscalationTarget[]>;
  sender: EscalationSender;
  audit: { audit(e: { at: number; actor: string; action: string; target: string; detail: Record<string, unknown> }): Promise<unknown> };
  /** Counts steps taken (`escalation.steps`), sends that failed (`escalation.send-failed`) and steps that could not be written (`escalation.failed`). */
  counters?: { inc(name: string): void };
}

/** setTimeout holds at most 2^31−1 ms. */
const MAX_DELAY_MS = 2 ** 31 - 1;
export const ESCALATION_ACTOR = 'escalation';

export class EscalationService {
  private timer: Timer | undefined;
  private timerAt: number | undefined;
  /** Per open alarm with a policy, when its next step is due (see reschedule). */
  private readonly due = new Map<string, number>();
  private offBus: (() => void) | undefined;
  private running = false;
  /** Runs one after another; idle() waits for it. */
  private work: Promise<void> = Promise.resolve();

  constructor(private readonly d: EscalationDeps) {}

  /** Starts escalating: catches up on what fell due while no gateway ran, then follows the clock. */
  start(): void {
    if (this.running || !this.d.config.enabled) return;
    this.running = true;
    // Any change (raise, ack, a step written by us or another node) may move the next due time.
    this.offBus = this.d.bus.on('alarm.changed', 'escalation', ({ alarm }) => this.reschedule(alarm));
    this.kick();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.offBus?.();
    this.offBus = undefined;
    if (this.timer !== undefined) this.d.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = undefined;
    await this.idle();
  }

  /** Resolves once the steps started so far are written. */
  async idle(): Promise<void> {
    for (;;) {
      const w = this.work;
      await w;
      if (w === this.work) return;
    }
  }

  /** When the next step of any open alarm is due (undefined: none is, e.g. every alarm acknowledged). */
  nextDueAt(): number | undefined {
    return this.timerAt;
  }

  /** The policy and plan of an alarm (for the API and the board): undefined when none applies. */
  planFor(alarm: Alarm): { policy: EscalationPolicy; steps: PlannedStep[] } | undefined {
    const policy = policyOf(this.d.config.policies, alarm);
    return policy && { policy, steps: plan(policy, alarm.raisedAt) };
  }

  private kick(): void {
    this.work = this.work.then(() => this.runDue()).catch((err: unknown) => this.d.log.error({ err: errorMessage(err) }, 'escalation run failed'));
  }

  /**
   * Sets the timer to the next due step. `changed`: only that alarm is decided again (each press
   * changes its alarm several times, and deciding every open alarm on each change cost in
   * proportion to the open alarms: 1 % of the event loop with 500 open in press-110); without
   * it, every open alarm is (at start and after each run, which also drops alarms gone quietly).
   */
  private reschedule(changed?: Alarm): void {
    if (!this.running) return;
    if (this.timer !== undefined) this.d.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = undefined;
    const now = this.d.clock.now();
    if (changed) this.track(changed, now);
    else {
      this.due.clear();
      for (const alarm of this.d.alarms.openAlarms()) this.track(alarm, now);
    }
    let next = Number.POSITIVE_INFINITY;
    for (const at of this.due.values()) if (at < next) next = at;
    if (next === Number.POSITIVE_INFINITY) return;
    this.timerAt = next;
    this.timer = this.d.clock.setTimeout(() => {
      this.timer = undefined;
      this.timerAt = undefined;
      this.kick();
    }, Math.min(MAX_DELAY_MS, Math.max(0, next - now)));
  }

  /** When `alarm`'s next step is due (now when one is overdue), or forgotten when none will be. */
  private track(alarm: Alarm, now: number): void {
    const policy = alarm.state === 'resolved' ? undefined : policyOf(this.d.config.policies, alarm);
    const d = policy && decide(alarm, policy, now);
    const at = !d ? undefined : d.fire || d.markUnanswered ? now : d.nextAt;
    if (at === undefined) this.due.delete(alarm.id);
    else this.due.set(alarm.id, at);
  }

  private async runDue(): Promise<void> {
    if (!this.running) return;
    for (const open of this.d.alarms.openAlarms()) {
      if (!this.running) return;
      // Read again: an acknowledgement (here or on another node) stops it before anyone is called.
      const alarm = (await this.d.alarms.get(open.id)) ?? open;
      const policy = policyOf(this.d.config.policies, alarm);
      if (!policy) continue;
      const d = decide(alarm, policy, this.d.clock.now());
      try {
        if (d.fire) await this.runStep(alarm, policy, d.fire, d.skipped.length);
        if (d.markUnanswered) await this.markUnanswered(alarm, policy);
      } catch (err) {
        this.d.counters?.inc('escalation.failed');
        this.d.log.error({ err: errorMessage(err), alarmId: alarm.id, step: d.fire?.step, round: d.fire?.round }, 'escalation step failed');
      }
    }
    this.reschedule();
  }

  private async runStep(alarm: Alarm, policy: EscalationPolicy, p: PlannedStep, skipped: number): Promise<void> {
    const step = policy.steps[p.step - 1];
    if (!step) return;
    const base = { policy: policy.id, round: p.round, step: p.step };
    const entries: Omit<AlarmEntry, 'at'>[] = [];
    const board = step.channels.includes('board');
    if (board) entries.push({ action: ESCALATED, by: ESCALATION_ACTOR, data: { ...base, who: 'board', channel: 'board', receipt: 'shown' } });
    const channels = step.channels.filter((c): c is Exclude<EscalationChannel, 'board'> => c !== 'board');
    const targets: EscalationTarget[] = [];
    for (const n of step.notify) {
      const found = await this.d.targets(n, alarm);
      if (found.length === 0) for (const c of channels) entries.push({ action: ESCALATED, by: ESCALATION_ACTOR, data: { ...base, who: `${n} (nobody on call)`, via: n, channel: c, receipt: 'nobody' } });
      targets.push(...found);
    }
    if (targets.length > 0 && channels.length > 0) {
      const text = this.d.config.text;
      try {
        const sent = await this.d.sender.send({ alarm, policy: policy.id, round: p.round, step: p.step, text, channels, targets });
        for (const r of sent.receipts) {
          const via = targets.find((t) => t.name === r.who)?.via;
          entries.push({ action: ESCALATED, by: ESCALATION_ACTOR, data: { ...base, who: r.who, ...(via ? { via } : {}), channel: r.channel, receipt: r.receipt, ...(sent.broadcastId ? { broadcastId: sent.broadcastId } : {}) } });
        }
      } catch (err) {
        this.d.counters?.inc('escalation.send-failed');
        for (const t of targets) for (const c of channels) entries.push({ action: ESCALATED, by: ESCALATION_ACTOR, note: errorMessage(err), data: { ...base, who: t.name, via: t.via, channel: c, receipt: 'failed' } });
      }
    }
    // A step that reaches no one is still a step taken (the plan moves on).
    if (entries.length === 0) entries.push({ action: ESCALATED, by: ESCALATION_ACTOR, data: { ...base, who: 'nobody', channel: 'none', receipt: 'nobody' } });
    if (skipped > 0) entries[0] = { ...entries[0], note: `${skipped} earlier step(s) fell due while no gateway escalated` } as Omit<AlarmEntry, 'at'>;
    for (const e of entries) await this.d.alarms.note(alarm.id, e);
    const at = this.d.clock.now();
    await this.d.audit.audit({
      at,
      actor: ESCALATION_ACTOR,
      action: 'alarm.escalate',
      target: alarm.id,
      detail: { ...base, drill: alarm.drill, to: entries.map((e) => `${String(e.data?.who)}/${String(e.data?.channel)}/${String(e.data?.receipt)}`) },
    });
    this.d.counters?.inc('escalation.steps');
    this.d.log.warn({ alarmId: alarm.id, ...base, to: entries.length }, 'alarm escalated');
  }

  private async markUnanswered(alarm: Alarm, policy: EscalationPolicy): Promise<void> {
    const rounds = policy.repeat + 1;
    await this.d.alarms.note(alarm.id, { action: UNANSWERED, by: ESCALATION_ACTOR, note: `no acknowledgement after ${rounds} rounds of escalation`, data: { policy: policy.id, rounds } });
    await this.d.audit.audit({ at: this.d.clock.now(), actor: ESCALATION_ACTOR, action: 'alarm.unanswered', target: alarm.id, detail: { policy: policy.id, rounds } });
  }
}
