/**
 * A pool of client worker processes (bench/client-worker.ts), each holding a slice of the
 * devices, driven over IPC with bounded waits.
 */
import type { ChildProcess } from 'node:child_process';
import { setPriority } from 'node:os';
import { fileURLToPath } from 'node:url';
import { BenchError, type BenchContext } from './harness.js';
import { isRunning, sampleProcess, spawnNode, stopProcess } from './processes.js';
import type { WorkerCommand, WorkerMessage } from './worker-protocol.js';

/** The full mqtt.js client (one timer per device) or the lean raw-socket client (lib/lean-load.ts). */
export type ClientKind = 'mqttjs' | 'lean';

const WORKER_SCRIPTS: Record<ClientKind, string> = {
  mqttjs: fileURLToPath(new URL('../client-worker.ts', import.meta.url)),
  lean: fileURLToPath(new URL('../lean-client.ts', import.meta.url)),
};

type MessageOf<T extends WorkerMessage['type']> = Extract<WorkerMessage, { type: T }>;

export class WorkerPool {
  readonly children: ChildProcess[];

  /**
   * `nice`: the workers' scheduling priority (0 to 19, lower priority when higher). Background
   * devices simulated on the gateway's own two cores stand for hardware that, deployed, has CPUs
   * of its own: at a nice level they take the CPU the gateway leaves instead of preempting it.
   */
  constructor(
    private readonly ctx: BenchContext,
    count: number,
    opts: { nice?: number; client?: ClientKind } = {},
  ) {
    this.children = Array.from({ length: count }, () => {
      const child = spawnNode(ctx, { script: WORKER_SCRIPTS[opts.client ?? 'mqttjs'], ipc: true });
      if (opts.nice && child.pid !== undefined) setPriority(child.pid, opts.nice);
      return child;
    });
  }

  get size(): number {
    return this.children.length;
  }

  /** Sends one command per worker and waits for each worker's answer of type `type`. */
  request<T extends WorkerMessage['type']>(
    commands: WorkerCommand[],
    type: T,
    timeoutMs: number,
    onOther?: (index: number, m: WorkerMessage) => void,
  ): Promise<MessageOf<T>[]> {
    return Promise.all(commands.map((cmd, i) => this.requestOne(i, cmd, type, timeoutMs, onOther)));
  }

  /** The same command to every worker. */
  requestAll<T extends WorkerMessage['type']>(cmd: WorkerCommand, type: T, timeoutMs: number): Promise<MessageOf<T>[]> {
    return this.request(
      this.children.map(() => cmd),
      type,
      timeoutMs,
    );
  }

  /** CPU time of each worker (ms; NaN once exited). */
  cpuMsEach(): number[] {
    return this.children.map((c) => (c.pid !== undefined && isRunning(c) ? sampleProcess(c.pid).cpuMs : NaN));
  }

  /** Total CPU time of the workers (ms), for how busy the load generator was. */
  cpuMs(): number {
    let total = 0;
    for (const c of this.children) if (c.pid !== undefined && isRunning(c)) total += sampleProcess(c.pid).cpuMs;
    return total;
  }

  async stop(): Promise<void> {
    await Promise.all(this.children.map((c) => stopProcess(c, 3000)));
  }

  private requestOne<T extends WorkerMessage['type']>(
    index: number,
    cmd: WorkerCommand,
    type: T,
    timeoutMs: number,
    onOther?: (index: number, m: WorkerMessage) => void,
  ): Promise<MessageOf<T>> {
    const child = this.children[index] as ChildProcess;
    const signal = this.ctx.signal;
    return new Promise((resolve, reject) => {
      const finish = (err: Error | undefined, m?: MessageOf<T>) => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
        signal.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve(m as MessageOf<T>);
      };
      const onMessage = (m: WorkerMessage) => {
        if (m.type === type) finish(undefined, m as MessageOf<T>);
        else onOther?.(index, m);
      };
      const onExit = (code: number | null) => finish(new BenchError('BENCH_ERR_WORKER_EXIT', `client worker ${index} exited (${code}) during '${cmd.cmd}'`));
      const onAbort = () => finish(new BenchError('BENCH_ERR_ABORTED', `'${cmd.cmd}' aborted`));
      const timer = setTimeout(() => finish(new BenchError('BENCH_ERR_TIMEOUT', `client worker ${index}: no '${type}' in ${timeoutMs} ms after '${cmd.cmd}'`)), timeoutMs);
      if (signal.aborted) return onAbort();
      if (!isRunning(child)) return onExit(child.exitCode);
      child.on('message', onMessage);
      child.once('exit', onExit);
      signal.addEventListener('abort', onAbort, { once: true });
      child.send(cmd);
    });
  }
}
