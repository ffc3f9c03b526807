/**
 * Write-ahead journal of device readings: "acknowledged means kept", across a crash too.
 *
 * A device's reading is acknowledged (PUBACK) once its point is in this journal, an append-only
 * file in the kernel's hands, so a kill -9 of the gateway never loses a reading it acknowledged,
 * whatever the store was doing (SQLite compacting, InfluxDB answering slowly). The store commits
 * the same points later, in its own batches; once every point of a journal segment is kept by the
 * store (BatchQueue's arrival-order ledger, telemetry-queue.ts), the segment is deleted. At start,
 * segments left by a crashed run are read back and their points written to the store again: a
 * point already stored is the same series and millisecond, so it merges (embedded) or overwrites
 * (InfluxDB) and is never doubled.
 *
 * Appends are grouped (group commit): points that arrive while a write is in flight go together in
 * the next write and share one promise, so a burst costs one write and one promise, not one per
 * reading. Writes run on libuv's thread pool (fs.promises), never on the event loop. Bounded by the
 * store's admission bound: points not yet kept are at most `maxBufferedPoints` plus those of the
 * segment being written. A power cut can still lose the last writes (the journal is not fsynced
 * per append, as the state store's SQLite is not: synchronous = NORMAL).
 */
import { mkdir, open, readdir, readFile, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { decodePointLine, encodePointLine, type StoredPoint } from './telemetry-points.js';
import type { TelemetryPoint } from '../core/devices/telemetry.js';
import type { TelemetryStats } from './telemetry-store.js';

const SEGMENT_RE = /^journal-(\d{12})\.ndjson$/;
const segmentName = (id: number): string => `journal-${String(id).padStart(12, '0')}.ndjson`;
/** A segment is closed past this size; it is deleted once all its points are kept. */
const SEGMENT_BYTES = 4 << 20;

interface Segment {
  id: number;
  /** The arrival number (BatchQueue) of its last point: deleted once the store kept that far. */
  last: number;
}

interface Group {
  /** The lines, one string (appending to a string is cheaper than an array of lines joined). */
  text: string;
  points: number;
  /** Arrival number of the group's last point. */
  last: number;
  done: Promise<void>;
  resolve: () => void;
  reject: (err: Error) => void;
}

/** Where a store queues points: arrival numbers are counted by the queue (telemetry-queue.ts). */
export interface ArrivalQueue {
  push(p: StoredPoint): void;
  /** Arrival number of the last point pushed. */
  readonly last: number;
}

function newGroup(): Group {
  let resolve: () => void = () => {};
  let reject: (err: Error) => void = () => {};
  const done = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Every reading of the group awaits it; a failure is theirs to handle, never "unhandled" here.
  done.catch(() => undefined);
  return { text: '', points: 0, last: 0, done, resolve, reject };
}

export class TelemetryJournal {
  private opened = false;
  private nextId = 1;
  /** The segment being appended to. */
  private active: (Segment & { file: FileHandle; bytes: number }) | undefined;
  /** Closed segments, oldest first, waiting until the store kept their last point. */
  private closed: Segment[] = [];
  /** Points gathered for the next write. */
  private gathering: Group | undefined;
  private writing: Promise<void> | undefined;
  private keptThrough = 0;
  private removing: Promise<void> = Promise.resolve();
  /** Appends (groups) written and failed (their readings not acknowledged); points read back at start and lines unreadable then (a torn last line). */
  private readonly counts = { writes: 0, failedWrites: 0, recovered: 0, unreadable: 0 };

  constructor(
    private readonly dir: string,
    private readonly log: Logger,
    private readonly segmentBytes = SEGMENT_BYTES,
  ) {}

  /**
   * Creates the directory and hands the store's `queue` what a crashed run left, oldest first;
   * each segment read back is deleted once the store kept its points, as any other.
   */
  async open(queue: ArrivalQueue): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const names = (await readdir(this.dir)).filter((n) => SEGMENT_RE.test(n)).sort();
    for (const name of names) {
      const id = Number(SEGMENT_RE.exec(name)?.[1]);
      this.nextId = Math.max(this.nextId, id + 1);
      const text = await readFile(join(this.dir, name), 'utf8');
      for (const line of text.split('\n')) {
        if (line === '') continue;
        const p = decodePointLine(line);
        if (!p) this.counts.unreadable++;
        else {
          queue.push(p);
          this.counts.recovered++;
        }
      }
      this.closed.push({ id, last: queue.last });
    }
    if (names.length > 0) this.log.warn({ segments: names.length, points: this.counts.recovered, unreadable: this.counts.unreadable }, 'telemetry journal: readings acknowledged before a crash are written to the store again');
    this.opened = true;
    this.kick();
  }

  /**
   * Journals a device's points, whose last arrival number in the store is `last`. Settles once
   * they are written (shared by every point of the same write); rejects if the write failed.
   */
  append(points: readonly TelemetryPoint[], last: number): Promise<void> {
    const g = (this.gathering ??= newGroup());
    for (const p of points) g.text += encodePointLine(p);
    g.points += points.length;
    g.last = Math.max(g.last, last);
    this.kick();
    return g.done;
  }

  /**
   * A device's points: queued by `store.write` (which may refuse them as invalid, counted there)
   * and journaled if it took any. Settles once they are in the journal; undefined when there is
   * nothing to keep.
   */
  keep(points: TelemetryPoint[], queue: { readonly last: number }, store: { write(points: TelemetryPoint[]): void }): Promise<void> | undefined {
    const before = queue.last;
    store.write(points);
    if (queue.last === before) return undefined;
    return this.append(points, queue.last);
  }

  /** The store kept every point up to arrival number `through`: the segments wholly behind it go. */
  kept(through: number): void {
    this.keptThrough = Math.max(this.keptThrough, through);
    let n = 0;
    while (n < this.closed.length && (this.closed[n] as Segment).last <= this.keptThrough) n++;
    if (n === 0) return;
    const gone = this.closed.splice(0, n);
    this.removing = this.removing.then(() => this.remove(gone));
  }

  /** Waits for the writes under way; closes the file. Segments whose points are all kept are deleted, the rest stay for the next start. */
  async close(): Promise<void> {
    while (this.writing) await this.writing;
    const a = this.active;
    this.active = undefined;
    if (a) {
      await a.file.close().catch(() => undefined);
      this.closed.push({ id: a.id, last: a.last });
    }
    this.kept(this.keptThrough);
    await this.removing;
  }

  /** Its figures as the store's stats() carries them (/api/health's `telemetry`). */
  stats(): Pick<TelemetryStats, 'journalSegments' | 'journalWrites' | 'journalFailedWrites' | 'journalRecovered' | 'journalUnreadable'> {
    const c = this.counts;
    return { journalSegments: this.closed.length + (this.active ? 1 : 0), journalWrites: c.writes, journalFailedWrites: c.failedWrites, journalRecovered: c.recovered, journalUnreadable: c.unreadable };
  }

  /** Starts the next write if one is gathered and none is under way. */
  private kick(): void {
    if (this.writing || !this.opened || !this.gathering) return;
    const g = this.gathering;
    this.gathering = undefined;
    this.writing = this.write(g).finally(() => {
      this.writing = undefined;
      this.kick();
    });
  }

  private async write(g: Group): Promise<void> {
    let seg = this.active;
    try {
      if (!seg) {
        const id = this.nextId++;
        seg = this.active = { id, last: 0, bytes: 0, file: await open(join(this.dir, segmentName(id)), 'a') };
      }
      // The segment must outlive the store's commit of these points, whatever happens to the write.
      seg.last = Math.max(seg.last, g.last);
      // appendFile writes it all (write() may write part of it).
      await seg.file.appendFile(g.text);
      // Characters, not bytes: near enough to decide when a segment is full.
      seg.bytes += g.text.length;
      this.counts.writes++;
      g.resolve();
    } catch (err) {
      this.counts.failedWrites++;
      if (this.counts.failedWrites <= 3 || this.counts.failedWrites % 60 === 0) this.log.error({ err, points: g.points, failures: this.counts.failedWrites }, 'telemetry journal write failed: those readings are not acknowledged (the devices send them again)');
      // A failed write may leave a torn line: never append after it.
      if (seg) await this.closeActive();
      g.reject(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    if (seg.bytes >= this.segmentBytes) await this.closeActive();
  }

  private async closeActive(): Promise<void> {
    const a = this.active;
    if (!a) return;
    this.active = undefined;
    await a.file.close().catch(() => undefined);
    this.closed.push({ id: a.id, last: a.last });
    this.kept(this.keptThrough);
  }

  private async remove(segments: Segment[]): Promise<void> {
    for (const s of segments) {
      await unlink(join(this.dir, segmentName(s.id))).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') this.log.warn({ err, segment: s.id }, 'telemetry journal segment could not be deleted');
      });
    }
  }
}
