/**
 * A broker under benchmark in its own process (so its RSS and CPU are its own): the gateway
 * (bench/gateway-entry.ts) or bare aedes (bench/bare-aedes.ts), both speaking
 * bench/lib/broker-control.ts.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { isMemoryReport, type MemoryReport } from './broker-control.js';
import { BenchError, type BenchContext } from './harness.js';
import { JsonLines, sampleProcess, spawnNode, stopProcess, type ProcSample } from './processes.js';

export type BrokerKind = 'gateway' | 'bare';

export const BROKER_SCRIPTS: Record<BrokerKind, string> = {
  gateway: fileURLToPath(new URL('../gateway-entry.ts', import.meta.url)),
  bare: fileURLToPath(new URL('../bare-aedes.ts', import.meta.url)),
};

export interface BrokerHandle {
  kind: BrokerKind;
  child: ChildProcess;
  pid: number;
  lines: JsonLines;
  mqttPort: number;
  /** Gateway only. */
  httpPort?: number;
  /** From spawn to listening. */
  startMs: number;
  sample(): ProcSample;
  mem(gc: boolean): Promise<MemoryReport>;
  snapshot(path: string): Promise<string>;
  stop(): Promise<void>;
}

/**
 * How the broker's TypeScript runs.
 *
 * `bundled` (the default) compiles the entry first (esbuild, npm packages left external) and
 * runs plain JavaScript, as the image runs the gateway (`node dist/gateway/main.js`, no loader):
 * the figures are those of what a district deploys. `tsx` is what `npm start` does: tsx's
 * loader runs in a V8 isolate of its own that keeps what it compiled, so it costs a broker by
 * the TypeScript it loads. Measured at the end of `connections` (19,000 devices, a diagnostic
 * report per isolate, 2026-12-07): 24 MB of committed heap for the gateway's ~300 modules, 6 MB
 * for bare aedes's one file, plus the modules' source maps in the main isolate.
 *
 * All `import.meta.url` in the bundle are gateway/app.ts's, so the gateway's own paths
 * (../config, ../dashboard) resolve as in the source tree; except in the files of OWN_URL,
 * which keep their own: the store threads' spawner finds each thread's module beside itself
 * (and bundles it from source, as under `npm start`).
 */
const OWN_URL = /gateway[\\/]store[\\/]store-thread\.ts$/;

export type Runtime = 'tsx' | 'bundled';

/** The `--runtime` option of every benchmark that starts a broker. */
export const RUNTIME_OPTION = {
  default: 'bundled',
  choices: ['bundled', 'tsx'],
  description: 'run the brokers as compiled JavaScript, as the image runs the gateway, or through tsx, as npm start does',
} as const;

/**
 * Gateway modules that must run before an npm package loads: quiet-debug.ts wraps the `debug`
 * that aedes's mqtt-packet is about to require. In the source tree (tsx, or tsc's build) the
 * import order does it; an ESM bundle evaluates every external import before any bundled code,
 * so each prelude is built as a file of its own and imported first (without this the bundled
 * gateway paid mqtt-packet's debug calls: ~1 % of its main thread in press-110's profile).
 */
const GATEWAY_PRELUDES = [join('gateway', 'broker', 'quiet-debug.ts')];

/** What every bundle of a broker shares: one ESM file for Node 20, npm packages left to node_modules. */
const BUNDLE = { bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', logLevel: 'warning' } as const;

export async function bundle(ctx: BenchContext, script: string, preludes: readonly string[] = []): Promise<string> {
  const dir = join(ctx.root, 'bench', 'out', 'bundled');
  const outfile = join(dir, basename(script).replace(/\.ts$/, '.mjs'));
  mkdirSync(dir, { recursive: true });
  const first: string[] = [];
  for (const prelude of preludes) {
    const source = join(ctx.root, prelude);
    const name = `prelude-${basename(prelude).replace(/\.ts$/, '.mjs')}`;
    await build({ ...BUNDLE, entryPoints: [source], outfile: join(dir, name), define: { 'import.meta.url': JSON.stringify(pathToFileURL(source).href) } });
    first.push(`import ${JSON.stringify(`./${name}`)};`);
  }
  await build({
    ...BUNDLE,
    entryPoints: [script],
    outfile,
    ...(first.length ? { banner: { js: first.join('\n') } } : {}),
    define: { 'import.meta.url': JSON.stringify(pathToFileURL(join(ctx.root, 'gateway', 'app.ts')).href) },
    plugins: [
      {
        name: 'own-import-meta-url',
        setup(b) {
          b.onLoad({ filter: OWN_URL }, (args) => ({
            contents: readFileSync(args.path, 'utf8').replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href)),
            loader: 'ts',
          }));
        },
      },
    ],
  });
  return outfile;
}

export interface StartOptions {
  env: Record<string, string>;
  timeoutMs: number;
  runtime: Runtime;
  /** Another entry speaking broker-control (e.g. a gateway with a change under trial). */
  script?: string;
  /** Node/V8 flags of this broker (EXP_FLAGS from the environment come after them). */
  nodeFlags?: string[];
}

/**
 * The allocator setting the gateway ships with (Dockerfile, `npm run start:prod`), given to every
 * broker a benchmark starts, bare aedes too, so that a ratio compares the programs and not their
 * malloc settings. A value in the benchmark's own environment wins.
 */
export const SHIPPED_MALLOC_ENV: Record<string, string> = process.env.MALLOC_ARENA_MAX ? {} : { MALLOC_ARENA_MAX: '2' };

export async function startBroker(ctx: BenchContext, kind: BrokerKind, o: StartOptions): Promise<BrokerHandle> {
  const source = o.script ? resolve(ctx.root, o.script) : BROKER_SCRIPTS[kind];
  const script = o.runtime === 'bundled' ? await bundle(ctx, source, kind === 'gateway' ? GATEWAY_PRELUDES : []) : source;
  const t0 = Date.now();
  // --expose-gc only lets `mem-gc` measure the live heap; nothing calls gc otherwise.
  const child = spawnNode(ctx, { script, tsx: o.runtime === 'tsx', nodeFlags: ['--expose-gc', ...(o.nodeFlags ?? []), ...(process.env.EXP_FLAGS ? process.env.EXP_FLAGS.split(' ') : [])], env: { ...SHIPPED_MALLOC_ENV, ...o.env }, pipeStdout: true, pipeStdin: true });
  const lines = new JsonLines(child);
  const ready = await lines.next((l) => (l.bench === 'ready' ? l : undefined), o.timeoutMs, ctx.signal, `${kind} start`);
  const pid = child.pid;
  if (pid === undefined || typeof ready.mqttPort !== 'number') throw new BenchError('BENCH_ERR_START', `${kind}: no pid or port`);
  const command = (line: string) => child.stdin?.write(`${line}\n`);
  return {
    kind,
    child,
    pid,
    lines,
    mqttPort: ready.mqttPort,
    ...(typeof ready.httpPort === 'number' ? { httpPort: ready.httpPort } : {}),
    startMs: Date.now() - t0,
    sample: () => sampleProcess(pid),
    mem: async (gc) => {
      const answer = lines.next((l) => (isMemoryReport(l) ? (l as MemoryReport) : undefined), 60_000, ctx.signal, `${kind} mem`);
      command(gc ? 'mem-gc' : 'mem');
      return answer;
    },
    snapshot: async (path) => {
      const answer = lines.next((l) => (l.bench === 'snapshot' && typeof l.path === 'string' ? l.path : undefined), 300_000, ctx.signal, `${kind} heap snapshot`);
      command(`snapshot ${path}`);
      return answer;
    },
    stop: () => stopProcess(child, 10_000),
  };
}
