/**
 * Messages between the embedded telemetry store (main thread) and its writer thread
 * (telemetry-writer.ts). Plain data only: a batch travels as one flat array
 * [measurement, tags, fields, at, measurement, tags, …], which structured clone copies faster
 * than an array of point objects, and no class instance ever crosses.
 */
import type { Scalar } from '../contract/types.js';
import type { CompactOptions } from './telemetry-embedded-sql.js';
import type { StoredPoint } from './telemetry-points.js';

/** workerData of the writer thread. */
export interface WriterInit {
  /** The SQLite file (telemetry.sqlite). */
  file: string;
  /** Compaction thresholds of the staging table (EmbeddedSql COMPACT_ROWS / COMPACT_MS by default). */
  compact?: CompactOptions;
}

export type ToWriter =
  /** One transaction. `batch` groups the parts of one sealed batch: after a part fails, the later ones are refused unread (they go again, in order). */
  | { t: 'insert'; id: number; batch: number; points: PackedPoints }
  | { t: 'expire'; id: number; day: number; longBefore: number }
  | { t: 'close' }
  /** Tests and drills: the thread exits (code 70) right after its next `afterCommits` commits, before reporting them. */
  | { t: 'crash'; afterCommits: number };

export type FromWriter =
  | { t: 'ready' }
  /** Insert `id` is committed. */
  | { t: 'committed'; id: number }
  /** Request `id` failed (an insert: rolled back, or refused after an earlier part of its batch failed). */
  | { t: 'failed'; id: number; error: string }
  | { t: 'expired'; id: number; gone: number }
  /** A compaction failed (rolled back: the points stay in `recent`, queried there, and move at a later one). */
  | { t: 'compactFailed'; error: string };

export type PackedPoints = (string | number | Record<string, string> | Record<string, Scalar>)[];

export function packPoints(points: readonly StoredPoint[]): PackedPoints {
  const out: PackedPoints = new Array<PackedPoints[number]>(points.length * 4);
  let i = 0;
  for (const p of points) {
    out[i++] = p.measurement;
    out[i++] = p.tags;
    out[i++] = p.fields;
    out[i++] = p.at;
  }
  return out;
}

export function unpackPoints(packed: PackedPoints): StoredPoint[] {
  const out: StoredPoint[] = [];
  for (let i = 0; i + 3 < packed.length; i += 4) {
    out.push({
      measurement: packed[i] as string,
      tags: packed[i + 1] as Record<string, string>,
      fields: packed[i + 2] as Record<string, Scalar>,
      at: packed[i + 3] as number,
    });
  }
  return out;
}
