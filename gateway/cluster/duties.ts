/**
 * The singleton duties of a cluster node: what must run once in the district (the 110 DC-09
 * link and its outbox pump, the SMPP bind, the radio box, Modbus polling, camera checks, sweep
 * schedules, link-test monitoring, health-derived alarms). They run only on the node holding the
 * lease `singleton` (gateway/cluster/lease.ts): started in the order added when the lease is
 * acquired, stopped in reverse order at once when it is lost (a refused or late renewal), and
 * given the lease's fencing token so the outbox writes they make are checked by the database.
 *
 * Transitions are serialised: a loss while duties are still starting stops the ones started and
 * starts no more. Without cluster mode nothing here is used: app.ts starts everything as before.
 */
import type { Logger } from 'pino';
import { errorMessage } from '../contract/errors.js';
import type { Lease } from './lease.js';

/** The lease that carries every singleton duty. */
export const SINGLETON_LEASE = 'singleton';

export interface Duty {
  /** Shown in logs and as a role of the node in GET /api/cluster (e.g. 'alarm-centre-dc09'). */
  name: string;
  start(token: number): Promise<void>;
  stop(): Promise<void>;
}

export type DutyListener = (held: boolean, token: number | undefined) => void;

export class SingletonDuties {
  private readonly duties: Duty[] = [];
  private readonly started: Duty[] = [];
  private chain: Promise<void> = Promise.resolve();
  /** Increases on every loss: a start in progress notices it and starts no more. */
  private generation = 0;
  private heldToken?: number;
  private readonly listeners: DutyListener[] = [];

  constructor(private readonly log: Logger) {}

  /** Adds a duty (before the lease is first acquired; later ones start at the next acquisition). */
  add(duty: Duty): void {
    this.duties.push(duty);
  }

  /** True from the moment the lease is held until the moment it is lost (health alarms ask this). */
  active(): boolean {
    return this.heldToken !== undefined;
  }

  token(): number | undefined {
    return this.heldToken;
  }

  /** Names of the duties running now. */
  running(): string[] {
    return this.started.map((d) => d.name);
  }

  onChange(listener: DutyListener): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /** Follows the lease: duties start when it is acquired and stop when it is lost. */
  follow(lease: Lease): () => void {
    return lease.onChange(({ held, token }) => {
      if (held) void this.acquire(token);
      else void this.lose();
    });
  }

  /** The lease was acquired with `token`: start every duty in order. */
  acquire(token: number): Promise<void> {
    const generation = this.generation;
    this.heldToken = token;
    this.notify();
    return this.enqueue(async () => {
      for (const duty of this.duties) {
        // Lost (or re-acquired with another token) while starting: stop here.
        if (this.generation !== generation || this.heldToken !== token) return;
        if (this.started.includes(duty)) continue;
        try {
          await duty.start(token);
          this.started.push(duty);
        } catch (err) {
          // One duty that cannot start (a far end unreachable at start) does not keep the others from running.
          this.log.error({ err: errorMessage(err), duty: duty.name }, 'singleton duty failed to start');
        }
      }
      this.log.info({ token, duties: this.running() }, 'singleton duties running on this node');
      // Listeners (the node registry's heartbeat) hear the duties now running.
      if (this.heldToken === token) this.notify();
    });
  }

  /** The lease was lost or released: stop every running duty, last started first. */
  lose(): Promise<void> {
    this.generation++;
    const was = this.heldToken;
    this.heldToken = undefined;
    if (was !== undefined) this.notify();
    return this.enqueue(async () => {
      const stopping = this.started.splice(0).reverse();
      for (const duty of stopping) {
        await duty.stop().catch((err: unknown) => this.log.error({ err: errorMessage(err), duty: duty.name }, 'singleton duty failed to stop'));
      }
      if (stopping.length > 0) this.log.warn({ token: was, stopped: stopping.map((d) => d.name) }, 'singleton duties stopped on this node');
    });
  }

  /** Waits for the transitions queued so far. */
  settled(): Promise<void> {
    return this.chain;
  }

  private enqueue(work: () => Promise<void>): Promise<void> {
    this.chain = this.chain.then(work, work);
    return this.chain;
  }

  private notify(): void {
    for (const l of [...this.listeners]) {
      try {
        l(this.active(), this.heldToken);
      } catch (err) {
        this.log.error({ err: errorMessage(err) }, 'duty listener failed');
      }
    }
  }
}
