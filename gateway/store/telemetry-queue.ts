/**
 * In-memory FIFO of validated points, cut into batches: a batch is sealed when it reaches the
 * batch size or when the flush timer fires; only sealed batches leave the queue. Taking a
 * whole batch is O(1), so a full buffer never costs a large splice on the write path.
 */
import type { StoredPoint } from './telemetry-points.js';

export class BatchQueue {
  private sealed: StoredPoint[][] = [];
  private open: StoredPoint[] = [];
  private count = 0;

  constructor(private readonly batchSize: number) {}

  push(p: StoredPoint): void {
    this.open.push(p);
    this.count++;
    if (this.open.length >= this.batchSize) this.seal();
  }

  /** Closes the batch being filled so it can leave (timer tick, flush, shutdown). */
  seal(): void {
    if (this.open.length === 0) return;
    this.sealed.push(this.open);
    this.open = [];
  }

  /** Puts a batch that could not be stored back at the head of the line. */
  unshift(batch: StoredPoint[]): void {
    if (batch.length === 0) return;
    this.sealed.unshift(batch);
    this.count += batch.length;
  }

  /** Oldest sealed batch, if any. */
  take(): StoredPoint[] | undefined {
    const b = this.sealed.shift();
    if (b) this.count -= b.length;
    return b;
  }

  get size(): number {
    return this.count;
  }

  get ready(): number {
    return this.sealed.length;
  }
}
