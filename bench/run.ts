/**
 * Benchmark runner: `npm run bench -- NAME [--key value…]`, `--list`, `--help [NAME]`.
 * A benchmark is one file, bench/<name>.bench.ts, exporting `benchmark` (lib/harness.ts).
 * Each result is appended as one JSON line to bench/results.jsonl and printed as a table.
 * Every child process a benchmark starts is killed at the end, on Ctrl-C and on exit.
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, readdirSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describeOptions, formatCell, parseOptions, renderTable, type BenchContext, type BenchResult, type Benchmark, type OptionSpecs } from './lib/harness.js';
import { isRunning, stopProcess } from './lib/processes.js';

const BENCH_DIR = fileURLToPath(new URL('.', import.meta.url));
const ROOT = join(BENCH_DIR, '..');
const RESULTS = join(BENCH_DIR, 'results.jsonl');
const SUFFIX = '.bench.ts';

/** Options of the runner itself, taken out before the benchmark's own. */
const RUNNER_HELP = `Usage: npm run bench -- NAME [options]     run benchmark NAME
       npm run bench -- --list                 list benchmarks
       npm run bench -- --help [NAME]          this text, or NAME's options
Runner options:
  --no-save          print the result without appending it to bench/results.jsonl
  --max-seconds <n>  abort the run (and kill its processes) after n seconds (default 3600)`;

function names(): string[] {
  return readdirSync(BENCH_DIR)
    .filter((f) => f.endsWith(SUFFIX))
    .map((f) => f.slice(0, -SUFFIX.length))
    .sort();
}

async function load(name: string): Promise<Benchmark<OptionSpecs>> {
  if (!names().includes(name)) throw new Error(`unknown benchmark '${name}' (have: ${names().join(', ') || 'none'})`);
  const mod = (await import(pathToFileURL(join(BENCH_DIR, `${name}${SUFFIX}`)).href)) as { benchmark?: Benchmark<OptionSpecs> };
  if (!mod.benchmark || typeof mod.benchmark.run !== 'function') throw new Error(`bench/${name}${SUFFIX} does not export 'benchmark'`);
  return mod.benchmark;
}

function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

function machine() {
  return { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', totalmem: totalmem(), node: process.version };
}

function print(name: string, record: Record<string, unknown>, result: BenchResult): void {
  const m = machine();
  console.log(`\n${name} @ ${String(record.commit)}  ${String(record.at)}  ${m.cpus} × ${m.model}, ${(m.totalmem / 2 ** 30).toFixed(0)} GiB, node ${m.node}`);
  console.log(`load average at start / end: ${JSON.stringify(record.load)}\n`);
  if (result.tables?.length) for (const t of result.tables) console.log(`${renderTable(t)}\n`);
  else {
    const rows = Object.entries(result.metrics).map(([k, v]) => [k, formatCell(v)]);
    console.log(`${renderTable({ title: 'metrics', columns: ['metric', 'value'], rows })}\n`);
  }
  for (const t of result.targets ?? []) console.log(`${t.met ? 'met     ' : 'MISSED  '}${t.name}: ${t.detail}`);
  for (const n of result.notes ?? []) console.log(`note: ${n}`);
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (argv.includes('--list')) {
    const width = Math.max(0, ...names().map((n) => n.length)) + 2;
    for (const name of names()) console.log(`${name.padEnd(width)}${(await load(name)).description}`);
    return 0;
  }
  const known = names();
  const nameAt = Math.max(argv.findIndex((a) => known.includes(a)), argv.findIndex((a) => !a.startsWith('-')));
  const name = nameAt >= 0 ? argv[nameAt] : undefined;
  if (argv.includes('--help') || argv.includes('-h') || !name) {
    console.log(RUNNER_HELP);
    if (name) console.log(`\n${name}: ${(await load(name)).description}\n${describeOptions((await load(name)).options)}`);
    else console.log(`\nBenchmarks: ${names().join(', ')}`);
    return name || argv.includes('--help') || argv.includes('-h') ? 0 : 2;
  }
  let rest = argv.filter((_a, i) => i !== nameAt);
  const save = !rest.includes('--no-save');
  rest = rest.filter((a) => a !== '--no-save');
  let maxSeconds = 3600;
  const mi = rest.indexOf('--max-seconds');
  if (mi >= 0) {
    maxSeconds = Number(rest[mi + 1]);
    if (!(maxSeconds > 0)) throw new Error('--max-seconds needs a positive number');
    rest.splice(mi, 2);
  }

  const bench = await load(name);
  const params = parseOptions(bench.options, rest);
  const children = new Set<ChildProcess>();
  const cleanups: (() => Promise<void> | void)[] = [];
  const abort = new AbortController();
  const ctx: BenchContext = {
    log: (msg) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${msg}\n`),
    signal: abort.signal,
    defer: (fn) => cleanups.push(fn),
    track: (child) => {
      children.add(child);
      child.once('exit', () => children.delete(child));
    },
    root: ROOT,
  };
  // Last resort: nothing survives the runner, whatever path it exits by.
  process.on('exit', () => {
    for (const c of children) if (isRunning(c)) c.kill('SIGKILL');
  });
  let firstSignalAt = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    if (firstSignalAt) {
      // Ctrl-C reaches npm, tsx and node alike and tsx relays it too: a duplicate within a
      // moment is the same request; a later one means "now" (the exit hook kills the children).
      if (Date.now() - firstSignalAt > 2000) process.exit(130);
      return;
    }
    firstSignalAt = Date.now();
    ctx.log(`${sig}: stopping the benchmark and its processes`);
    abort.abort(new Error(sig));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const deadline = setTimeout(() => {
    ctx.log(`--max-seconds ${maxSeconds} reached: aborting`);
    abort.abort(new Error('max-seconds'));
  }, maxSeconds * 1000);

  const at = new Date();
  const loadStart = loadavg().map((l) => Math.round(l * 100) / 100);
  let result: BenchResult | undefined;
  let failure: unknown;
  try {
    result = await bench.run(params, ctx);
  } catch (err) {
    failure = err;
  } finally {
    clearTimeout(deadline);
    for (const fn of cleanups.reverse()) {
      try {
        await fn();
      } catch (err) {
        ctx.log(`cleanup failed: ${(err as Error).message}`);
      }
    }
    await Promise.all([...children].map((c) => stopProcess(c, 3000)));
  }
  if (!result) {
    ctx.log(`${name} failed: ${failure instanceof Error ? failure.message : String(failure)}`);
    return abort.signal.aborted ? 130 : 1;
  }
  const record = {
    name,
    at: at.toISOString(),
    commit: gitCommit(),
    machine: machine(),
    load: { start: loadStart, end: loadavg().map((l) => Math.round(l * 100) / 100) },
    durationSeconds: Math.round((Date.now() - at.getTime()) / 1000),
    params,
    metrics: result.metrics,
    targets: result.targets ?? [],
  };
  if (save) appendFileSync(RESULTS, `${JSON.stringify(record)}\n`);
  print(name, record, result);
  if (save) console.log(`\nrecorded in bench/results.jsonl`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  },
);
