/**
 * The control line protocol of a broker process under benchmark (the gateway, bare aedes):
 * one JSON line `{"bench":"ready",…}` on stdout once listening, then commands on stdin, one
 * per line, each answered by one JSON line:
 *   mem            → {"bench":"mem", rss, heapTotal, heapUsed, external, arrayBuffers, spaces}
 *   mem-gc         → the same after a full GC (needs node --expose-gc)
 *   snapshot PATH  → {"bench":"snapshot", path} after v8.writeHeapSnapshot(PATH)
 * The process stops on SIGTERM/SIGINT and when stdin closes (the benchmark runner is gone).
 */
import { createInterface } from 'node:readline';
import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8';

export interface MemoryReport {
  bench: 'mem';
  gc: boolean;
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  /** V8 heap space → bytes used. */
  spaces: Record<string, number>;
  /** V8 heap space → bytes committed (what RSS pays for it). */
  spacesCommitted: Record<string, number>;
}

export function isMemoryReport(line: Record<string, unknown>): line is Record<string, unknown> & MemoryReport {
  return line.bench === 'mem' && typeof line.rss === 'number';
}

export function memoryReport(gc: boolean): MemoryReport {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (gc && collect) collect();
  const m = process.memoryUsage();
  const spaces: Record<string, number> = {};
  const spacesCommitted: Record<string, number> = {};
  for (const s of getHeapSpaceStatistics()) {
    spaces[s.space_name] = s.space_used_size;
    spacesCommitted[s.space_name] = s.physical_space_size;
  }
  return { bench: 'mem', gc: gc && collect !== undefined, rss: m.rss, heapTotal: m.heapTotal, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers, spaces, spacesCommitted };
}

export interface ControlOptions {
  ready: Record<string, number | string>;
  /** Releases the broker; bounded by the caller's 10 s exit timer. */
  close(): Promise<void>;
}

export function serveControl(opts: ControlOptions): void {
  const write = (obj: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(obj)}\n`);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => process.exit(1), 10_000).unref();
    opts.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  const rl = createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    const [cmd, arg] = line.trim().split(/\s+/, 2);
    if (cmd === 'mem' || cmd === 'mem-gc') write({ ...memoryReport(cmd === 'mem-gc') });
    else if (cmd === 'snapshot' && arg) write({ bench: 'snapshot', path: writeHeapSnapshot(arg) });
    else write({ bench: 'error', message: `unknown command '${line}'` });
  });
  rl.on('close', stop);
  write({ bench: 'ready', pid: process.pid, ...opts.ready });
}
