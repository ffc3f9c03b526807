/**
 * InfluxDB 1.x layout for telemetry: database, retention policies, the downsampling
 * continuous query, and the InfluxQL behind series() and availability(). See docs/telemetry.md.
 */
import { escape, type InfluxDB } from 'influx';
import { GatewayError } from '../contract/errors.js';
import { LONG_MEASUREMENTS } from './telemetry-points.js';

export interface InfluxLayout {
  database: string;
  /** Default RP: raw points, `retentionDays` long. */
  rawPolicy: string;
  /** Long-term RP: 5-minute means of 'telemetry', plus the sparse 'health' and 'alarm'. */
  longPolicy: string;
  retentionDays: number;
  longRetentionDays: number;
}

export const DOWNSAMPLE_MS = 5 * 60_000;
export const DOWNSAMPLE_CQ = 'cq_telemetry_5m';

const q = (s: string): string => escape.quoted(s);
const lit = (s: string): string => escape.stringLit(s);

export function policyFor(layout: InfluxLayout, measurement: string): string {
  return LONG_MEASUREMENTS.has(measurement) ? layout.longPolicy : layout.rawPolicy;
}

export function from3(layout: InfluxLayout, policy: string, measurement: string): string {
  return `${q(layout.database)}.${q(policy)}.${q(measurement)}`;
}

/** The SELECT … INTO both the CQ and a backfill run: mean(*) keeps numeric fields only and
 *  names them mean_<field>; GROUP BY * keeps every tag (InfluxQL "Downsampling and data retention"). */
function downsampleSelect(layout: InfluxLayout, where: string): string {
  return (
    `SELECT mean(*) INTO ${from3(layout, layout.longPolicy, 'telemetry')} ` +
    `FROM ${from3(layout, layout.rawPolicy, 'telemetry')}${where} GROUP BY time(5m), *`
  );
}

/** Backfill for [from, to) after a spool replay: a CQ only ever looks at recent intervals. */
export function downsampleQuery(layout: InfluxLayout, from: number, to: number): string {
  const start = Math.floor(from / DOWNSAMPLE_MS) * DOWNSAMPLE_MS;
  const end = Math.ceil(to / DOWNSAMPLE_MS) * DOWNSAMPLE_MS;
  return downsampleSelect(layout, ` WHERE time >= ${start}ms AND time < ${Math.max(end, start + DOWNSAMPLE_MS)}ms`);
}

interface RawSeries {
  name?: string;
  tags?: Record<string, string>;
  columns?: string[];
  values?: unknown[][];
}
interface RawResult {
  statement_id?: number;
  error?: string;
  series?: RawSeries[];
}
export interface RawResponse {
  results?: RawResult[];
  error?: string;
}


/** Statement `i`'s series; throws on a statement error. */
export function resultSeries(resp: RawResponse, i: number): RawSeries[] {
  if (resp.error) throw new GatewayError('GW_ERR_INFLUX_QUERY', resp.error);
  const r = resp.results?.[i];
  if (r?.error) throw new GatewayError('GW_ERR_INFLUX_QUERY', r.error);
  return r?.series ?? [];
}

/** Rows of a series as objects keyed by column. */
export function seriesRows(s: RawSeries): Record<string, unknown>[] {
  const cols = s.columns ?? [];
  return (s.values ?? []).map((row) => Object.fromEntries(cols.map((c, j) => [c, row[j]])));
}

/** Creates the database, the two RPs (or aligns their durations) and the CQ. Idempotent. */
export async function ensureSchema(influx: InfluxDB, layout: InfluxLayout): Promise<void> {
  const db = layout.database;
  await influx.createDatabase(db);
  const existing = new Set((await influx.showRetentionPolicies(db)).map((p) => p.name));
  const policies: [string, number, boolean][] = [
    [layout.rawPolicy, layout.retentionDays, true],
    [layout.longPolicy, layout.longRetentionDays, false],
  ];
  for (const [name, days, isDefault] of policies) {
    const opts = { database: db, duration: `${days}d`, replication: 1, isDefault };
    if (existing.has(name)) await influx.alterRetentionPolicy(name, opts);
    else await influx.createRetentionPolicy(name, opts);
  }
  // CREATE CONTINUOUS QUERY fails if the name exists; dropping first lets a changed layout
  // (other RP names) take effect. RESAMPLE FOR 15m re-computes the last three intervals so
  // points arriving a few minutes late are still included (InfluxQL "Continuous Queries").
  const cqs = await influx.showContinousQueries(db);
  if (cqs.some((c) => c.name === DOWNSAMPLE_CQ)) await influx.dropContinuousQuery(DOWNSAMPLE_CQ, db);
  await influx.createContinuousQuery(DOWNSAMPLE_CQ, downsampleSelect(layout, ''), db, 'RESAMPLE EVERY 5m FOR 15m');
}

export interface SeriesPlan {
  policy: string;
  field: string;
}

/**
 * Where a series query reads: raw points while the range is inside the raw retention, else
 * the 5-minute means the CQ wrote into the long-term RP (field mean_<field>).
 */
export function seriesPlan(layout: InfluxLayout, measurement: string, field: string, from: number, now: number): SeriesPlan {
  const policy = policyFor(layout, measurement);
  const rawHorizon = now - layout.retentionDays * 86_400_000;
  if (policy === layout.rawPolicy && measurement === 'telemetry' && from < rawHorizon) {
    return { policy: layout.longPolicy, field: `mean_${field}` };
  }
  return { policy, field };
}

export function seriesQuery(
  layout: InfluxLayout,
  plan: SeriesPlan,
  measurement: string,
  deviceId: string,
  from: number,
  to: number,
  everyMs: number,
): string {
  return (
    `SELECT mean(${q(plan.field)}) AS "v" FROM ${from3(layout, plan.policy, measurement)} ` +
    `WHERE "device" = ${lit(deviceId)} AND time >= ${from}ms AND time < ${to}ms ` +
    `GROUP BY time(${everyMs}ms) fill(none)`
  );
}

/** Two statements: the last transition before `from` per device, and the ones inside. */
export function availabilityQuery(layout: InfluxLayout, deviceIds: string[], from: number, to: number): string {
  const src = from3(layout, policyFor(layout, 'health'), 'health');
  const devices = deviceIds.map((d) => `"device" = ${lit(d)}`).join(' OR ');
  return (
    `SELECT "up", "status" FROM ${src} WHERE (${devices}) AND time < ${from}ms ` +
    `GROUP BY "device" ORDER BY time DESC LIMIT 1; ` +
    `SELECT "up", "status" FROM ${src} WHERE (${devices}) AND time >= ${from}ms AND time <= ${to}ms ` +
    `GROUP BY "device"`
  );
}
