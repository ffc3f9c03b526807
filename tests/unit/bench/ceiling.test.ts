/** The ceiling search of telemetry-ingest `--rates auto` (bench/lib/ceiling.ts): which rate next, and when to stop. */
import { describe, expect, it } from 'vitest';
import { bracket, DEFAULT_PLAN, nextRate, type CeilingPlan, type LevelOutcome } from '../../../bench/lib/ceiling.js';

const plan: CeilingPlan = { start: 1000, factor: 2, refineSteps: 2, maxLevels: 10, resolution: 1.1, step: 100, retries: 2 };
const lv = (offered: number, sustained: boolean): LevelOutcome => ({ offered, sustained });

describe('ceiling search', () => {
  it('starts at the start rate and doubles while every level is sustained', () => {
    expect(nextRate([], plan)).toBe(1000);
    expect(nextRate([lv(1000, true)], plan)).toBe(2000);
    expect(nextRate([lv(1000, true), lv(2000, true), lv(4000, true)], plan)).toBe(8000);
  });

  it('after the first unsustained level, halves the gap refineSteps times, then stops', () => {
    const run = [lv(1000, true), lv(2000, true), lv(4000, true), lv(8000, false)];
    expect(nextRate(run, plan)).toBe(6000);
    run.push(lv(6000, true));
    expect(nextRate(run, plan)).toBe(7000);
    run.push(lv(7000, false));
    expect(nextRate(run, plan)).toBeUndefined();
    expect(bracket(run)).toEqual({ lo: 6000, hi: 7000 });
  });

  it('an unsustained refinement lowers hi', () => {
    expect(nextRate([lv(1000, true), lv(2000, true), lv(4000, false), lv(3000, false)], plan)).toBe(2500);
  });

  it('a first level already unsustained: halves towards zero', () => {
    expect(nextRate([lv(1000, false)], plan)).toBe(500);
    expect(nextRate([lv(1000, false), lv(500, true)], plan)).toBe(800);
  });

  it('stops at maxLevels, and when the bracket is finer than the resolution', () => {
    expect(nextRate([lv(1000, true), lv(2000, true)], { ...plan, maxLevels: 2 })).toBeUndefined();
    expect(nextRate([lv(1000, true), lv(2000, true), lv(2100, false)], plan)).toBeUndefined();
  });

  it('a sustained level above an unsustained one (noise) raises again', () => {
    expect(bracket([lv(1000, true), lv(2000, false), lv(1500, true), lv(2000, true)])).toEqual({ lo: 2000, hi: undefined });
    expect(nextRate([lv(1000, true), lv(2000, false), lv(1500, true), lv(2000, true)], plan)).toBe(4000);
  });

  it('with a ladder (a gateway store after bare aedes): raises along bare’s levels, refines between its own', () => {
    const ladder = [1000, 2000, 4000, 8000, 6000, 7000].sort((a, b) => a - b);
    const g = { ...plan, ladder };
    expect(nextRate([], g)).toBe(1000);
    expect(nextRate([lv(1000, true)], g)).toBe(2000);
    expect(nextRate([lv(1000, true), lv(2000, true), lv(4000, false)], g)).toBe(3000);
    // Sustained all of bare's levels: nothing more to try.
    expect(nextRate(ladder.map((r) => lv(r, true)), g)).toBeUndefined();
  });

  it('a level missed while starved of CPU runs once more before it counts, at most `retries` times', () => {
    const starved = (offered: number): LevelOutcome => ({ offered, sustained: false, starved: true });
    expect(nextRate([lv(1000, true), starved(2000)], plan)).toBe(2000);
    // Sustained the second time: the search goes on as if the first had not been.
    expect(nextRate([lv(1000, true), starved(2000), lv(2000, true)], plan)).toBe(4000);
    // Missed again: it counts (no third try), and the refinement starts.
    expect(nextRate([lv(1000, true), starved(2000), starved(2000)], plan)).toBe(1500);
    // The retries are used up: a starved miss counts at once.
    const used = [lv(1000, true), starved(2000), lv(2000, true), starved(4000), lv(4000, true)];
    expect(nextRate([...used, starved(8000)], plan)).toBe(6000);
    // A miss not starved is not retried.
    expect(nextRate([lv(1000, true), lv(2000, false)], plan)).toBe(1500);
  });

  it('rounds to the step and never below it', () => {
    expect(nextRate([lv(150, false)], { ...plan, step: 100 })).toBe(100);
    expect(DEFAULT_PLAN.factor).toBeGreaterThan(1);
  });
});
