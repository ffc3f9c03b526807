/**
 * One broadcast on one radio gateway: send the tx command, wait for a tx-ack per talkgroup,
 * and resend for the talkgroups still silent, with the SAME message id every time. The radio
 * gateway de-duplicates on (id, talkgroup) and answers a repeat with `dup: true` without
 * announcing again, so a retry after a lost ack can never double-announce an incident.
 * A `failed` ack is final (the gateway has decided). Transport-free: `publish` is injected.
 */
import type { Logger } from 'pino';
import type { Clock, Timer } from '../../gateway/contract/clock.js';
import type { TxAck, TxCommand } from './codec.js';

export type TxStatus = 'acked' | 'failed' | 'timeout';

export interface TalkgroupOutcome {
  talkgroup: string;
  status: TxStatus;
  /** From the first send to the ack (or to giving up). */
  latencyMs: number;
  /** Sends of the tx command that included this talkgroup. */
  attempts: number;
  detail?: string;
}

export interface TxJob {
  radioId: string;
  id: string;
  talkgroups: string[];
  text: string;
  speech: string;
  priority: TxCommand['priority'];
  rollCall: boolean;
}

export interface TransmitterDeps {
  clock: Clock;
  log: Logger;
  ackTimeoutMs: number;
  retries: number;
  publish(radioId: string, cmd: TxCommand): Promise<void>;
}

interface InFlight {
  started: number;
  attempt: number;
  remaining: Set<string>;
  outcomes: Map<string, TalkgroupOutcome>;
  wake?: () => void;
}

const keyOf = (radioId: string, id: string) => `${radioId}\u0000${id}`;

export class Transmitter {
  private readonly inFlight = new Map<string, InFlight>();
  /** Same (radio, id) twice at once: the second waits, then finds the gateway's dedup answering. */
  private readonly chains = new Map<string, Promise<unknown>>();
  private stopped = false;

  constructor(private readonly deps: TransmitterDeps) {}

  /** Transmissions awaiting acks now. */
  get pending(): number {
    return this.inFlight.size;
  }

  run(job: TxJob, signal?: AbortSignal): Promise<TalkgroupOutcome[]> {
    const key = keyOf(job.radioId, job.id);
    const previous = this.chains.get(key) ?? Promise.resolve();
    const next = previous.then(() => this.runOnce(key, job, signal));
    const tail = next.catch(() => undefined);
    this.chains.set(key, tail);
    void tail.then(() => {
      if (this.chains.get(key) === tail) this.chains.delete(key);
    });
    return next;
  }

  /** Routes a tx-ack; false when no transmission waits for it (late, or unknown). */
  onAck(radioId: string, ack: TxAck): boolean {
    const f = this.inFlight.get(keyOf(radioId, ack.id));
    if (!f || !f.remaining.has(ack.talkgroup)) return false;
    f.remaining.delete(ack.talkgroup);
    const detail = ack.status === 'ok' ? (ack.dup ? 'already announced (duplicate suppressed by the radio gateway)' : undefined) : (ack.reason ?? 'refused by the radio gateway');
    f.outcomes.set(ack.talkgroup, {
      talkgroup: ack.talkgroup,
      status: ack.status === 'ok' ? 'acked' : 'failed',
      latencyMs: this.deps.clock.now() - f.started,
      attempts: f.attempt,
      ...(detail ? { detail } : {}),
    });
    if (f.remaining.size === 0) f.wake?.();
    return true;
  }

  /** Ends every wait: unacknowledged talkgroups come back as `timeout` (adapter stopping). */
  stop(): void {
    this.stopped = true;
    for (const f of this.inFlight.values()) f.wake?.();
  }

  private async runOnce(key: string, job: TxJob, signal?: AbortSignal): Promise<TalkgroupOutcome[]> {
    const { clock, log, ackTimeoutMs, retries } = this.deps;
    const started = clock.now();
    const f: InFlight = { started, attempt: 0, remaining: new Set(job.talkgroups), outcomes: new Map() };
    this.inFlight.set(key, f);
    // After this the gateway must not announce: every attempt's window has passed.
    const validUntil = started + (retries + 1) * ackTimeoutMs;
    let lastError: string | undefined;
    try {
      while (f.remaining.size > 0 && f.attempt <= retries && !signal?.aborted && !this.stopped) {
        f.attempt++;
        const cmd: TxCommand = {
          op: 'tx',
          id: job.id,
          attempt: f.attempt,
          talkgroups: [...f.remaining],
          text: job.text,
          speech: job.speech,
          priority: job.priority,
          rollCall: job.rollCall,
          validUntil,
          at: clock.now(),
        };
        const waited = this.waitForAcks(f, ackTimeoutMs, signal);
        try {
          await this.deps.publish(job.radioId, cmd);
        } catch (err) {
          // The wait still runs its course: a broker hiccup must not turn retries into a hot loop.
          lastError = (err as Error).message;
          log.warn({ err, radioId: job.radioId, ref: job.id, attempt: f.attempt }, 'tx command publish failed');
        }
        await waited;
        if (f.remaining.size > 0 && f.attempt <= retries) {
          log.warn({ radioId: job.radioId, ref: job.id, attempt: f.attempt, missing: [...f.remaining] }, 'tx-ack missing, retrying with the same id');
        }
      }
    } finally {
      this.inFlight.delete(key);
    }
    const why = signal?.aborted ? 'aborted before tx-ack' : this.stopped ? 'adapter stopped before tx-ack' : `no tx-ack after ${f.attempt} attempt${f.attempt === 1 ? '' : 's'}`;
    for (const tg of f.remaining) {
      f.outcomes.set(tg, {
        talkgroup: tg,
        status: 'timeout',
        latencyMs: clock.now() - started,
        attempts: f.attempt,
        detail: lastError ? `${why} (last publish error: ${lastError})` : why,
      });
    }
    return job.talkgroups.map((tg) => f.outcomes.get(tg) as TalkgroupOutcome);
  }

  /** Resolves when every talkgroup has answered, after `ms`, or on abort/stop. */
  private waitForAcks(f: InFlight, ms: number, signal?: AbortSignal): Promise<void> {
    const { clock } = this.deps;
    return new Promise<void>((resolve) => {
      if (f.remaining.size === 0 || signal?.aborted || this.stopped) return resolve();
      const done = () => {
        clock.clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        f.wake = undefined;
        resolve();
      };
      const timer: Timer = clock.setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
      f.wake = done;
    });
  }
}
