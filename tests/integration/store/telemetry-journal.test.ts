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
import { encodePointLine } from '../../../gateway/store/telemetry-points.js';
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

  it('writes the readings of a burst together: one write for those that arrive while another is under way', async () => {
    const j = new TelemetryJournal(dir, log);
    expect(await j.open()).toStrictEqual([]);
    const first = j.append([reading(1)], 1);
    const rest = Array.from({ length: 50 }, (_, i) => j.append([reading(i + 2)], i + 2));
    // One promise for the whole group gathered behind the first write.
    expect(new Set(rest).size).toBe(1);
    await Promise.all([first, ...rest]);
    expect(j.stats()).toMatchObject({ writes: 2, failedWrites: 0, segments: 1 });
    const lines = (await text()).trim().split('\n');
    expect(lines).toHaveLength(51);
    expect(lines[50]).toBe(encodePointLine(reading(51)).trim());
    await j.close();
  });

  it('deletes a segment only once the store has kept every point in it', async () => {
    // Tiny segments: every write closes its segment.
    const j = new TelemetryJournal(dir, log, 1);
    await j.open();
    await j.append([reading(1), reading(2)], 2);
    await j.append([reading(3)], 3);
    expect(await files()).toHaveLength(2);
    j.kept(1);
    await j.close();
    // Point 2 is not kept: its segment (and the later one) stay for the next start.
    expect(await files()).toHaveLength(2);
    const again = new TelemetryJournal(dir, log, 1);
    expect((await again.open()).map((p) => p.fields.battery)).toStrictEqual([1, 2, 3]);
    again.recovered(3);
    again.kept(2);
    await again.close();
    expect(await files()).toHaveLength(2);
    const third = new TelemetryJournal(dir, log, 1);
    await third.open();
    third.recovered(3);
    third.kept(3);
    await third.close();
    expect(await files()).toStrictEqual([]);
  });

  it('reads back what a crashed run left, skipping a torn last line, and counts it', async () => {
    const j = new TelemetryJournal(dir, log);
    await j.open();
    await j.append([reading(1), reading(2)], 2);
    // The process dies here (no close); a last append was cut halfway.
    const [name] = await files();
    await writeFile(join(dir, name as string), `${await text()}${encodePointLine(reading(3)).slice(0, 20)}`);
    const next = new TelemetryJournal(dir, log);
    const left = await next.open();
    expect(left.map((p) => [p.tags.device, p.at, p.fields.battery])).toStrictEqual([
      ['d1', T0 + 1, 1],
      ['d1', T0 + 2, 2],
    ]);
    expect(next.stats()).toMatchObject({ recovered: 2, unreadable: 1 });
    // New appends go to a new segment, never after the torn line.
    await next.append([reading(4)], 3);
    expect(await files()).toHaveLength(2);
    next.recovered(2);
    next.kept(3);
    await next.close();
    expect(await files()).toStrictEqual([]);
  });

  it('refuses the readings of a write that fails (no acknowledgement) and writes the next ones', async () => {
    const j = new TelemetryJournal(dir, log);
    await j.open();
    await rm(dir, { recursive: true, force: true });
    const failed = await j.append([reading(1)], 1).then(
      () => 'written',
      (err: NodeJS.ErrnoException) => err.code,
    );
    expect(failed).toBe('ENOENT');
    expect(j.stats()).toMatchObject({ writes: 0, failedWrites: 1 });
    await j.open();
    await j.append([reading(2)], 2);
    expect(await text()).toBe(encodePointLine(reading(2)));
    j.kept(2);
    await j.close();
    expect(await files()).toStrictEqual([]);
  });
});
