/**
 * The long fuzz run, outside the test suite: `npm run fuzz -- --runs 100000 [--seed N] [files…]`.
 * Runs every fuzz property under tests/fuzz (MQTT payloads, DC-09 codec, receiver and
 * transmitter, radio commands, every HTTP route, the gateway end to end) at `--runs` cases each
 * (HTTP: per route), with one seed for all of them so a failure can be replayed
 * (`FUZZ_SEED=<seed> FUZZ_RUNS=<runs> npx vitest run <file>`), and appends the counts, the seed
 * and the load average to bench/results.jsonl. Exit status: vitest's.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const USAGE = `Usage: npm run fuzz -- [--runs N] [--seed S] [tests/fuzz/<file>.test.ts…]
  --runs   cases per property, and per route for the HTTP fuzz (default 100000)
  --seed   fast-check seed shared by every property (default: random, printed and recorded)
  --no-save  do not append the result to bench/results.jsonl\n`;

interface JsonReport {
  numTotalTests: number;
  numPassedTests: number;
  numFailedTests: number;
  testResults: { name: string; assertionResults: { fullName: string; status: string; duration?: number }[] }[];
}

const round2 = (xs: number[]) => xs.map((x) => Math.round(x * 100) / 100);

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { runs: { type: 'string', default: '100000' }, seed: { type: 'string' }, 'no-save': { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) {
    process.stderr.write(`--runs must be a positive integer, got ${JSON.stringify(values.runs)}\n${USAGE}`);
    return 2;
  }
  const seed = values.seed !== undefined ? Number(values.seed) : Math.floor(Math.random() * 2 ** 31);
  if (!Number.isInteger(seed)) {
    process.stderr.write(`--seed must be an integer\n`);
    return 2;
  }
  const files = positionals.length ? positionals : ['tests/fuzz'];
  const out = mkdtempSync(join(tmpdir(), 'fuzz-'));
  const reportFile = join(out, 'report.json');
  process.stderr.write(`fuzz: ${runs} cases per property, seed ${seed}, ${files.join(' ')}\n`);
  const started = Date.now();
  const loadStart = round2(loadavg());
  const code = await new Promise<number>((resolve) => {
    const child = spawn(
      process.execPath,
      [join(ROOT, 'node_modules/vitest/vitest.mjs'), 'run', ...files, '--reporter=default', '--reporter=json', `--outputFile.json=${reportFile}`],
      { cwd: ROOT, stdio: 'inherit', env: { ...process.env, FUZZ_RUNS: String(runs), HTTP_FUZZ_RUNS: String(runs), FUZZ_SEED: String(seed) } },
    );
    const stop = (sig: NodeJS.Signals) => child.kill(sig);
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    child.on('exit', (c, sig) => resolve(c ?? (sig ? 130 : 1)));
  });
  let report: JsonReport | undefined;
  try {
    report = JSON.parse(readFileSync(reportFile, 'utf8')) as JsonReport;
  } catch {
    report = undefined;
  }
  rmSync(out, { recursive: true, force: true });
  const properties = (report?.testResults ?? []).flatMap((f) =>
    f.assertionResults.map((a) => ({ file: f.name.replace(ROOT, ''), property: a.fullName, status: a.status, seconds: Math.round((a.duration ?? 0) / 100) / 10 })),
  );
  const record = {
    name: 'fuzz',
    at: new Date(started).toISOString(),
    commit: (() => {
      try {
        return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
      } catch {
        return 'unknown';
      }
    })(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', totalmem: totalmem(), node: process.version },
    load: { start: loadStart, end: round2(loadavg()) },
    durationSeconds: Math.round((Date.now() - started) / 1000),
    params: { runs, seed, files },
    metrics: { properties: properties.length, passed: report?.numPassedTests ?? 0, failed: report?.numFailedTests ?? 0, exitCode: code },
    properties,
  };
  if (!values['no-save']) appendFileSync(join(ROOT, 'bench', 'results.jsonl'), `${JSON.stringify(record)}\n`);
  process.stderr.write(`fuzz: ${record.metrics.passed}/${properties.length} properties passed in ${record.durationSeconds} s (seed ${seed})${values['no-save'] ? '' : '; recorded in bench/results.jsonl'}\n`);
  return code;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`fuzz failed: ${(err as Error).message}\n`);
    process.exit(1);
  },
);
