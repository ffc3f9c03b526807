/**
 * How far V8 lets the JS heap grow past what was live at its last full collection before it
 * collects again (config `memory.heapGrowthPercent`, issue 19).
 *
 * Left to itself, V8 on a machine with gigabytes of memory lets the old generation grow to up to
 * 4× what survived the last full collection. A gateway taking 19,000 devices' connections
 * promotes ~2 MB of short-lived objects (CONNECTs, password checks, readings waiting for their
 * store) at every young-generation collection, and no full collection came for the 45 s of the
 * `connections` benchmark: the heap held 212 MB of live objects in 300–375 MB of old space, and
 * what RSS showed was mostly garbage not yet collected, with a spread of ±35 MB between two runs
 * of the same code. With the limit at 1.5× the live data, RSS after the heartbeat round fell
 * from 547–613 MB to a steady ~455 MB, and under the press-110 load from ~615 to 417–442 MB,
 * with the alarm path faster, not slower (press → 110 p99 8–10 ms; bench/README.md).
 *
 * `--heap-growing-percent` is a V8 flag; V8 reads it at every full collection, so setting it
 * once at start (v8.setFlagsFromString) holds for the whole process, its worker threads
 * included, whichever entry started the gateway (`npm start`, the compiled build, tests).
 * 0 leaves V8's own heuristics.
 */
import { setFlagsFromString } from 'node:v8';

let applied = 0;

/** Sets V8's heap growing factor to 1 + percent/100 for this process (0: V8's own, unchanged). */
export function applyHeapGrowth(percent: number): void {
  if (percent === applied) return;
  // V8 treats 0 as "no override" (its dynamic factor), which is what 0 means here too.
  setFlagsFromString(`--heap-growing-percent=${Math.round(percent)}`);
  applied = percent;
}

/** What applyHeapGrowth last set in this process (0 = V8's own). */
export function heapGrowthPercent(): number {
  return applied;
}
