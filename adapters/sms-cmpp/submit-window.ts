/**
 * The sliding window of CMPP_SUBMITs, flow control and retries. No sockets: `submit` is
 * injected, so the policy is tested with fake time and a fake ISMG.
 *
 * - Window (CMPP 2.0 §6.1, 3.0 §7.1: "messages are sent concurrently under sliding-window flow
 *   control, window W configurable, 16 for now: the receiver gets at most 16 messages before it
 *   answers"): at most `window` SUBMITs wait for their SUBMIT_RESP at once.
 * - Flow control (SUBMIT_RESP Result 8, §7.4.3.2 / §8.4.3.2): the part goes back in its place,
 *   submitting pauses (backoff doubling up to a cap) and the window halves, then grows by one per
 *   accepted part (AIMD). It never counts as an attempt: nothing is dropped because the ISMG
 *   asked us to slow down. One congestion episode is one reduction: the Result 8s of SUBMITs
 *   already in flight when it began say nothing new (as TCP reduces once per window), otherwise
 *   a full window of them would stack sixteen doublings onto the pause.
 * - Retries: the spec has the sender resend after T seconds without a response, N times in all
 *   (§6.1 / §7.1, T = 60 s, N = 3). A part is sent again only when the ISMG did not accept it: a
 *   transient Result (3, duplicate sequence: our side's fault) or no SUBMIT_RESP at all (timeout,
 *   link lost). Any other Result fails the recipient at once. Once a Msg_Id came back the part is
 *   done, whatever happens later.
 */
import type { Clock, Timer } from '../../gateway/contract/clock.js';
import { RESULT, resultName } from './cmpp-constants.js';
import type { FailureReason } from './report-stat.js';

export interface PartSpec {
  ref: string;
  recipient: string;
  /** 1-based part number and count. */
  index: number;
  total: number;
  tpUdhi: 0 | 1;
  msgFmt: number;
  content: Buffer;
}

export interface PartJob extends PartSpec {
  seq: number;
  /** Number of the send that put it in flight (the last one, after retries). */
  sendNo: number;
  attempts: number;
  enqueuedAt: number;
  notBefore: number;
}

export type SubmitOutcome = { kind: 'accepted'; msgId: string } | { kind: 'result'; result: number } | { kind: 'lost'; detail: string };

export interface WindowDeps {
  clock: Clock;
  submit(job: PartJob): Promise<SubmitOutcome>;
  onAccepted(job: PartJob, msgId: string): void;
  onGaveUp(job: PartJob, reason: FailureReason, detail: string): void;
  onThrottle(active: boolean, detail: string): void;
}

export interface WindowOptions {
  window: number;
  /** Sends of one part without an answer or with a transient Result before it fails (N). */
  submitTries: number;
  retryBackoffMs: number;
  throttleBackoffMs: number;
  throttleBackoffMaxMs: number;
  /** A part still not sent this long after it was queued is given up (NOT_SENT). */
  maxQueueMs: number;
}

export interface WindowStats {
  queued: number;
  inFlight: number;
  window: number;
  throttled: boolean;
  /** Most SUBMITs ever awaiting their response at once. */
  peakInFlight: number;
}

const TRANSIENT: ReadonlySet<number> = new Set([RESULT.DUPLICATE_SEQUENCE]);

export class SubmitWindow {
  private queue: PartJob[] = [];
  private readonly flying = new Set<PartJob>();
  private inFlight = 0;
  private peak = 0;
  private ready = false;
  private stopped = false;
  private throttled = false;
  private throttleStreak = 0;
  private pausedUntil = 0;
  private nextSeq = 0;
  private sends = 0;
  /** Sends numbered up to this were in flight when the current congestion episode began. */
  private episodeSendNo = 0;
  private window: number;
  private timer: Timer | undefined;
  private timerAt = Infinity;

  constructor(
    private readonly deps: WindowDeps,
    private readonly opts: WindowOptions,
  ) {
    this.window = opts.window;
  }

  stats(): WindowStats {
    return { queued: this.queue.length, inFlight: this.inFlight, window: this.window, throttled: this.throttled, peakInFlight: this.peak };
  }

  enqueue(parts: PartSpec[]): void {
    const now = this.deps.clock.now();
    for (const p of parts) this.queue.push({ ...p, seq: this.nextSeq++, sendNo: 0, attempts: 0, enqueuedAt: now, notBefore: now });
    this.pump();
  }

  /** Removes queued parts matching `pred` (parts in flight are not recalled). */
  cancel(pred: (job: PartJob) => boolean): PartJob[] {
    const removed = this.queue.filter(pred);
    if (removed.length > 0) this.queue = this.queue.filter((j) => !pred(j));
    return removed;
  }

  /** Whether a part of this (ref, recipient) is queued or awaiting its SUBMIT_RESP. */
  holds(ref: string, recipient: string): boolean {
    const mine = (j: PartJob) => j.ref === ref && j.recipient === recipient;
    return this.queue.some(mine) || [...this.flying].some(mine);
  }

  /** The session is up (true) or not; SUBMITs only go out on a connected session. */
  setReady(ready: boolean): void {
    this.ready = ready;
    if (ready) this.pump();
  }

  /** Gives up parts that waited longer than maxQueueMs (called from housekeeping). */
  expire(): void {
    const cutoff = this.deps.clock.now() - this.opts.maxQueueMs;
    for (const j of this.cancel((x) => x.enqueuedAt < cutoff)) this.deps.onGaveUp(j, 'NOT_SENT', `not accepted within ${this.opts.maxQueueMs} ms`);
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
    this.timer = this.deps.clock.setTimeout(
      () => {
        this.timer = undefined;
        this.timerAt = Infinity;
        this.pump();
      },
      Math.max(0, at - this.deps.clock.now()),
    );
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
      job.sendNo = ++this.sends;
      this.flying.add(job);
      this.peak = Math.max(this.peak, this.inFlight);
      void this.run(job);
    }
  }

  /** Back into the queue in its original order, so parts keep their FIFO place. */
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
    this.flying.delete(job);
    const now = this.deps.clock.now();
    if (outcome.kind === 'accepted') {
      // Reported even after stop(): the ISMG has the message, the tracker must keep its Msg_Id.
      this.throttleStreak = 0;
      this.window = Math.min(this.opts.window, this.window + 1);
      if (this.throttled && now >= this.pausedUntil) {
        this.throttled = false;
        this.deps.onThrottle(false, 'SUBMITs accepted again');
      }
      this.deps.onAccepted(job, outcome.msgId);
    } else if (outcome.kind === 'result' && outcome.result === RESULT.FLOW_CONTROL) {
      this.requeue(job);
      if (job.sendNo > this.episodeSendNo) {
        this.episodeSendNo = this.sends;
        this.throttleStreak++;
        this.window = Math.max(1, Math.floor(this.window / 2));
        const backoff = Math.min(this.opts.throttleBackoffMaxMs, this.opts.throttleBackoffMs * 2 ** (this.throttleStreak - 1));
        this.pausedUntil = Math.max(this.pausedUntil, now + backoff);
        if (!this.throttled) {
          this.throttled = true;
          this.deps.onThrottle(true, `${resultName(outcome.result)}: pausing ${backoff} ms, window ${this.window}`);
        }
      }
    } else if (outcome.kind === 'result' && TRANSIENT.has(outcome.result)) {
      this.retryOrGiveUp(job, now, 'SUBMIT_REJECTED', resultName(outcome.result));
    } else if (outcome.kind === 'result') {
      this.deps.onGaveUp(job, 'SUBMIT_REJECTED', resultName(outcome.result));
    } else {
      this.retryOrGiveUp(job, now, 'NOT_SENT', `no CMPP_SUBMIT_RESP: ${outcome.detail}`);
    }
    this.pump();
  }

  private retryOrGiveUp(job: PartJob, now: number, reason: FailureReason, detail: string): void {
    job.attempts++;
    if (job.attempts >= this.opts.submitTries) {
      this.deps.onGaveUp(job, reason, `${detail} (after ${job.attempts} tries)`);
      return;
    }
    job.notBefore = now + this.opts.retryBackoffMs * 2 ** (job.attempts - 1);
    this.requeue(job);
  }
}
