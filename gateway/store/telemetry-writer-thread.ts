/**
 * Main-thread handle on the embedded telemetry store's writer thread (telemetry-writer.ts):
 * starts the Worker (store-thread.ts: compiled, or bundled from source), matches its replies to
 * requests, and settles every open request when the thread dies so the store can send the
 * unconfirmed points again to a new one.
 */
import type { Worker } from 'node:worker_threads';
import { spawnStoreThread, type ThreadLoad } from './store-thread.js';
import type { StoredPoint } from './telemetry-points.js';
import { packPoints, type FromWriter, type ToWriter, type WriterInit } from './telemetry-writer-protocol.js';

export type InsertOutcome = { ok: true } | { ok: false; died: boolean; error: string };

interface Pending {
  settle: (r: { ok: true; gone?: number } | { ok: false; died: boolean; error: string }) => void;
}

export class WriterThread {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closing = false;
  private error: string | undefined;
  /** How the thread's code was loaded (tests: from source it is the bundle unless that could not be made). */
  readonly load: ThreadLoad;
  /** True once the thread has opened the database. */
  ready = false;
  /** Exit code once the thread has ended. */
  exitCode: number | undefined;
  /** Settles once the thread has opened the database (true) or died trying (false). */
  readonly started: Promise<boolean>;

  /**
   * `died(code, error)`: the thread ended without being closed (crash, terminate, uncaught error).
   * `compactFailed(error)`: a compaction was rolled back (its points stay in the staging table).
   */
  constructor(init: WriterInit, died: (code: number, error: string | undefined) => void, compactFailed: (error: string) => void = () => {}) {
    let onStart: (ok: boolean) => void = () => {};
    this.started = new Promise((r) => (onStart = r));
    // Held until it is up (start() waits for it), then only while a reply is due.
    ({ worker: this.worker, load: this.load } = spawnStoreThread('telemetry-writer', ['better-sqlite3'], init));
    this.worker.on('message', (m: FromWriter) => {
      if (m.t === 'ready') {
        this.ready = true;
        this.hold();
        onStart(true);
        return;
      }
      if (m.t === 'compactFailed') {
        compactFailed(m.error);
        return;
      }
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      this.hold();
      p.settle(m.t === 'expired' ? { ok: true, gone: m.gone } : m.t === 'failed' ? { ok: false, died: false, error: m.error } : { ok: true });
    });
    this.worker.on('error', (err) => {
      this.error = err instanceof Error ? err.message : String(err);
    });
    this.worker.on('exit', (code) => {
      this.exitCode = code;
      onStart(false);
      const error = this.error ?? `writer thread exited with code ${code}`;
      for (const p of this.pending.values()) p.settle({ ok: false, died: true, error });
      this.pending.clear();
      if (!this.closing) died(code, this.error);
    });
  }

  /** The thread's uncaught error, if it died of one. */
  get lastError(): string | undefined {
    return this.error;
  }

  get alive(): boolean {
    return this.exitCode === undefined;
  }

  /**
   * Commits `points` in one transaction. Parts of one `batch` are committed in the order sent;
   * after one fails, the later ones fail unread. Copying the points to the thread is this
   * thread's work (structured clone, ~2 µs a point): send a batch in parts, yielding in between.
   */
  insert(points: readonly StoredPoint[], batch: number): Promise<InsertOutcome> {
    return new Promise((resolve) => {
      this.request({ t: 'insert', id: this.nextId, batch, points: packPoints(points) }, { settle: (r) => resolve(r.ok ? { ok: true } : r) });
    });
  }

  /** Retention (EmbeddedSql.expire): the number of day tables dropped. */
  expire(day: number, longBefore: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.request({ t: 'expire', id: this.nextId, day, longBefore }, { settle: (r) => (r.ok ? resolve(r.gone ?? 0) : reject(new Error(r.error))) });
    });
  }

  /** Tests and drills: the thread dies right after its next `afterCommits` commits, before reporting them. */
  crash(afterCommits = 0): void {
    this.post({ t: 'crash', afterCommits });
  }

  /** Closes the database and ends the thread (after the requests already sent). */
  async close(): Promise<void> {
    if (!this.alive) return;
    this.closing = true;
    if (!this.ready && this.pending.size === 0) {
      // Still loading, nothing asked of it: no need to wait for it to come up only to close.
      await this.worker.terminate();
      return;
    }
    const exited = new Promise<void>((r) => this.worker.once('exit', () => r()));
    this.hold();
    this.post({ t: 'close' });
    await exited;
  }

  /** Ends the thread at once, as a crash would (tests). */
  async terminate(): Promise<void> {
    await this.worker.terminate();
  }

  private request(m: ToWriter & { id: number }, p: Pending): void {
    if (!this.alive) {
      p.settle({ ok: false, died: true, error: this.error ?? 'writer thread not running' });
      return;
    }
    this.nextId++;
    this.pending.set(m.id, p);
    this.hold();
    this.post(m);
  }

  /** The thread keeps the process alive while starting, closing or owing a reply (a pending flush()), never when idle. */
  private hold(): void {
    if (!this.ready || this.closing || this.pending.size > 0) this.worker.ref();
    else this.worker.unref();
  }

  private post(m: ToWriter): void {
    this.worker.postMessage(m);
  }
}
