/**
 * What both telemetry stores share: point validation (so both accept and refuse the same
 * points), bucket layout for series(), and the uptime arithmetic behind availability().
 */
import type { Logger } from 'pino';
import { GatewayError } from '../contract/errors.js';
import type { Scalar } from '../contract/types.js';
import { nameProblem, type TelemetryPoint } from '../core/devices/telemetry.js';
import type { SeriesPoint, SeriesQuery } from './telemetry-store.js';

/** A point that passed validation: a private copy, empty extra tags removed, `at` whole ms. */
export interface StoredPoint {
  measurement: string;
  tags: Record<string, string>;
  fields: Record<string, Scalar>;
  at: number;
}

/**
 * Tags as JSON, per tags object: the pipeline hands one frozen tags object per device, shared by
 * all its points, so a reading's line costs one JSON.stringify (its fields), not two.
 */
const tagsJson = new WeakMap<object, string>();

/** Compact on-disk form of a point (InfluxDB spool, readings journal): one JSON array a line, [measurement, tags, fields, at]. */
export function encodePointLine(p: StoredPoint | TelemetryPoint): string {
  let tags = tagsJson.get(p.tags);
  if (tags === undefined) {
    tags = JSON.stringify(p.tags);
    // Only an object nobody can change afterwards may keep its text, and kept flat: V8's
    // JSON.stringify hands back a rope of its pieces (three strings and two joins, ~260 bytes a
    // device in a heap snapshot of 19,000 devices), one string of the same text is ~100.
    if (Object.isFrozen(p.tags)) tagsJson.set(p.tags, Buffer.from(tags).toString());
  }
  return `[${JSON.stringify(p.measurement)},${tags},${JSON.stringify(p.fields)},${JSON.stringify(p.at)}]\n`;
}

/** A line of encodePointLine read back and checked again; undefined when it cannot be read (a torn last line). */
export function decodePointLine(text: string): StoredPoint | undefined {
  try {
    const v: unknown = JSON.parse(text);
    if (!Array.isArray(v) || v.length !== 4) return undefined;
    const [measurement, tags, fields, at] = v as unknown[];
    const checked = checkPoint({ measurement, tags, fields, at } as TelemetryPoint);
    return typeof checked === 'string' ? undefined : checked;
  } catch {
    return undefined;
  }
}

/** Sparse measurements (transitions) kept for the long retention in both stores. */
export const LONG_MEASUREMENTS: ReadonlySet<string> = new Set(['health', 'alarm']);

/** InfluxDB keeps string field values up to 64 KiB. */
const MAX_STRING_FIELD = 64 * 1024;
/** Largest ms timestamp InfluxDB can hold as int64 nanoseconds (2262-04-11). */
const MAX_AT = 9_223_372_036_854;
/** Guards a query that would produce a runaway number of buckets. */
export const MAX_BUCKETS = 100_000;

/**
 * The stored form of a point, or why it is refused. The caller's tags and fields objects are
 * kept as they are when nothing in them has to change (the usual case: the pipeline hands one
 * tags object per device and fresh fields per reading): a point waits in memory until its store
 * confirms it, and copying both objects per reading made them most of what each young-generation
 * GC had to keep (press-110 at 10,000 devices). Callers do not change a point after handing it over.
 */
export function checkPoint(p: TelemetryPoint): StoredPoint | string {
  if (typeof p !== 'object' || p === null) return 'point is not an object';
  const m = nameProblem('measurement', p.measurement);
  if (m) return m;
  if (typeof p.at !== 'number' || !Number.isFinite(p.at) || p.at <= 0 || p.at > MAX_AT) {
    return `at must be a positive ms timestamp, got ${String(p.at)}`;
  }
  if (typeof p.tags !== 'object' || p.tags === null) return 'tags missing';
  let emptyTags = false;
  for (const k in p.tags) {
    const v: unknown = p.tags[k];
    const kp = nameProblem('tag key', k);
    if (kp) return kp;
    if (typeof v !== 'string') return `tag ${k} is not a string`;
    // InfluxDB drops tags with empty values; do the same in both stores.
    if (v === '') {
      emptyTags = true;
      continue;
    }
    // The label names the tag only when there is a problem to tell (no string built per point).
    if (nameProblem('tag', v)) return nameProblem(`tag ${k}`, v) as string;
  }
  const tags = emptyTags ? withoutEmpty(p.tags) : p.tags;
  for (const required of ['site', 'device', 'kind']) {
    if (tags[required] === undefined) return `tag ${required} missing`;
  }
  if (typeof p.fields !== 'object' || p.fields === null) return 'fields missing';
  let n = 0;
  for (const k in p.fields) {
    const v: unknown = p.fields[k];
    const kp = nameProblem('field key', k);
    if (kp) return kp;
    // The embedded store reads fields through a quoted JSON path label.
    if (k.includes('"')) return `field key ${k} contains '"'`;
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) return `field ${k} is ${String(v)}`;
    } else if (typeof v === 'string') {
      if (v.length > MAX_STRING_FIELD) return `field ${k} longer than ${MAX_STRING_FIELD}`;
    } else if (typeof v !== 'boolean') {
      return `field ${k} is not a number, string or boolean`;
    }
    n++;
  }
  if (n === 0) return 'point has no fields';
  return { measurement: p.measurement, tags, fields: p.fields, at: Math.round(p.at) };
}

function withoutEmpty(tags: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k in tags) if (tags[k] !== '') out[k] = tags[k] as string;
  return out;
}

/** Validates a query; bucket starts are aligned to multiples of everyMs since the epoch, as
 *  InfluxQL's GROUP BY time() does without an offset. */
export function bucketStarts(q: SeriesQuery): number[] {
  const { from, to, everyMs } = q;
  if (typeof q.deviceId !== 'string' || q.deviceId === '') throw badQuery('deviceId is required');
  if (typeof q.field !== 'string' || q.field === '') throw badQuery('field is required');
  if (!Number.isInteger(everyMs) || everyMs < 1) throw badQuery('everyMs must be a positive integer');
  if (!Number.isFinite(from) || !Number.isFinite(to) || to <= from) throw badQuery('need from < to');
  const first = Math.floor(from / everyMs) * everyMs;
  const count = Math.ceil((to - first) / everyMs);
  if (count > MAX_BUCKETS) throw badQuery(`${count} buckets requested, at most ${MAX_BUCKETS}`);
  const out: number[] = [];
  for (let t = first; t < to; t += everyMs) out.push(t);
  return out;
}

/** Lays bucket means (keyed by bucket start) over the full bucket list, null where empty. */
export function fillBuckets(starts: number[], means: Map<number, number>): SeriesPoint[] {
  return starts.map((at) => ({ at, value: means.get(at) ?? null }));
}

export function badQuery(detail: string): GatewayError {
  return new GatewayError('GW_ERR_BAD_REQUEST', `telemetry query: ${detail}`);
}

/** A health transition as availability() reads it. */
export interface UpSample {
  at: number;
  up: boolean;
}

/**
 * Whether a 'health' point means the device was in service. The `up` field (1/0) is the
 * design's source of truth; `status` is the fallback for writers that only set it
 * ('degraded' still works — e.g. low battery — so it counts as up).
 */
export function isUp(fields: Record<string, unknown>): boolean | undefined {
  const up = fields.up;
  if (typeof up === 'number') return up > 0;
  if (typeof up === 'boolean') return up;
  const status = fields.status;
  if (typeof status === 'string') return status === 'ok' || status === 'degraded';
  return undefined;
}

/**
 * Fraction of [from, to] the device was up. `before` is the last transition before `from`
 * (the state carried into the period); time before the first known state counts as not up,
 * so a device that never reported is never shown as available.
 */
export function uptimeFraction(before: UpSample | undefined, inside: UpSample[], from: number, to: number): number {
  if (to <= from) return 0;
  let upMs = 0;
  let state = before?.up ?? false;
  let since = from;
  const sorted = [...inside].sort((a, b) => a.at - b.at);
  for (const s of sorted) {
    if (s.at < from || s.at > to) continue;
    if (state) upMs += s.at - since;
    state = s.up;
    since = s.at;
  }
  if (state) upMs += to - since;
  return upMs / (to - from);
}

export function checkAvailabilityRange(from: number, to: number, deviceIds: string[]): void {
  if (!Array.isArray(deviceIds)) throw badQuery('deviceIds must be an array');
  if (!Number.isFinite(from) || !Number.isFinite(to) || to <= from) throw badQuery('need from < to');
}

/** Validates points and logs refusals without flooding: the 1st, 10th, 100th… is logged. */
export class RejectCounter {
  private count = 0;

  constructor(private readonly log: Logger) {}

  /** The stored form, or a coded reason (kept as the store's lastError). */
  check(p: TelemetryPoint): StoredPoint | string {
    const c = checkPoint(p);
    if (typeof c !== 'string') return c;
    this.count++;
    const reason = `GW_ERR_PAYLOAD_INVALID: telemetry point refused: ${c}`;
    if (/^10*$/.test(String(this.count))) {
      this.log.warn({ rejected: this.count, reason: c, device: deviceOf(p) }, 'telemetry point refused');
    }
    return reason;
  }
}

function deviceOf(p: TelemetryPoint): string | undefined {
  const d: unknown = (p as { tags?: Record<string, unknown> } | null)?.tags?.device;
  return typeof d === 'string' ? d : undefined;
}
