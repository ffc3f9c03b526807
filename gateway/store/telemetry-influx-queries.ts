/**
 * Read side of the InfluxDB telemetry store: series() and availability() in InfluxQL, and the
 * downsampling backfill. Results are shaped exactly like the embedded store's.
 */
import type { InfluxDB } from 'influx';
import type { Clock } from '../contract/clock.js';
import { GatewayError, isGatewayError } from '../contract/errors.js';
import {
  availabilityQuery,
  downsampleQuery,
  resultSeries,
  seriesPlan,
  seriesQuery,
  seriesRows,
  type InfluxLayout,
  type RawResponse,
} from './telemetry-influx-schema.js';
import { bucketStarts, checkAvailabilityRange, fillBuckets, isUp, uptimeFraction, type UpSample } from './telemetry-points.js';
import type { AvailabilityQuery, SeriesPoint, SeriesQuery } from './telemetry-store.js';

/** Devices per availability request: keeps the WHERE clause (and the URL body) modest. */
const DEVICES_PER_QUERY = 100;

const errText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export class InfluxQueries {
  constructor(
    private readonly client: () => InfluxDB | undefined,
    private readonly layout: InfluxLayout,
    private readonly clock: Clock,
  ) {}

  async series(q: SeriesQuery): Promise<SeriesPoint[]> {
    const starts = bucketStarts(q);
    const measurement = q.measurement ?? 'telemetry';
    const plan = seriesPlan(this.layout, measurement, q.field, q.from, this.clock.now());
    const text = seriesQuery(this.layout, plan, measurement, q.deviceId, q.from, q.to, q.everyMs);
    let series;
    try {
      series = resultSeries(await this.query(text), 0);
    } catch (err) {
      // mean() of a string or boolean field: there is no numeric mean, as in the embedded store.
      if (isGatewayError(err, 'GW_ERR_INFLUX_QUERY') && /unsupported mean/.test(err.message)) return fillBuckets(starts, new Map());
      throw this.queryError(err);
    }
    const means = new Map<number, number>();
    for (const s of series) for (const r of seriesRows(s)) if (typeof r.time === 'number' && typeof r.v === 'number') means.set(r.time, r.v);
    return fillBuckets(starts, means);
  }

  async availability(q: AvailabilityQuery): Promise<Record<string, number>> {
    checkAvailabilityRange(q.from, q.to, q.deviceIds);
    const ids = [...new Set(q.deviceIds)];
    const before = new Map<string, UpSample>();
    const inside = new Map<string, UpSample[]>();
    const sample = (r: Record<string, unknown>): UpSample | undefined => {
      const up = isUp(r);
      return typeof r.time === 'number' && up !== undefined ? { at: r.time, up } : undefined;
    };
    for (let i = 0; i < ids.length; i += DEVICES_PER_QUERY) {
      const text = availabilityQuery(this.layout, ids.slice(i, i + DEVICES_PER_QUERY), q.from, q.to);
      try {
        const resp = await this.query(text);
        for (const s of resultSeries(resp, 0)) {
          const r = seriesRows(s)[0];
          const smp = r && sample(r);
          if (s.tags?.device !== undefined && smp) before.set(s.tags.device, smp);
        }
        for (const s of resultSeries(resp, 1)) {
          const list = seriesRows(s).map(sample).filter((x): x is UpSample => x !== undefined);
          if (s.tags?.device !== undefined) inside.set(s.tags.device, list);
        }
      } catch (err) {
        throw this.queryError(err);
      }
    }
    return Object.fromEntries(ids.map((id) => [id, uptimeFraction(before.get(id), inside.get(id) ?? [], q.from, q.to)]));
  }

  async downsample(from: number, to: number): Promise<void> {
    try {
      resultSeries(await this.query(downsampleQuery(this.layout, from, to)), 0);
    } catch (err) {
      throw this.queryError(err);
    }
  }

  private async query(text: string): Promise<RawResponse> {
    const influx = this.client();
    if (!influx) throw new GatewayError('GW_ERR_INTERNAL', 'telemetry store not started');
    // POST: SELECT … INTO is refused over GET, and long device lists stay out of the URL.
    return (await influx.queryRaw(text, { precision: 'ms', method: 'POST' })) as RawResponse;
  }

  private queryError(err: unknown): GatewayError {
    // A statement InfluxDB refused is our query's fault, not the caller's: an internal error.
    return isGatewayError(err) && err.code !== 'GW_ERR_INFLUX_QUERY' ? err : new GatewayError('GW_ERR_INTERNAL', `telemetry query failed: ${errText(err)}`, { cause: err });
  }
}
