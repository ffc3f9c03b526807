/**
 * Main-thread handle on the InfluxDB store's sender thread (telemetry-influx-sender.ts): starts
 * it (store-thread.ts), sends it write requests and matches its answers. A thread that dies
 * fails every request it owed (the store spools those batches, as for an unreachable server)
 * and the next write starts a new one.
 */
import type { Worker } from 'node:worker_threads';
import { spawnStoreThread, type ThreadLoad } from './store-thread.js';
import type { FromSender, SenderInit, ToSender } from './telemetry-influx-sender-protocol.js';
import type { StoredPoint } from './telemetry-points.js';
import { packPoints } from './telemetry-writer-protocol.js';

/** How a write went: `status` is InfluxDB's HTTP answer when it gave one (400: points it refuses), absent when the request did not reach it or the thread died. */
export type SendOutcome = { ok: true } | { ok: false; status?: number; error: string };

interface Live {
  worker: Worker;
  load: ThreadLoad;
  pending: Map<number, (outcome: SendOutcome) => void>;
  exited: boolean;
  error?: string;
}

export class InfluxSenderThread {
  private live: Live | undefined;
  private nextId = 1;
  private closed = false;
  /** Threads that died and were replaced. */
  restarts = 0;

  /** `died(error)`: a thread ended without being closed (its requests were failed). */
  constructor(
    private readonly init: SenderInit,
    private readonly died: (error: string) => void = () => {},
  ) {}

  /** Starts the thread now rather than at the first write. */
  start(): void {
    this.thread();
  }

  /** How the running thread's code was loaded (undefined: none running). */
  get load(): ThreadLoad | undefined {
    return this.live && !this.live.exited ? this.live.load : undefined;
  }

  /** Writes `points` into retention policy `rp`; never rejects. */
  write(points: readonly StoredPoint[], rp: string): Promise<SendOutcome> {
    if (this.closed) return Promise.resolve({ ok: false, error: 'InfluxDB sender thread closed' });
    const t = this.thread();
    const id = this.nextId++;
    return new Promise<SendOutcome>((resolve) => {
      t.pending.set(id, resolve);
      t.worker.ref();
      this.post(t, { t: 'write', id, rp, points: packPoints(points) });
    });
  }

  /** Tests and drills: the thread dies at once, its requests unanswered. */
  crash(): void {
    if (this.live && !this.live.exited) this.post(this.live, { t: 'crash' });
  }

  /** Ends the thread; requests still owed fail (the store has spooled their batches before it closes). */
  async close(): Promise<void> {
    this.closed = true;
    const t = this.live;
    if (!t || t.exited) return;
    await t.worker.terminate();
  }

  private thread(): Live {
    if (this.live && !this.live.exited) return this.live;
    if (this.live) this.restarts++;
    const { worker, load } = spawnStoreThread('telemetry-influx-sender', ['influx'], this.init);
    const t: Live = { worker, load, pending: new Map(), exited: false };
    worker.unref();
    worker.on('message', (m: FromSender) => {
      const settle = t.pending.get(m.id);
      if (!settle) return;
      t.pending.delete(m.id);
      if (t.pending.size === 0) worker.unref();
      settle(m.t === 'written' ? { ok: true } : { ok: false, error: m.error, ...(m.status !== undefined ? { status: m.status } : {}) });
    });
    worker.on('error', (err) => {
      t.error = err instanceof Error ? err.message : String(err);
    });
    worker.on('exit', (code) => {
      t.exited = true;
      const error = t.error ?? `InfluxDB sender thread exited with code ${code}`;
      for (const settle of t.pending.values()) settle({ ok: false, error });
      t.pending.clear();
      if (!this.closed) this.died(error);
    });
    this.live = t;
    return t;
  }

  private post(t: Live, m: ToSender): void {
    t.worker.postMessage(m);
  }
}
