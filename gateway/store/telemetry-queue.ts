/**
 * In-memory FIFO of validated points, cut into batches: a batch is sealed when it reaches the
 * batch size, when the flush timer fires, or when someone waits for its points (group commit);
 * only sealed batches leave the queue. Taking a whole batch is O(1), so a full buffer never costs
 * a large splice on the write path.
 *
 * "Acknowledged means kept": a device's reading is acknowledged (PUBACK) only once its point is
 * kept (committed to SQLite, answered by InfluxDB, or appended to the spool), so a crash never
 * loses what a device was told was stored. `whenKept()` is settled once every point pushed so
 * far is kept: stores keep batches out of order (InfluxDB has several requests in flight, a
 * batch may go to the spool while a later one is answered), so each sealed batch carries its
 * place in the push order (a segment) and waiters are released in push order, as the prefix of
 * fully kept segments grows.
 */
import Denque from 'denque';
import type { StoredPoint } from './telemetry-points.js';

/** A sealed batch's place in the push order: the number of its last point and how many of its points are not kept yet. */
export class Segment {
  constructor(
    readonly end: number,
    public remaining: number,
  ) {}
}

/** Points on their way to storage, with their place in the acknowledgement order. */
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

interface Waiter {
  /** Every point up to this number must be kept. */
  through: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

export class BatchQueue {
  private sealed: Batch[] = [];
  private open: StoredPoint[] = [];
  private count = 0;
  /** Points pushed since start (a point's number is the count after its push). */
  private pushed = 0;
  /** Points sealed since start: `open` holds the numbers after it. */
  private sealedThrough = 0;
  /** Every point up to this number is kept. */
  private keptThrough = 0;
  /** Sealed segments not wholly kept yet, oldest first (including those whose batches left the queue). */
  private readonly segments = new Denque<Segment>();
  private readonly waiters = new Denque<Waiter>();

  constructor(private readonly batchSize: number) {}

  push(p: StoredPoint): void {
    this.open.push(p);
    this.count++;
    this.pushed++;
    if (this.open.length >= this.batchSize) this.seal();
  }

  /** Closes the batch being filled so it can leave (timer tick, flush, shutdown, a waiter). */
  seal(): void {
    if (this.open.length === 0) return;
    const segment = new Segment(this.pushed, this.open.length);
    this.sealedThrough = this.pushed;
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

  /** `n` points of `batch` are kept (committed, answered, spooled): waiters whose points all are go on. */
  kept(batch: Batch, n: number): void {
    if (n <= 0) return;
    batch.segment.remaining -= n;
    for (let s = this.segments.peekFront(); s && s.remaining <= 0; s = this.segments.peekFront()) {
      this.segments.shift();
      this.keptThrough = s.end;
    }
    for (let w = this.waiters.peekFront(); w && w.through <= this.keptThrough; w = this.waiters.peekFront()) {
      this.waiters.shift();
      w.resolve();
    }
  }

  /** Undefined when every point pushed so far is kept, else a promise settled once they are (rejected by `fail`). */
  whenKept(): Promise<void> | undefined {
    const through = this.pushed;
    if (through <= this.keptThrough) return undefined;
    return new Promise<void>((resolve, reject) => this.waiters.push({ through, resolve, reject }));
  }

  /** Someone waits for a point not sealed yet: seal it when the store can take a batch. */
  get waitingOnOpen(): boolean {
    const last = this.waiters.peekBack();
    return last !== undefined && last.through > this.sealedThrough;
  }

  /** The store stops with points it could not keep: those waiting for them are told (no acknowledgement). */
  fail(err: Error): void {
    const failed = this.waiters.toArray();
    this.waiters.clear();
    for (const w of failed) w.reject(err);
  }

  get size(): number {
    return this.count;
  }

  get ready(): number {
    return this.sealed.length;
  }

  /** Acknowledgements waiting for their points to be kept. */
  get waiting(): number {
    return this.waiters.length;
  }
}
