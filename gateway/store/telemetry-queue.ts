/**
 * In-memory FIFO of validated points, cut into batches: a batch is sealed when it reaches the
 * batch size or when the flush timer fires; only sealed batches leave the queue. Taking a whole
 * batch is O(1), so a full buffer never costs a large splice on the write path.
 *
 * It also knows how far the store has kept the points, in arrival order: the readings journal
 * (telemetry-journal.ts) deletes a segment only once every point in it is kept. Stores keep
 * batches out of order (InfluxDB has several requests in flight, a batch may go to the spool
 * while a later one is answered), so each sealed batch carries its place in the arrival order (a
 * segment) and `keptThrough` grows as the prefix of wholly kept segments does.
 */
import Denque from 'denque';
import type { StoredPoint } from './telemetry-points.js';

/** A sealed batch's place in the arrival order: the number of its last point and how many of its points are not kept yet. */
export class Segment {
  constructor(
    readonly end: number,
    public remaining: number,
  ) {}
}

/** Points on their way to storage, with their place in the arrival order. */
export class Batch {
  constructor(
    readonly points: StoredPoint[],
    readonly segment: Segment,
  ) {}

  get length(): number {
    return this.points.length;
  }

  /** Some of this batch's points (what is left after a partial commit, a failed request), in the same place. */
  with(points: StoredPoint[]): Batch {
    return new Batch(points, this.segment);
  }
}

export class BatchQueue {
  private sealed: Batch[] = [];
  private open: StoredPoint[] = [];
  private count = 0;
  /** Points pushed since start (a point's number is the count after its push). */
  private pushed = 0;
  /** Every point up to this number is kept. */
  private keptUpTo = 0;
  /** Sealed segments not wholly kept yet, oldest first (including those whose batches left the queue). */
  private readonly segments = new Denque<Segment>();

  constructor(
    private readonly batchSize: number,
    /** Told each time `keptThrough` grows. */
    private readonly onKept: (through: number) => void = () => {},
  ) {}

  push(p: StoredPoint): void {
    this.open.push(p);
    this.count++;
    this.pushed++;
    if (this.open.length >= this.batchSize) this.seal();
  }

  /** Closes the batch being filled so it can leave (timer tick, flush, shutdown). */
  seal(): void {
    if (this.open.length === 0) return;
    const segment = new Segment(this.pushed, this.open.length);
    this.segments.push(segment);
    this.sealed.push(new Batch(this.open, segment));
    this.open = [];
  }

  /** Puts points that could not be stored back at the head of the line (their place unchanged). */
  unshift(batch: Batch): void {
    if (batch.length === 0) return;
    this.sealed.unshift(batch);
    this.count += batch.length;
  }

  /** Oldest sealed batch, if any. */
  take(): Batch | undefined {
    const b = this.sealed.shift();
    if (b) this.count -= b.length;
    return b;
  }

  /** `n` points of `batch` are kept (committed, answered, spooled). */
  kept(batch: Batch, n: number): void {
    if (n <= 0) return;
    batch.segment.remaining -= n;
    const before = this.keptUpTo;
    for (let s = this.segments.peekFront(); s && s.remaining <= 0; s = this.segments.peekFront()) {
      this.segments.shift();
      this.keptUpTo = s.end;
    }
    if (this.keptUpTo > before) this.onKept(this.keptUpTo);
  }

  /** Every point up to this arrival number is kept. */
  get keptThrough(): number {
    return this.keptUpTo;
  }

  /** Arrival number of the last point pushed (points are numbered from 1 as pushed). */
  get last(): number {
    return this.pushed;
  }

  get size(): number {
    return this.count;
  }

  get ready(): number {
    return this.sealed.length;
  }
}
