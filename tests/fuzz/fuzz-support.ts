/**
 * What every fuzz file shares: the run count (FUZZ_RUNS, default 10,000; HTTP_FUZZ_RUNS per
 * route, default 1,000; `npm run fuzz -- --runs 100000` is the long run, recorded in
 * bench/results.jsonl), a per-test timeout that grows with it, a watch for unhandled
 * rejections and uncaught exceptions, and a fake adapter context whose rejects are counted in
 * the gateway's own Counters exactly as gateway/app.ts counts them.
 *
 * fast-check prints the seed and the shrunk counterexample of a failure; replay it with
 * FUZZ_SEED=<seed> (and FUZZ_PATH=<path> for the exact case).
 */
import type fc from 'fast-check';
import { afterAll, beforeAll, expect } from 'vitest';
import { Counters } from '../../gateway/core/counters.js';
import { fakeContext, type FakeContext } from '../helpers/fake-context.js';

function positiveInt(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got ${JSON.stringify(raw)}`);
  return n;
}

export const FUZZ_RUNS = positiveInt('FUZZ_RUNS', process.env.FUZZ_RUNS, 10_000);
/**
 * Requests per HTTP route: each is a real request through the whole server (~1 ms), and every
 * route is fuzzed, so the suite runs 1,000 per route (minutes, not the suite's whole budget);
 * `npm run fuzz -- --runs 100000` is the long run.
 */
export const HTTP_FUZZ_RUNS = positiveInt('HTTP_FUZZ_RUNS', process.env.HTTP_FUZZ_RUNS, 1_000);

/** fast-check parameters for one property: the runs, and a replayed seed/path when given. */
export function fuzzParams(runs = FUZZ_RUNS): fc.Parameters<unknown> {
  const seed = process.env.FUZZ_SEED;
  const path = process.env.FUZZ_PATH;
  return {
    numRuns: runs,
    ...(seed !== undefined && seed !== '' ? { seed: Number(seed) } : {}),
    ...(path !== undefined && path !== '' ? { path } : {}),
  };
}

/** A generous timeout for a property of `runs` cases costing up to `msPerRun` each on a loaded machine. */
export const fuzzTimeout = (msPerRun: number, runs = FUZZ_RUNS): number => 60_000 + Math.ceil(runs * msPerRun);

export interface ProcessWatch {
  /** What escaped since install: unhandled rejections and uncaught exceptions, as text. */
  escaped(): string[];
  /** Lets pending rejections surface (they are reported after the microtask queue drains). */
  settle(): Promise<void>;
  dispose(): void;
}

/** Listens for anything that escaped a handler; assert `escaped()` is empty at the end. */
export function watchProcess(): ProcessWatch {
  const seen: string[] = [];
  const onRejection = (reason: unknown) => seen.push(`unhandledRejection: ${describe(reason)}`);
  const onException = (err: unknown) => seen.push(`uncaughtException: ${describe(err)}`);
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  return {
    escaped: () => [...seen],
    settle: () => new Promise<void>((resolve) => setImmediate(() => setImmediate(resolve))),
    dispose() {
      process.off('unhandledRejection', onRejection);
      process.off('uncaughtException', onException);
    },
  };
}

/**
 * Watches the process for the enclosing describe block: after its tests (and after its own
 * teardown, hooks run as a stack), nothing may have escaped as an unhandled rejection or exception.
 */
export function expectNothingEscapes(): void {
  let watch: ProcessWatch | undefined;
  beforeAll(() => {
    watch = watchProcess();
  });
  afterAll(async () => {
    if (!watch) return;
    await watch.settle();
    watch.dispose();
    expect(watch.escaped()).toStrictEqual([]);
  });
}

function describe(x: unknown): string {
  return x instanceof Error ? `${x.name}: ${x.message}` : String(x);
}

export interface CountingContext extends FakeContext {
  counters: Counters;
}

/** A fake context whose reject() also counts `rejects.<reason>`, as the gateway does (app.ts). */
export function countingContext(opts: Parameters<typeof fakeContext>[0]): CountingContext {
  const ctx = fakeContext(opts);
  const counters = new Counters();
  const record = ctx.reject.bind(ctx);
  ctx.reject = (reason, detail, deviceId) => {
    counters.inc(`rejects.${reason}`);
    record(reason, detail, deviceId);
  };
  return Object.assign(ctx, { counters });
}

/** Sum of the counters under `prefix` (e.g. every `rejects.`). */
export function total(counters: Counters, prefix: string): number {
  return Object.values(counters.snapshot(prefix)).reduce((a, b) => a + b, 0);
}
