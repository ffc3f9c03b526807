/**
 * Starts a store's worker thread (the embedded store's writer, InfluxDB's sender) from the code
 * the gateway runs: compiled, the thread's module is the .js file next to this one. From source
 * (tsx, vitest, whose transform does not reach a Worker) the module and what it imports are
 * bundled once per process with esbuild (a development dependency, as tsx is) into
 * node_modules/.cache/campus-gateway/: a thread that registers tsx's loader first costs ~50 MB of
 * RSS (the loader's own hooks thread and transforms), the bundle ~19 MB (measured: the
 * difference was most of the gateway's RSS above bare aedes in `npm run bench -- connections`).
 * Where the bundle cannot be written (a read-only tree), the thread registers tsx as before.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/** How a thread's code was loaded: the compiled file, the bundle made from source, or source through tsx. */
export type ThreadLoad = 'compiled' | 'bundle' | 'tsx';

const fromSource = import.meta.url.endsWith('.ts');

/** From source: each module's bundle, made at its first thread (null: it could not be made). */
const sourceBundles = new Map<string, URL | null>();

function bundleFromSource(module: URL, external: readonly string[]): URL | undefined {
  const known = sourceBundles.get(module.href);
  if (known !== undefined) return known ?? undefined;
  sourceBundles.set(module.href, null);
  try {
    const require = createRequire(import.meta.url);
    // esbuild's command line, not its buildSync: buildSync runs esbuild's service on a worker
    // thread of its own that stays for the process's life (an isolate, ~13 MB of RSS, and
    // esbuild's process beside it) for a bundle made once. (Its `bin/esbuild` is the native
    // binary once installed, a Node shim before: both take the same arguments.)
    const esbuildDir = dirname(require.resolve('esbuild/package.json'));
    const code = execFileSync(
      join(esbuildDir, 'bin', 'esbuild'),
      // Packages named here stay package imports, resolved from the bundle's place in node_modules.
      [fileURLToPath(module), '--bundle', '--platform=node', '--format=esm', '--target=node20', '--log-level=error', ...external.map((e) => `--external:${e}`)],
      { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    // Named by content: every process of one tree shares it, an edited source gets a new one.
    const dir = join(dirname(esbuildDir), '.cache', 'campus-gateway');
    const name = fileURLToPath(module).split(/[\\/]/).pop()?.replace(/\.ts$/, '') ?? 'thread';
    const file = join(dir, `${name}-${createHash('sha256').update(code).digest('hex').slice(0, 16)}.mjs`);
    if (!existsSync(file)) {
      mkdirSync(dir, { recursive: true });
      const part = `${file}.${process.pid}.${Date.now()}`;
      writeFileSync(part, code);
      renameSync(part, file);
    }
    const url = pathToFileURL(file);
    sourceBundles.set(module.href, url);
    return url;
  } catch {
    return undefined;
  }
}

/**
 * A thread inherits the process's Node options, and one of them it refuses: a gateway started
 * as `node --input-type=module -e …` would have every store thread die at start ("--input-type
 * can only be used with string input"). Such a process gives its threads none (options passed
 * explicitly are checked, and per-process ones such as --expose-gc are refused, so a filtered
 * copy would not do); any other keeps Node's inheritance (profiling flags reach the threads).
 */
function threadOptions(): { execArgv?: string[]; resourceLimits: { maxYoungGenerationSizeMb: number } } {
  const limits = { resourceLimits: { maxYoungGenerationSizeMb: THREAD_YOUNG_GENERATION_MB } };
  return process.execArgv.some((a) => a.startsWith('--input-type')) ? { execArgv: [], ...limits } : limits;
}

/**
 * A store thread's young generation, in MB. V8 sizes each isolate's young generation as it does
 * the main thread's (up to two 16 MB semi-spaces, all resident once used), and a thread that only
 * turns batches into rows grew it that far for objects that live one batch: the embedded writer's
 * isolate held 29 MB in `npm run bench -- connections`, 16 of it new space, 14 in use; 200,000
 * readings through it in the writer's test, 32 MB of new space. Capped here: 8 MB of new space.
 */
export const THREAD_YOUNG_GENERATION_MB = 8;

/**
 * Starts the thread whose module is `name` (e.g. 'telemetry-writer') in this directory, with
 * `workerData`; `external`: the packages its bundle imports rather than includes (native addons).
 */
export function spawnStoreThread(name: string, external: readonly string[], workerData: unknown): { worker: Worker; load: ThreadLoad } {
  const module = new URL(`./${name}${fromSource ? '.ts' : '.js'}`, import.meta.url);
  if (!fromSource) return { worker: new Worker(module, { workerData, ...threadOptions() }), load: 'compiled' };
  const bundle = bundleFromSource(module, external);
  if (bundle) return { worker: new Worker(bundle, { workerData, ...threadOptions() }), load: 'bundle' };
  // tsx is a development dependency: only looked up when running from source. Its ESM entry
  // (the CommonJS build of tsx/esm/api registers a loader path that does not exist).
  const require = createRequire(import.meta.url);
  const pkg = require('tsx/package.json') as { exports: Record<string, { import: { default: string } }> };
  const tsxApi = new URL(pkg.exports['./esm/api']?.import.default ?? './dist/esm/api/index.mjs', pathToFileURL(require.resolve('tsx/package.json'))).href;
  const boot = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(module.href)}); });`;
  return { worker: new Worker(boot, { eval: true, workerData, ...threadOptions() }), load: 'tsx' };
}
