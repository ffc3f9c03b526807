/**
 * Main-thread handle on the embedded telemetry store's writer thread (telemetry-writer.ts):
 * starts the Worker, matches its replies to requests, and settles every open request when the
 * thread dies so the store can send the unconfirmed points again to a new one.
 *
 * The thread runs the same way the gateway does: compiled, the writer is the .js file next to
 * this one. From source (tsx, vitest, whose transform does not reach a Worker) the writer and
 * what it imports are bundled once per process with esbuild (a development dependency, as tsx
 * is) into node_modules/.cache/campus-gateway/: a thread that registers tsx's loader first costs
 * ~50 MB of RSS (the loader's own hooks thread and transforms), the bundle ~19 MB (measured: the
 * difference was most of the gateway's RSS above bare aedes in `npm run bench -- connections`).
 * Where the bundle cannot be written (a read-only tree), the thread registers tsx as before.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type * as Esbuild from 'esbuild';
import type { StoredPoint } from './telemetry-points.js';
import { packPoints, type FromWriter, type ToWriter, type WriterInit } from './telemetry-writer-protocol.js';

export type InsertOutcome = { ok: true } | { ok: false; died: boolean; error: string };

interface Pending {
  settle: (r: { ok: true; gone?: number } | { ok: false; died: boolean; error: string }) => void;
}

const fromSource = import.meta.url.endsWith('.ts');
const writerUrl = new URL(fromSource ? './telemetry-writer.ts' : './telemetry-writer.js', import.meta.url);

/** From source: the bundled writer's file URL, made at the first thread (null: it could not be made; undefined: not tried yet). */
let sourceBundle: URL | null | undefined;

function bundleFromSource(): URL | undefined {
  if (sourceBundle !== undefined) return sourceBundle ?? undefined;
  sourceBundle = null;
  try {
    const require = createRequire(import.meta.url);
    const esbuild = require('esbuild') as typeof Esbuild;
    const out = esbuild.buildSync({
      entryPoints: [fileURLToPath(writerUrl)],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      // The native addon stays a package import, resolved from the bundle's place in node_modules.
      external: ['better-sqlite3'],
      write: false,
      logLevel: 'silent',
    });
    const code = out.outputFiles[0]?.text;
    if (code === undefined) return undefined;
    // Named by content: every process of one tree shares it, an edited source gets a new one.
    const dir = join(dirname(dirname(require.resolve('esbuild/package.json'))), '.cache', 'campus-gateway');
    const file = join(dir, `telemetry-writer-${createHash('sha256').update(code).digest('hex').slice(0, 16)}.mjs`);
    if (!existsSync(file)) {
      mkdirSync(dir, { recursive: true });
      const part = `${file}.${process.pid}.${Date.now()}`;
      writeFileSync(part, code);
      renameSync(part, file);
    }
    sourceBundle = pathToFileURL(file);
    return sourceBundle;
  } catch {
    return undefined;
  }
}

/** How the writer's code was loaded: the compiled file, the bundle made from source, or source through tsx. */
export type WriterLoad = 'compiled' | 'bundle' | 'tsx';

function spawn(init: WriterInit): { worker: Worker; load: WriterLoad } {
  if (!fromSource) return { worker: new Worker(writerUrl, { workerData: init }), load: 'compiled' };
  const bundle = bundleFromSource();
  if (bundle) return { worker: new Worker(bundle, { workerData: init }), load: 'bundle' };
  // tsx is a development dependency: only looked up when running from source. Its ESM entry
  // (the CommonJS build of tsx/esm/api registers a loader path that does not exist).
  const require = createRequire(import.meta.url);
  const pkg = require('tsx/package.json') as { exports: Record<string, { import: { default: string } }> };
  const tsxApi = new URL(pkg.exports['./esm/api']?.import.default ?? './dist/esm/api/index.mjs', pathToFileURL(require.resolve('tsx/package.json'))).href;
  const boot = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(writerUrl.href)}); });`;
  return { worker: new Worker(boot, { eval: true, workerData: init }), load: 'tsx' };
}

export class WriterThread {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closing = false;
  private error: string | undefined;
  /** How the thread's code was loaded (tests: from source it is the bundle unless that could not be made). */
  readonly load: WriterLoad;
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
    ({ worker: this.worker, load: this.load } = spawn(init));
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
