/**
 * Disk spool for telemetry the server could not take. Append-only NDJSON segment files,
 * replayed oldest first; bounded in bytes: past the bound an append is refused (isSpoolFull) and
 * the store keeps the points in memory, where its admission bound slows the senders. One segment is handed out at a time for replay and only deleted when the
 * replayer acknowledges it, so a crash mid-replay re-sends it (InfluxDB overwrites a point
 * with the same series and timestamp, so a re-send is harmless).
 */
import { appendFile, mkdir, readdir, readFile, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { GatewayError, isGatewayError } from '../contract/errors.js';
import { decodePointLine, encodePointLine, type StoredPoint } from './telemetry-points.js';

export interface SpoolOptions {
  dir: string;
  /** Bound on the bytes of all segment files together. Default 256 MiB. */
  maxBytes?: number;
  /** A segment is closed and a new one started past this size. Default maxBytes/16, clamped to 4 KiB..4 MiB. */
  segmentBytes?: number;
}

export interface SpoolStats {
  points: number;
  bytes: number;
  segments: number;
  /** Points unreadable on replay (a torn last line) or whose segment vanished. */
  dropped: number;
}

export interface SpoolSegment {
  id: number;
  points: StoredPoint[];
}

interface Segment {
  id: number;
  bytes: number;
  points: number;
}

const SEGMENT_RE = /^seg-(\d{12})\.ndjson$/;
const segmentName = (id: number): string => `seg-${String(id).padStart(12, '0')}.ndjson`;

export const DEFAULT_SPOOL_MAX_BYTES = 256 * 1024 * 1024;

/** The spool is at its bound (spoolMaxBytes): the points were not written (GW_ERR_INTERNAL). */
export function spoolFull(held: number, asked: number, max: number): GatewayError {
  return new GatewayError('GW_ERR_INTERNAL', `telemetry spool full: ${held} + ${asked} bytes > ${max}`);
}

export const isSpoolFull = (err: unknown): boolean => isGatewayError(err, 'GW_ERR_INTERNAL') && (err as Error).message.includes('telemetry spool full');

export class TelemetrySpool {
  private segments: Segment[] = [];
  /** Segment still being appended to (the newest), if any. */
  private active: Segment | undefined;
  /** Segment handed to the replayer; never shed while out. */
  private busy: number | undefined;
  private nextId = 1;
  private dropped = 0;
  private chain: Promise<unknown> = Promise.resolve();
  private readonly maxBytes: number;
  private readonly segmentBytes: number;

  constructor(
    private readonly opts: SpoolOptions,
    private readonly log: Logger,
  ) {
    this.maxBytes = opts.maxBytes ?? DEFAULT_SPOOL_MAX_BYTES;
    this.segmentBytes = opts.segmentBytes ?? Math.min(4 << 20, Math.max(4096, Math.floor(this.maxBytes / 16)));
  }

  /** Creates the directory and takes stock of segments left by an earlier run. */
  open(): Promise<void> {
    return this.serial(async () => {
      await mkdir(this.opts.dir, { recursive: true });
      const names = (await readdir(this.opts.dir)).filter((n) => SEGMENT_RE.test(n)).sort();
      this.segments = [];
      for (const name of names) {
        const id = Number(SEGMENT_RE.exec(name)?.[1]);
        const path = join(this.opts.dir, name);
        const buf = await readFile(path);
        let points = 0;
        for (let i = buf.indexOf(0x0a); i !== -1; i = buf.indexOf(0x0a, i + 1)) points++;
        this.segments.push({ id, bytes: buf.length, points });
        this.nextId = Math.max(this.nextId, id + 1);
      }
      // Never append to a file an earlier run may have left half-written.
      this.active = undefined;
      if (this.segments.length > 0) {
        this.log.info({ segments: this.segments.length, points: this.countPoints() }, 'telemetry spool found on disk');
      }
    });
  }

  stats(): SpoolStats {
    return {
      points: this.countPoints(),
      bytes: this.segments.reduce((n, s) => n + s.bytes, 0),
      segments: this.segments.length,
      dropped: this.dropped,
    };
  }

  isEmpty(): boolean {
    return this.segments.length === 0;
  }

  /**
   * Appends points (oldest first). Past the bound nothing is written and nothing spooled is shed:
   * it rejects (isSpoolFull) and the caller keeps the points (they were acknowledged).
   */
  append(points: StoredPoint[]): Promise<void> {
    return this.serial(async () => {
      if (points.length === 0) return;
      const lines = points.map(encodePointLine);
      const bytes = lines.reduce((n, l) => n + Buffer.byteLength(l), 0);
      const total = this.segments.reduce((n, s) => n + s.bytes, 0);
      if (total + bytes > this.maxBytes) throw spoolFull(total, bytes, this.maxBytes);
      if (!this.active) {
        this.active = { id: this.nextId++, bytes: 0, points: 0 };
        this.segments.push(this.active);
      }
      const seg = this.active;
      try {
        await appendFile(join(this.opts.dir, segmentName(seg.id)), lines.join(''));
      } catch (err) {
        // A failed append (disk full) may leave a torn line: never append after it.
        this.active = undefined;
        if (seg.points === 0) await this.remove(seg).catch(() => undefined);
        throw err;
      }
      seg.bytes += bytes;
      seg.points += lines.length;
      if (seg.bytes >= this.segmentBytes) this.active = undefined;
    });
  }

  /** The oldest segment, closed to further appends, reserved for the replayer until ack/release. */
  peek(): Promise<SpoolSegment | undefined> {
    return this.serial(async () => {
      for (;;) {
        const seg = this.segments[0];
        if (!seg) return undefined;
        if (this.active === seg) this.active = undefined;
        let text: string;
        try {
          text = await readFile(join(this.opts.dir, segmentName(seg.id)), 'utf8');
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
          // Removed behind our back: count it lost and go on with the next one.
          this.dropped += seg.points;
          this.segments = this.segments.filter((s) => s !== seg);
          this.log.warn({ segment: seg.id, points: seg.points }, 'telemetry spool segment vanished');
          continue;
        }
        this.busy = seg.id;
        const points: StoredPoint[] = [];
        let bad = 0;
        for (const line of text.split('\n')) {
          if (line === '') continue;
          const p = decodePointLine(line);
          if (p) points.push(p);
          else bad++;
        }
        if (bad > 0) {
          // A crash in the middle of an append leaves a torn last line.
          this.dropped += bad;
          this.log.warn({ segment: seg.id, lines: bad }, 'telemetry spool: unreadable lines skipped');
        }
        return { id: seg.id, points };
      }
    });
  }

  /** The replayer stored the segment: delete it. */
  ack(id: number): Promise<void> {
    return this.serial(async () => {
      if (this.busy === id) this.busy = undefined;
      const seg = this.segments.find((s) => s.id === id);
      if (seg) await this.remove(seg);
    });
  }

  /** The replayer gave up for now: the segment stays, first in line. */
  release(id: number): void {
    if (this.busy === id) this.busy = undefined;
  }

  /** Resolves when every operation queued so far has finished. */
  async idle(): Promise<void> {
    await this.serial(async () => undefined);
  }

  private async remove(seg: Segment): Promise<void> {
    await unlink(join(this.opts.dir, segmentName(seg.id))).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
    this.segments = this.segments.filter((s) => s !== seg);
    if (this.active === seg) this.active = undefined;
  }

  private countPoints(): number {
    return this.segments.reduce((n, s) => n + s.points, 0);
  }

  private serial<T>(op: () => Promise<T>): Promise<T> {
    const next = this.chain.then(op, op);
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** Current on-disk size, measured (tests use it to check the bound). */
  async diskBytes(): Promise<number> {
    const names = (await readdir(this.opts.dir)).filter((n) => SEGMENT_RE.test(n));
    let total = 0;
    for (const n of names) total += (await stat(join(this.opts.dir, n))).size;
    return total;
  }
}
