/**
 * The readings journal (gateway/store/telemetry-journal.ts) on a real directory: appends grouped
 * while a write is under way, segments deleted only once the store kept their points, what a
 * crashed run left read back (a torn last line skipped), a failed write refused and the next one
 * written.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TelemetryJournal } from '../../../gateway/store/telemetry-journal.js';
import { encodePointLine, type StoredPoint } from '../../../gateway/store/telemetry-points.js';
import { point } from '../../contract/telemetry-store-contract.js';

const log = pino({ level: 'silent' });
const T0 = Date.now();
const reading = (i: number) => point('d1', T0 + i, { battery: i });

describe('telemetry readings journal', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'journal-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const files = async (): Promise<string[]> => (await readdir(dir)).sort();
  const text = async (): Promise<string> => (await Promise.all((await files()).map((f) => readFile(join(dir, f), 'utf8')))).join('');

  /** A store's queue as the journal sees it: points pushed, numbered as they come. */
  const queue = () => {
    const points: StoredPoint[] = [];
    return { points, push: (p: StoredPoint) => void points.push(p), get last() { return points.length; } };
  };

  it('writes the readings of a burst together: one write for those that arrive while another is under way', async () => {
    const j = new TelemetryJournal(dir, log);
    const q = queue();
    await j.open(q);
    expect(q.points).toStrictEqual([]);
    const first = j.append([reading(1)], 1);
    const rest = Array.from({ length: 50 }, (_, i) => j.append([reading(i + 2)], i + 2));
    // One promise for the whole group gathered behind the first write.
    expect(new Set(rest).size).toBe(1);
    await Promise.all([first, ...rest]);
    expect(j.stats()).toStrictEqual({ journalSegments: 1, journalWrites: 2, journalFailedWrites: 0, journalRecovered: 0, journalUnreadable: 0 });
    const lines = (await text()).trim().split('\n');
    expect(lines).toHaveLength(51);
    expect(lines[50]).toBe(encodePointLine(reading(51)).trim());
    await j.close();
  });

  it('deletes a segment only once the store has kept every point in it, read back after a restart or not', async () => {
    // Tiny segments: every write closes its segment.
    const j = new TelemetryJournal(dir, log, 1);
    await j.open(queue());
    await j.append([reading(1), reading(2)], 2);
    await j.append([reading(3)], 3);
    expect(await files()).toHaveLength(2);
    j.kept(1);
    await j.close();
    // Point 2 is not kept: its segment (and the later one) stay for the next start.
    expect(await files()).toHaveLength(2);
    const again = new TelemetryJournal(dir, log, 1);
    const q = queue();
    await again.open(q);
    expect(q.points.map((p) => p.fields.battery)).toStrictEqual([1, 2, 3]);
    // The store kept the first two points read back: their segment goes, the other stays.
    again.kept(2);
    await again.close();
    expect(await files()).toHaveLength(1);
    const third = new TelemetryJournal(dir, log, 1);
    const q3 = queue();
    await third.open(q3);
    expect(q3.points.map((p) => p.fields.battery)).toStrictEqual([3]);
    third.kept(1);
    await third.close();
    expect(await files()).toStrictEqual([]);
  });

  it('reads back what a crashed run left, skipping a torn last line, and counts it', async () => {
    const j = new TelemetryJournal(dir, log);
    await j.open(queue());
    await j.append([reading(1), reading(2)], 2);
    // The process dies here (no close); a last append was cut halfway.
    const [name] = await files();
    await writeFile(join(dir, name as string), `${await text()}${encodePointLine(reading(3)).slice(0, 20)}`);
    const next = new TelemetryJournal(dir, log);
    const q = queue();
    await next.open(q);
    expect(q.points.map((p) => [p.tags.device, p.at, p.fields.battery])).toStrictEqual([
      ['d1', T0 + 1, 1],
      ['d1', T0 + 2, 2],
    ]);
    expect(next.stats()).toStrictEqual({ journalSegments: 1, journalWrites: 0, journalFailedWrites: 0, journalRecovered: 2, journalUnreadable: 1 });
    // New appends go to a new segment, never after the torn line.
    await next.append([reading(4)], 3);
    expect(await files()).toHaveLength(2);
    next.kept(3);
    await next.close();
    expect(await files()).toStrictEqual([]);
  });

  it('refuses the readings of a write that fails (no acknowledgement) and writes the next ones', async () => {
    const j = new TelemetryJournal(dir, log);
    await j.open(queue());
    await rm(dir, { recursive: true, force: true });
    const failed = await j.append([reading(1)], 1).then(
      () => 'written',
      (err: NodeJS.ErrnoException) => err.code,
    );
    expect(failed).toBe('ENOENT');
    expect(j.stats()).toMatchObject({ journalWrites: 0, journalFailedWrites: 1 });
    await j.open(queue());
    await j.append([reading(2)], 2);
    expect(await text()).toBe(encodePointLine(reading(2)));
    j.kept(2);
    await j.close();
    expect(await files()).toStrictEqual([]);
  });
});
