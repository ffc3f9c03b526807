/**
 * Child processes for benchmarks: started with the open-files soft limit raised to the hard
 * limit, tracked so they never outlive a run, and measured from /proc (Linux) so a process's
 * RSS and CPU time are read from outside, with nothing added to the process itself.
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { procStat } from '../../scripts/lib/engine-process.js';
import { BenchError, type BenchContext } from './harness.js';

/** Linux USER_HZ: /proc/<pid>/stat counts CPU time in these ticks (100 on every mainstream kernel). */
const CLOCK_TICKS_PER_SECOND = 100;

export interface SpawnNodeOptions {
  /** Script run through tsx (`node --import tsx script`), or plain JavaScript with `tsx: false`. */
  script: string;
  tsx?: boolean;
  args?: string[];
  /** Extra node flags, e.g. `--expose-gc`. */
  nodeFlags?: string[];
  env?: Record<string, string>;
  /** Adds an IPC channel (process.send / 'message'), as fork() would. */
  ipc?: boolean;
  /** stdout piped for reading (ready lines); otherwise ignored. stderr is inherited. */
  pipeStdout?: boolean;
  /** stdin piped for control commands. */
  pipeStdin?: boolean;
}

/**
 * `sh -c 'ulimit -n <hard>; exec node …'`: node cannot raise its own RLIMIT_NOFILE and a
 * broker holding 19,000 sockets needs more than the usual 1,024 soft limit. `exec` keeps the
 * PID, so child.pid is node's PID and /proc/<pid> measures node itself.
 */
export function spawnNode(ctx: BenchContext, opts: SpawnNodeOptions): ChildProcess {
  const stdio: StdioOptions = [opts.pipeStdin ? 'pipe' : 'ignore', opts.pipeStdout ? 'pipe' : 'ignore', 'inherit'];
  if (opts.ipc) stdio.push('ipc');
  const argv = [...(opts.nodeFlags ?? []), ...(opts.tsx === false ? [] : ['--import', 'tsx']), opts.script, ...(opts.args ?? [])];
  const child = spawn('/bin/sh', ['-c', 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" "$@"', process.execPath, ...argv], {
    cwd: ctx.root,
    env: { ...process.env, ...opts.env },
    stdio,
  });
  ctx.track(child);
  return child;
}

export function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** SIGTERM, then SIGKILL after graceMs: bounded whatever the child does. */
export async function stopProcess(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (!isRunning(child)) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

export interface ProcSample {
  at: number;
  rssBytes: number;
  /** Peak RSS so far (VmHWM). */
  hwmBytes: number;
  /** RSS split: anonymous memory (heaps, malloc) and file-backed pages (node binary, addons). */
  rssAnonBytes: number;
  rssFileBytes: number;
  /** User + system CPU time since the process started. */
  cpuMs: number;
  /** Open file descriptors (sockets included). */
  fds: number;
}

/** Reads RSS, peak RSS and CPU time of a process from /proc. */
export function sampleProcess(pid: number): ProcSample {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  // utime and stime (fields 14 and 15 of /proc/<pid>/stat).
  const rest = procStat(pid);
  if (!rest) throw new Error(`process ${pid} is gone`);
  const ticks = Number(rest[11]) + Number(rest[12]);
  let fds = NaN;
  try {
    fds = readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    // not readable (another user's process): the count is only informative
  }
  return {
    at: Date.now(),
    rssBytes: kb('VmRSS'),
    hwmBytes: kb('VmHWM'),
    rssAnonBytes: kb('RssAnon'),
    rssFileBytes: kb('RssFile'),
    cpuMs: (ticks * 1000) / CLOCK_TICKS_PER_SECOND,
    fds,
  };
}

export const MB = 1024 * 1024;

/**
 * The JSON lines a child writes on stdout (control answers and pino log lines), read by one
 * reader for the child's whole life so no line is lost between two waits. Lines that are not
 * JSON are ignored; pino lines at warn and above are kept for the report.
 */
export class JsonLines {
  private readonly waiters = new Set<(line: Record<string, unknown>) => void>();
  readonly warnings: Record<string, unknown>[] = [];
  warningCount = 0;

  constructor(private readonly child: ChildProcess) {
    const stdout = child.stdout;
    if (!stdout) throw new BenchError('BENCH_ERR_NO_STDOUT', 'stdout not piped');
    createInterface({ input: stdout }).on('line', (text) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        return;
      }
      if (typeof parsed !== 'object' || parsed === null) return;
      const line = parsed as Record<string, unknown>;
      // pino: 40 = warn, 50 = error, 60 = fatal
      if (typeof line.level === 'number' && line.level >= 40) {
        this.warningCount++;
        if (this.warnings.length < 20) this.warnings.push(line);
      }
      for (const w of [...this.waiters]) w(line);
    });
  }

  /** Resolves with the first line `accept` returns a value for; rejects on timeout, exit or abort. */
  next<T>(accept: (line: Record<string, unknown>) => T | undefined, timeoutMs: number, signal: AbortSignal, what: string): Promise<T> {
    const child = this.child;
    return new Promise<T>((resolve, reject) => {
      const finish = (err: Error | undefined, value?: T) => {
        clearTimeout(timer);
        this.waiters.delete(onLine);
        child.off('exit', onExit);
        signal.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve(value as T);
      };
      const onLine = (line: Record<string, unknown>) => {
        const v = accept(line);
        if (v !== undefined) finish(undefined, v);
      };
      const timer = setTimeout(() => finish(new BenchError('BENCH_ERR_TIMEOUT', `${what}: no answer in ${timeoutMs} ms`)), timeoutMs);
      const onExit = (code: number | null, sig: string | null) => finish(new BenchError('BENCH_ERR_CHILD_EXIT', `${what}: process exited (${code ?? sig})`));
      const onAbort = () => finish(new BenchError('BENCH_ERR_ABORTED', `${what}: aborted`));
      if (signal.aborted) return onAbort();
      if (!isRunning(child)) return onExit(child.exitCode, child.signalCode);
      this.waiters.add(onLine);
      child.once('exit', onExit);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}

/** Resolves after ms, or rejects at once when the run is aborted. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new BenchError('BENCH_ERR_ABORTED', 'aborted'));
    const onAbort = () => {
      clearTimeout(t);
      reject(new BenchError('BENCH_ERR_ABORTED', 'aborted'));
    };
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
