/**
 * state.db's WAL checkpoints, in a thread of their own (issue 19, the alarm path).
 *
 * SQLite in WAL mode copies the log back into the database file once it passes
 * `wal_autocheckpoint` pages (1,000 by default), inside whichever commit crosses the line, and
 * fsyncs the file there. better-sqlite3 runs on the event loop, so that commit was now and then
 * an alarm's: with 10,000 devices talking and a press every ~50 ms, the press's own commit
 * (read → decoded → committed in bench press-110) had a p99 of 6-7 ms, 1.1-1.3 ms without the
 * automatic checkpoint.
 *
 * Here a second connection in a worker thread runs `wal_checkpoint(PASSIVE)` every `everyMs`:
 * it copies what no reader still needs without taking a lock a writer waits for, so the event
 * loop's commits only append to the log. The gateway's own connection keeps an automatic
 * checkpoint at FALLBACK_PAGES as a safety net (a log of tens of MB, never unbounded), and goes
 * back to SQLite's default if the thread dies or cannot start.
 *
 * The worker is plain JavaScript evaluated from a string (it needs no TypeScript loader, under
 * `npm start` or the compiled build alike) and loads better-sqlite3 from the path this module
 * resolves.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';

/** What the worker reports after each checkpoint that failed, or when asked (tests, diagnostics). */
export interface CheckpointReport {
  /** Checkpoints run since start. */
  runs: number;
  /** Of them, failed (SQLITE_BUSY, disk full…): the log stays as it is and is tried again. */
  failures: number;
  /** The last run's figures (PRAGMA wal_checkpoint): pages in the log, pages copied back. */
  log: number;
  checkpointed: number;
  lastError?: string;
}

const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.sqlite);
const db = new Database(workerData.file, { fileMustExist: true });
const report = { runs: 0, failures: 0, log: 0, checkpointed: 0 };
const run = () => {
  report.runs++;
  try {
    const row = db.pragma('wal_checkpoint(PASSIVE)')[0] || {};
    report.log = row.log; report.checkpointed = row.checkpointed;
    delete report.lastError;
  } catch (err) {
    report.failures++;
    report.lastError = String(err && err.message || err);
    parentPort.postMessage({ type: 'failed', report });
  }
};
const timer = setInterval(run, workerData.everyMs);
parentPort.on('message', (m) => {
  if (m === 'report') { run(); parentPort.postMessage({ type: 'report', report }); }
  if (m === 'stop') { clearInterval(timer); db.close(); parentPort.close(); }
});
`;

export interface CheckpointerOptions {
  /** Between two checkpoints. */
  everyMs?: number;
  log: Logger;
  /** Sets the gateway connection's `wal_autocheckpoint` (pages; 0 = off). */
  setAutoCheckpoint(pages: number): void;
}

/** The gateway connection's automatic checkpoint while the thread works (~80 MB of log). */
const FALLBACK_PAGES = 20_000;
/** SQLite's own default, used again when the thread is gone. */
const SQLITE_DEFAULT_PAGES = 1000;

export class WalCheckpointer {
  private worker: Worker | undefined;
  private stopping = false;
  private readonly waiters: ((r: CheckpointReport | undefined) => void)[] = [];

  constructor(
    private readonly file: string,
    private readonly opts: CheckpointerOptions,
  ) {}

  start(): void {
    const { log, setAutoCheckpoint } = this.opts;
    let worker: Worker;
    try {
      worker = new Worker(WORKER, { eval: true, workerData: { file: this.file, sqlite: createRequire(import.meta.url).resolve('better-sqlite3'), everyMs: this.opts.everyMs ?? 1000 } });
    } catch (err) {
      log.warn({ err }, 'state.db checkpoint thread could not start: checkpoints stay in the commits');
      return;
    }
    this.worker = worker;
    // Never what keeps the process alive.
    worker.unref();
    setAutoCheckpoint(FALLBACK_PAGES);
    worker.on('message', (m: { type: string; report?: CheckpointReport }) => {
      if (m.type === 'failed' && m.report && (m.report.failures === 1 || m.report.failures % 60 === 0)) {
        log.warn({ failures: m.report.failures, error: m.report.lastError }, 'state.db checkpoint failed: the log is kept and tried again');
      }
      if (m.type === 'report' && m.report) this.waiters.shift()?.(m.report);
    });
    worker.on('error', (err) => log.warn({ err }, 'state.db checkpoint thread failed'));
    worker.on('exit', (code) => {
      this.worker = undefined;
      // Gone before it answered: as without a thread.
      for (const w of this.waiters.splice(0)) w(undefined);
      if (this.stopping) return;
      // Back to SQLite's own checkpoints in the commits.
      setAutoCheckpoint(SQLITE_DEFAULT_PAGES);
      log.warn({ code }, 'state.db checkpoint thread stopped: checkpoints are back in the commits');
    });
  }

  /** Whether the thread runs now. */
  get running(): boolean {
    return this.worker !== undefined;
  }

  /** Runs a checkpoint now and resolves with the thread's figures (undefined without a thread). */
  report(): Promise<CheckpointReport | undefined> {
    const worker = this.worker;
    if (!worker) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      this.waiters.push(resolve);
      worker.postMessage('report');
    });
  }

  /** Ends the thread (before the gateway's connection closes). */
  async stop(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    this.stopping = true;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.postMessage('stop');
    const timer = setTimeout(() => void worker.terminate(), 2000);
    await exited;
    clearTimeout(timer);
  }
}
