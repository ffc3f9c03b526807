/**
 * What every engine launcher shares (PostgreSQL, Redis, HAProxy): a supervised child process
 * with the tail of its output and a promise of its exit, free loopback ports, and waiting for
 * a condition instead of sleeping. Used by the test helpers (tests/helpers/*.ts) and by
 * `npm run cluster` (scripts/cluster.ts); nothing here prints.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';

const MAX_OUTPUT = 16_384;

/** Thrown by every launcher: the engine, what went wrong, and the engine's last output. */
export class EngineError extends Error {
  constructor(
    readonly engine: string,
    message: string,
    readonly output = '',
  ) {
    super(`${engine}: ${message}${output ? `\n--- ${engine} output ---\n${output.trimEnd()}` : ''}`);
    this.name = 'EngineError';
  }
}

/**
 * Engines take their ports from outagePort() (simulators/outage-port.ts): outside the system's
 * ephemeral range, so that an engine halted and started again (an outage in a test) finds its
 * port free. Such a port is free when picked, not when the engine binds it: another process may
 * take it in between. Launchers retry with fresh ports this many times on "address in use".
 */
export const BIND_RETRIES = 5;

export const ADDRESS_IN_USE = /address already in use|cannot bind socket|could not bind|could not create any TCP\/IP sockets/i;

/**
 * Polls `check` until it answers true; stops early when `gone()` says the process died.
 * Returns 'ready', 'gone' or 'timeout'.
 */
export async function waitUntil(
  check: () => Promise<boolean>,
  opts: { timeoutMs: number; intervalMs?: number; gone?: () => boolean },
): Promise<'ready' | 'gone' | 'timeout'> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    if (opts.gone?.()) return 'gone';
    if (await check()) return 'ready';
    if (opts.gone?.()) return 'gone';
    if (Date.now() >= deadline) return 'timeout';
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 50));
  }
}

/** uid/gid of a system account (getent would need a child process; /etc/passwd is enough here). */
export function systemAccount(name: string): { uid: number; gid: number } {
  for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
    const [user, , uid, gid] = line.split(':');
    if (user === name && uid !== undefined && gid !== undefined) return { uid: Number(uid), gid: Number(gid) };
  }
  throw new EngineError('engines', `no system account '${name}' (needed to run an engine that refuses root)`);
}

export const isRoot = (): boolean => process.getuid?.() === 0;

/**
 * One child process: output kept (last 16 KiB, stdout and stderr interleaved), exit awaited.
 * A launcher makes a new one for every (re)start.
 */
export class EngineProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
  private out = '';

  /**
   * `detached` (SpawnOptions): the process leads its own process group, so a Ctrl-C meant for
   * `npm run cluster` does not reach it before the script stops things in order, and a last-resort
   * SIGKILL takes its children (PostgreSQL's backends) with it.
   */
  constructor(
    readonly name: string,
    command: string,
    args: string[],
    private readonly opts: SpawnOptions = {},
  ) {
    const child = spawn(command, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.exited = new Promise((resolve) => {
      child.once('exit', () => resolve());
      // spawn failures (ENOENT, EACCES) end here without an 'exit'.
      child.once('error', (err) => {
        this.out += `\n${err.message}`;
        resolve();
      });
    });
    const collect = (b: Buffer): void => {
      this.out = (this.out + b.toString()).slice(-MAX_OUTPUT);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.pid !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  output(): string {
    return this.out;
  }

  signal(sig: NodeJS.Signals): void {
    if (this.running) this.child.kill(sig);
  }

  /**
   * SIGKILL, to the whole process group when detached; otherwise to the process and its own
   * children first. A PostgreSQL whose postmaster alone was killed left its backends answering
   * queries on open connections: a lease test kept renewing through a "halted" server for 20 s
   * after a fast shutdown outlasted its grace on a loaded machine.
   */
  killAll(): void {
    const pid = this.child.pid;
    if (pid === undefined) return;
    if (!this.opts.detached) for (const child of childrenOf(pid)) kill(child);
    kill(this.opts.detached ? -pid : pid);
  }

  /**
   * Sends `sig` (after SIGCONT, in case it was paused) and waits for the exit; SIGKILL after
   * `graceMs`. Resolves once the process is gone.
   */
  async stop(sig: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<void> {
    if (!this.running) return this.exited;
    this.child.kill('SIGCONT');
    this.child.kill(sig);
    const timer = setTimeout(() => this.killAll(), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

function kill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/**
 * The fields of /proc/<pid>/stat after the command name, from the state on (index 0 state,
 * 1 ppid, 11 utime, 12 stime); undefined when the process is gone or there is no /proc. The name
 * may hold spaces and parentheses, so the fields start after the last ')'.
 */
export function procStat(pid: number | 'self'): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** The processes whose parent is `pid` (Linux /proc; none where there is no /proc). */
export function childrenOf(pid: number): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const e of entries) {
    if (/^\d+$/.test(e) && Number(procStat(Number(e))?.[1]) === pid) out.push(Number(e));
  }
  return out;
}

/** Is anything accepting TCP connections on host:port? */
export function canConnect(port: number, host = '127.0.0.1', timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
