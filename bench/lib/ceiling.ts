/**
 * Finding an ingest ceiling (telemetry-ingest `--rates auto`): which offered rate to try next,
 * given the levels measured so far. Pure, so the search is unit-tested apart from any broker.
 *
 * Bare aedes: start at `start`, multiply by `factor` while every level is sustained; after the
 * first unsustained level, `refineSteps` levels halve the gap between the highest sustained
 * level (lo) and the lowest unsustained one above it (hi). A gateway store: the same, but
 * raising walks bare's levels (`ladder`, ascending) instead of multiplying, so both are
 * measured at the same offered rates; refinement levels are its own, between its lo and hi.
 */

export interface LevelOutcome {
  offered: number;
  sustained: boolean;
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
  /** Gateway targets: bare's levels, ascending; raising takes the next one above lo. */
  ladder?: readonly number[];
}

export const DEFAULT_PLAN: CeilingPlan = { start: 2500, factor: 2, refineSteps: 2, maxLevels: 9, resolution: 1.1, step: 100 };

/** The highest sustained offered rate (0: none) and the lowest unsustained one above it (undefined: none). */
export function bracket(levels: readonly LevelOutcome[]): { lo: number; hi: number | undefined } {
  const lo = Math.max(0, ...levels.filter((l) => l.sustained).map((l) => l.offered));
  const above = levels.filter((l) => !l.sustained && l.offered > lo).map((l) => l.offered);
  return { lo, hi: above.length ? Math.min(...above) : undefined };
}

/** The next offered rate, or undefined when the search is over. */
export function nextRate(levels: readonly LevelOutcome[], plan: CeilingPlan): number | undefined {
  if (levels.length >= plan.maxLevels) return undefined;
  if (levels.length === 0) return plan.ladder ? plan.ladder[0] : plan.start;
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
