/**
 * Pure parts of a school's history charts: which fields each device kind reports (README topic
 * contract: buttons battery and rssi, barriers pressure), the two ranges an officer switches
 * between, the API's buckets as chart columns, and times on the axes in the school's zone.
 */
import type { TelemetrySeries } from './model.js';

export type RangeKey = '24h' | '7d';

export interface RangeSpec {
  spanMs: number;
  /** Bucket width as the API takes it (`every`), and in ms. */
  every: string;
  everyMs: number;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** 96 buckets a day, 168 a week: one bucket is a few pixels wide on a half-screen chart. */
export const RANGES: Readonly<Record<RangeKey, RangeSpec>> = {
  '24h': { spanMs: DAY, every: '15m', everyMs: 15 * MINUTE },
  '7d': { spanMs: 7 * DAY, every: '1h', everyMs: HOUR },
};

export const RANGE_KEYS: readonly RangeKey[] = ['24h', '7d'];

export const isRangeKey = (v: string | undefined): v is RangeKey => v === '24h' || v === '7d';

export type HistoryField = 'battery' | 'rssi' | 'pressure';

export interface FieldSpec {
  unit: string;
  /** A fixed y range (battery is a percentage); otherwise the data's own, padded. */
  range?: [number, number];
}

export const FIELDS: Readonly<Record<HistoryField, FieldSpec>> = {
  battery: { unit: '%', range: [0, 100] },
  rssi: { unit: 'dBm' },
  pressure: { unit: 'bar' },
};

/** The charts a device gets, by kind; kinds without charted telemetry get none. */
export function fieldsOf(kind: string): readonly HistoryField[] {
  if (kind === 'alarm-button') return ['battery', 'rssi'];
  if (kind === 'barrier') return ['pressure'];
  return [];
}

/** The window to ask for: the range ending now. */
export function rangeWindow(range: RangeKey, now: number): { from: number; to: number; every: string } {
  const spec = RANGES[range];
  return { from: now - spec.spanMs, to: now, every: spec.every };
}

/** Chart columns: bucket starts (ms) and their means, null where the bucket is empty. */
export interface Columns {
  xs: number[];
  ys: (number | null)[];
  /** Buckets that hold a value. */
  points: number;
  last: number | null;
}

export function toColumns(series: Pick<TelemetrySeries, 'points'>): Columns {
  const xs: number[] = [];
  const ys: (number | null)[] = [];
  let points = 0;
  let last: number | null = null;
  for (const p of series.points) {
    xs.push(p.at);
    const v = typeof p.value === 'number' && Number.isFinite(p.value) ? p.value : null;
    ys.push(v);
    if (v !== null) {
      points++;
      last = v;
    }
  }
  return { xs, ys, points, last };
}

/**
 * Values with an empty bucket (or the edge) on both sides: a line cannot show them, so they
 * are drawn as dots. A device that reported once in the last day is one such dot.
 */
export function isolatedIndices(ys: ArrayLike<number | null | undefined>): number[] {
  const out: number[] = [];
  const empty = (i: number) => i < 0 || i >= ys.length || ys[i] === null || ys[i] === undefined;
  for (let i = 0; i < ys.length; i++) if (!empty(i) && empty(i - 1) && empty(i + 1)) out.push(i);
  return out;
}

/** A y range for data without a fixed one: the data's span, padded, never zero-height. */
export function paddedRange(min: number | null, max: number | null): [number, number] {
  if (min === null || max === null || !Number.isFinite(min) || !Number.isFinite(max)) return [0, 1];
  const span = max - min;
  const pad = span > 0 ? span * 0.15 : Math.max(Math.abs(max) * 0.05, 1);
  return [min - pad, max + pad];
}

/** Wall-clock parts of `at` in `timeZone` (the school's, Asia/Shanghai in the demo district). */
export function zonedParts(at: number, timeZone: string): { month: number; day: number; hour: number; minute: number } {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone, month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', hourCycle: 'h23' }).formatToParts(at);
  const num = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return { month: num('month'), day: num('day'), hour: num('hour'), minute: num('minute') };
}

const pad2 = (n: number) => String(n).padStart(2, '0');

/**
 * Labels for time ticks: the time of day (24 h), and the date instead at local midnight or
 * when ticks are a day or more apart; `dateFmt` writes a month and day (3/14, 14/03).
 */
export function timeTickLabels(splits: readonly number[], incrMs: number, timeZone: string, dateFmt: (month: number, day: number) => string): string[] {
  return splits.map((at) => {
    const p = zonedParts(at, timeZone);
    if (incrMs >= DAY || (p.hour === 0 && p.minute === 0)) return dateFmt(p.month, p.day);
    return `${pad2(p.hour)}:${pad2(p.minute)}`;
  });
}

/** The bucket width in words' numbers: 15 min → { n: 15, unit: 'minutes' }. */
export function bucketSize(everyMs: number): { n: number; unit: 'minutes' | 'hours' } {
  return everyMs % HOUR === 0 ? { n: everyMs / HOUR, unit: 'hours' } : { n: Math.round(everyMs / MINUTE), unit: 'minutes' };
}

/** Uptime fraction (0–1) as a percentage with one decimal, never rounding a gap up to 100 %. */
export function uptimePercent(fraction: number): string {
  const pct = Math.floor(Math.max(0, Math.min(1, fraction)) * 1000) / 10;
  return `${pct.toFixed(1)}%`;
}
