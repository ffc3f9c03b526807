/**
 * The benchmark contract. A benchmark is one file, bench/<name>.bench.ts, exporting
 * `benchmark = defineBenchmark({ description, options, run })`: run.ts finds it by its file
 * name, parses `--key value` against `options`, hands run() typed options and a context,
 * records the result in bench/results.jsonl and prints it.
 */
import type { ChildProcess } from 'node:child_process';

export type OptionValue = number | string | boolean;

export interface OptionSpec<T extends OptionValue = OptionValue> {
  default: T;
  description: string;
  /** For strings: the accepted values. */
  choices?: readonly string[];
  /** For numbers: the smallest accepted value. */
  min?: number;
}

export type OptionSpecs = Record<string, OptionSpec>;

/** `{ devices: { default: 19000 } }` → `{ devices: number }`. */
export type OptionsOf<S extends OptionSpecs> = {
  readonly [K in keyof S]: S[K]['default'] extends number ? number : S[K]['default'] extends boolean ? boolean : string;
};

export type MetricValue = number | string | boolean | null;

export interface Table {
  title: string;
  columns: string[];
  rows: (string | number)[][];
}

/** A goal stated next to the figures, e.g. "gateway RSS / bare aedes RSS ≤ 1.2". */
export interface TargetCheck {
  name: string;
  met: boolean;
  detail: string;
}

export interface BenchResult {
  /** Flat figures, recorded as they are (units in the key: `rssMB`, `connectSeconds`). */
  metrics: Record<string, MetricValue>;
  /** How the figures read best on a terminal (metrics are printed as key/value without it). */
  tables?: Table[];
  targets?: TargetCheck[];
  notes?: string[];
}

export interface BenchContext {
  /** Progress for the person watching (stderr); never part of the result. */
  log(message: string): void;
  /** Aborted on Ctrl-C, SIGTERM or --max-seconds. */
  readonly signal: AbortSignal;
  /** Runs at the end, last registered first, whatever happened (temp dirs, servers). */
  defer(cleanup: () => Promise<void> | void): void;
  /** A child process that must not outlive the run: killed at the end, on Ctrl-C and on exit. */
  track(child: ChildProcess): void;
  /** Repository root (the gateway's working directory). */
  readonly root: string;
}

export interface Benchmark<S extends OptionSpecs> {
  description: string;
  options: S;
  run(options: OptionsOf<S>, ctx: BenchContext): Promise<BenchResult>;
}

/** Identity, for type inference: `options` literals become the typed `run` argument. */
export function defineBenchmark<S extends OptionSpecs>(b: Benchmark<S>): Benchmark<S> {
  return b;
}

export class BenchError extends Error {
  constructor(
    readonly code: `BENCH_ERR_${string}`,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${code}: ${message}`, options);
  }
}

const kebab = (s: string) => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const camel = (s: string) => s.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());

/** `--per-site 20 --retain-status=false --no-subscribe` against the specs; every error names the option. */
export function parseOptions<S extends OptionSpecs>(specs: S, argv: readonly string[]): OptionsOf<S> {
  const out: Record<string, OptionValue> = {};
  for (const [k, spec] of Object.entries(specs)) out[k] = spec.default;
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] as string;
    if (!token.startsWith('--')) throw new BenchError('BENCH_ERR_ARGS', `unexpected argument '${token}'`);
    const [given, inline] = token.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    let name = given;
    let negated = false;
    if (!(camel(name) in specs) && name.startsWith('no-') && camel(name.slice(3)) in specs) {
      negated = true;
      name = name.slice(3);
    }
    const key = camel(name);
    const spec = specs[key];
    if (!spec) throw new BenchError('BENCH_ERR_ARGS', `unknown option --${name} (see --help)`);
    if (typeof spec.default === 'boolean') {
      if (negated) out[key] = false;
      else if (inline !== undefined) out[key] = parseBoolean(name, inline);
      else if (argv[i + 1] === 'true' || argv[i + 1] === 'false') out[key] = parseBoolean(name, argv[++i] as string);
      else out[key] = true;
      continue;
    }
    const raw = inline ?? argv[++i];
    if (raw === undefined) throw new BenchError('BENCH_ERR_ARGS', `--${name} needs a value`);
    if (typeof spec.default === 'number') {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n)) throw new BenchError('BENCH_ERR_ARGS', `--${name}: '${raw}' is not a number`);
      if (spec.min !== undefined && n < spec.min) throw new BenchError('BENCH_ERR_ARGS', `--${name}: ${n} is below ${spec.min}`);
      out[key] = n;
    } else {
      if (spec.choices && !spec.choices.includes(raw)) throw new BenchError('BENCH_ERR_ARGS', `--${name}: '${raw}' is not one of ${spec.choices.join(', ')}`);
      out[key] = raw;
    }
  }
  return out as OptionsOf<S>;
}

function parseBoolean(name: string, raw: string): boolean {
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  throw new BenchError('BENCH_ERR_ARGS', `--${name}: '${raw}' is not true or false`);
}

export function describeOptions(specs: OptionSpecs): string {
  const lines = Object.entries(specs).map(([k, s]) => {
    const type = typeof s.default === 'boolean' ? '' : s.choices ? ` <${s.choices.join('|')}>` : typeof s.default === 'number' ? ' <n>' : ' <s>';
    return [`  --${kebab(k)}${type}`, `${s.description} (default: ${String(s.default)})`];
  });
  const width = Math.max(...lines.map(([a]) => (a as string).length), 0) + 2;
  return lines.map(([a, b]) => `${(a as string).padEnd(width)}${b}`).join('\n');
}

export function renderTable(t: Table): string {
  const cells = [t.columns, ...t.rows.map((r) => r.map(formatCell))];
  const widths = t.columns.map((_c, i) => Math.max(...cells.map((r) => String(r[i] ?? '').length)));
  const line = (r: (string | number)[]) =>
    r.map((c, i) => (i === 0 ? String(c).padEnd(widths[i] ?? 0) : String(c).padStart(widths[i] ?? 0))).join('  ');
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [t.title, line(cells[0] ?? []), rule, ...cells.slice(1).map(line)].join('\n');
}

export function formatCell(v: string | number | boolean | null): string {
  if (typeof v !== 'number') return String(v);
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2);
}
