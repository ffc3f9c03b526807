/**
 * Send window, throttling and retries for submit_sm parts. No sockets: `submit` is injected,
 * so the policy is tested with fake time and a fake SMSC.
 *
 * - Window: at most `window` submits await their submit_sm_resp at once (SMPP 3.4 §2.7
 *   allows asynchronous submits; the SMSC's own window is the limit we must not exceed).
 * - Backpressure (ESME_RTHROTTLED, ESME_RMSGQFUL): the part goes back to the head of the
 *   queue, submitting pauses with exponential backoff, and the window halves, then grows by
 *   one per accepted part (AIMD), so a throttled link is slowed rather than hammered.
 *   These never count as attempts: nothing is dropped because the SMSC asked us to wait.
 * - Never a double send: a part is resubmitted only when the SMSC certainly did not accept
 *   it: a non-zero command_status (SMPP 3.4 §4.4.2: no message_id then) that is transient,
 *   or no submit_sm_resp at all (link lost, response timer). Once a message_id came back
 *   the part is done, whatever happens later.
 */
import type { Clock, Timer } from '../../gateway/contract/clock.js';
import type { FailureReason } from './receipt-codec.js';
import { BACKPRESSURE_STATUSES, RETRYABLE_STATUSES, statusName } from './smpp-constants.js';

export interface PartSpec {
  ref: string;
  recipient: string;
  /** 1-based part number and part count of the concatenated message. */
  index: number;
  total: number;
  dataCoding: number;
  esmClass: number;
  shortMessage: Buffer;
}

export interface PartJob extends PartSpec {
  seq: number;
  /** Submissions that got no answer or a transient error. */
  attempts: number;
  enqueuedAt: number;
  notBefore: number;
}

export type SubmitOutcome =
  | { kind: 'accepted'; messageId: string }
  | { kind: 'status'; status: number }
  | { kind: 'lost'; detail: string };

export interface SchedulerDeps {
  clock: Clock;
  submit(job: PartJob): Promise<SubmitOutcome>;
  onAccepted(job: PartJob, messageId: string): void;
  onGaveUp(job: PartJob, reason: FailureReason, detail: string): void;
  onThrottle(active: boolean, detail: string): void;
}

export interface SchedulerOptions {
  window: number;
  maxAttempts: number;
  retryBackoffMs: number;
  throttleBackoffMs: number;
  throttleBackoffMaxMs: number;
  /** A part still unsubmitted this long after enqueue is given up (NOT_SENT). */
  maxQueueMs: number;
}

export interface SchedulerStats {
  queued: number;
  inFlight: number;
  window: number;
  throttled: boolean;
}

export class SubmitScheduler {
  private queue: PartJob[] = [];
  private inFlight = 0;
  private ready = false;
  private stopped = false;
  private throttled = false;
  private throttleStreak = 0;
  private pausedUntil = 0;
  private nextSeq = 0;
  private window: number;
  private timer: Timer | undefined;
  private timerAt = Infinity;

  constructor(
    private readonly deps: SchedulerDeps,
    private readonly opts: SchedulerOptions,
  ) {
    this.window = opts.window;
  }

  stats(): SchedulerStats {
    return { queued: this.queue.length, inFlight: this.inFlight, window: this.window, throttled: this.throttled };
  }

  enqueue(parts: PartSpec[]): void {
    const now = this.deps.clock.now();
    for (const p of parts) this.queue.push({ ...p, seq: this.nextSeq++, attempts: 0, enqueuedAt: now, notBefore: now });
    this.pump();
  }

  /** Removes unsubmitted parts matching `pred` (parts in flight are not recalled). */
  cancel(pred: (job: PartJob) => boolean): PartJob[] {
    const removed = this.queue.filter(pred);
    if (removed.length > 0) this.queue = this.queue.filter((j) => !pred(j));
    return removed;
  }

  /** The link is bound (true) or not; submitting only happens while bound. */
  setReady(ready: boolean): void {
    this.ready = ready;
    if (ready) this.pump();
  }

  /** Gives up parts that waited longer than maxQueueMs (called from the adapter's housekeeping). */
  expire(): void {
    const cutoff = this.deps.clock.now() - this.opts.maxQueueMs;
    const old = this.cancel((j) => j.enqueuedAt < cutoff);
    for (const j of old) this.deps.onGaveUp(j, 'NOT_SENT', `not submitted within ${this.opts.maxQueueMs} ms`);
  }

  stop(): void {
    this.stopped = true;
    this.clearTimer();
  }

  private clearTimer(): void {
    if (this.timer !== undefined) this.deps.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
  }

  private wakeAt(at: number): void {
    if (this.timer !== undefined && this.timerAt <= at) return;
    this.clearTimer();
    this.timerAt = at;
    this.timer = this.deps.clock.setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Infinity;
      this.pump();
    }, Math.max(0, at - this.deps.clock.now()));
  }

  private pump(): void {
    if (this.stopped || !this.ready) return;
    const now = this.deps.clock.now();
    if (now < this.pausedUntil) {
      this.wakeAt(this.pausedUntil);
      return;
    }
    while (this.inFlight < this.window) {
      const i = this.queue.findIndex((j) => j.notBefore <= now);
      if (i < 0) {
        if (this.queue.length > 0) this.wakeAt(Math.min(...this.queue.map((j) => j.notBefore)));
        return;
      }
      const [job] = this.queue.splice(i, 1);
      if (!job) return;
      this.inFlight++;
      void this.run(job);
    }
  }

  /** Back into the queue in original order, so parts keep their FIFO position. */
  private requeue(job: PartJob): void {
    const i = this.queue.findIndex((j) => j.seq > job.seq);
    if (i < 0) this.queue.push(job);
    else this.queue.splice(i, 0, job);
  }

  private async run(job: PartJob): Promise<void> {
    let outcome: SubmitOutcome;
    try {
      outcome = await this.deps.submit(job);
    } catch (err) {
      outcome = { kind: 'lost', detail: err instanceof Error ? err.message : String(err) };
    }
    this.inFlight--;
    const now = this.deps.clock.now();
    if (outcome.kind === 'accepted') {
      // Reported even after stop(): the SMSC has the message, the tracker must know its id.
      this.throttleStreak = 0;
      this.window = Math.min(this.opts.window, this.window + 1);
      if (this.throttled && now >= this.pausedUntil) {
        this.throttled = false;
        this.deps.onThrottle(false, 'submits accepted again');
      }
      this.deps.onAccepted(job, outcome.messageId);
    } else if (outcome.kind === 'status' && BACKPRESSURE_STATUSES.has(outcome.status)) {
      this.throttleStreak++;
      this.window = Math.max(1, Math.floor(this.window / 2));
      const backoff = Math.min(this.opts.throttleBackoffMaxMs, this.opts.throttleBackoffMs * 2 ** (this.throttleStreak - 1));
      this.pausedUntil = Math.max(this.pausedUntil, now + backoff);
      this.requeue(job);
      if (!this.throttled) {
        this.throttled = true;
        this.deps.onThrottle(true, `${statusName(outcome.status)}: pausing ${backoff} ms`);
      }
    } else if (outcome.kind === 'status' && RETRYABLE_STATUSES.has(outcome.status)) {
      this.retryOrGiveUp(job, now, 'SUBMIT_REJECTED', statusName(outcome.status));
    } else if (outcome.kind === 'status') {
      this.deps.onGaveUp(job, 'SUBMIT_REJECTED', statusName(outcome.status));
    } else {
      this.retryOrGiveUp(job, now, 'NOT_SENT', `no submit_sm_resp: ${outcome.detail}`);
    }
    this.pump();
  }

  private retryOrGiveUp(job: PartJob, now: number, reason: FailureReason, detail: string): void {
    job.attempts++;
    if (job.attempts >= this.opts.maxAttempts) {
      this.deps.onGaveUp(job, reason, `${detail} (after ${job.attempts} attempts)`);
      return;
    }
    job.notBefore = now + this.opts.retryBackoffMs * 2 ** (job.attempts - 1);
    this.requeue(job);
  }
}
