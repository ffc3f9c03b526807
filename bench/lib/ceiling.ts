/**
 * Finding an ingest ceiling (telemetry-ingest `--rates auto`): which offered rate to try next,
 * given the levels measured so far. Pure, so the search is unit-tested apart from any broker.
 *
 * Bare aedes: start at `start`, multiply by `factor` while every level is sustained; after the
 * first unsustained level, `refineSteps` levels halve the gap between the highest sustained
 * level (lo) and the lowest unsustained one above it (hi). A gateway store: the same, but
 * raising walks bare's levels (`ladder`, ascending) instead of multiplying, so both are
 * measured at the same offered rates; refinement levels are its own, between its lo and hi.
 * A level missed while the broker waited for a CPU (`starved`: a shared machine's other work,
 * not the broker's limit) is run once more (new devices) before it counts, `retries` at most.
 */

export interface LevelOutcome {
  offered: number;
  sustained: boolean;
  /** Missed while waiting for a CPU rather than for lack of one. */
  starved?: boolean;
}

export interface CeilingPlan {
  /** First offered rate (messages/s). */
  start: number;
  /** Raise factor while sustained (2: doubling). */
  factor: number;
  /** Levels between the last sustained and the first unsustained level, after the first unsustained one. */
  refineSteps: number;
  /** At most this many levels in all. */
  maxLevels: number;
  /** Refinement stops once hi ÷ lo is at most this (finer is noise on a shared machine). */
  resolution: number;
  /** Offered rates are rounded to a multiple of this. */
  step: number;
  /** Starved misses run again, at most this many per search. */
  retries: number;
  /** Gateway targets: bare's levels, ascending; raising takes the next one above lo. */
  ladder?: readonly number[];
}

export const DEFAULT_PLAN: CeilingPlan = { start: 2500, factor: 2, refineSteps: 2, maxLevels: 12, resolution: 1.1, step: 100, retries: 2 };

/** A starved miss followed by another level at the same rate: the later one stands for it. */
function retried(levels: readonly LevelOutcome[], i: number): boolean {
  const l = levels[i] as LevelOutcome;
  return !l.sustained && l.starved === true && levels.slice(i + 1).some((x) => x.offered === l.offered);
}

/** The highest sustained offered rate (0: none) and the lowest unsustained one above it (undefined: none). */
export function bracket(levels: readonly LevelOutcome[]): { lo: number; hi: number | undefined } {
  const lo = Math.max(0, ...levels.filter((l) => l.sustained).map((l) => l.offered));
  const above = levels.filter((l) => !l.sustained && l.offered > lo).map((l) => l.offered);
  return { lo, hi: above.length ? Math.min(...above) : undefined };
}

/** The next offered rate, or undefined when the search is over. */
export function nextRate(all: readonly LevelOutcome[], plan: CeilingPlan): number | undefined {
  if (all.length >= plan.maxLevels) return undefined;
  if (all.length === 0) return plan.ladder ? plan.ladder[0] : plan.start;
  const last = all[all.length - 1] as LevelOutcome;
  const used = all.filter((_l, i) => retried(all, i)).length;
  if (!last.sustained && last.starved && used < plan.retries && all.filter((l) => l.offered === last.offered).length === 1) return last.offered;
  const levels = all.filter((_l, i) => !retried(all, i));
  const tried = new Set(levels.map((l) => l.offered));
  const { lo, hi } = bracket(levels);
  if (hi === undefined) {
    // Everything sustained so far: raise.
    if (plan.ladder) return plan.ladder.find((r) => r > lo && !tried.has(r));
    return roundTo(Math.max(lo, ...levels.map((l) => l.offered)) * plan.factor, plan.step);
  }
  const firstMiss = levels.findIndex((l) => !l.sustained);
  const refined = levels.length - 1 - firstMiss;
  if (refined >= plan.refineSteps) return undefined;
  if (lo > 0 && hi / lo <= plan.resolution) return undefined;
  const mid = roundTo(lo > 0 ? (lo + hi) / 2 : hi / 2, plan.step);
  if (mid <= lo || mid >= hi || tried.has(mid)) return undefined;
  return mid;
}

function roundTo(v: number, step: number): number {
  return Math.max(step, Math.round(v / step) * step);
}
