/**
 * Reference pictures, one per camera, under the adapter's data directory: the view the camera
 * had when it was first seen healthy (or when a technician reset it). Kept as PGM files so a
 * person can open them; cached in memory after the first read.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ANALYSIS_HEIGHT, ANALYSIS_WIDTH } from './media-probe.js';
import { decodePgm, encodePgm } from './picture.js';

export class ReferenceStore {
  private readonly cache = new Map<string, Uint8Array | null>();

  constructor(private readonly dir: string) {}

  fileFor(deviceId: string): string {
    return join(this.dir, `${encodeURIComponent(deviceId)}.pgm`);
  }

  async get(deviceId: string): Promise<Uint8Array | undefined> {
    const cached = this.cache.get(deviceId);
    if (cached !== undefined) return cached ?? undefined;
    let data: Uint8Array | null = null;
    try {
      const pgm = decodePgm(await readFile(this.fileFor(deviceId)));
      // A reference of another size (older version, other settings) is no reference.
      if (pgm && pgm.width === ANALYSIS_WIDTH && pgm.height === ANALYSIS_HEIGHT) data = pgm.data;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    this.cache.set(deviceId, data);
    return data ?? undefined;
  }

  async set(deviceId: string, data: Uint8Array): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await writeFile(this.fileFor(deviceId), encodePgm(data, ANALYSIS_WIDTH, ANALYSIS_HEIGHT));
    this.cache.set(deviceId, data);
  }

  /** Forget the reference; the next healthy picture becomes the new one. */
  async clear(deviceId: string): Promise<void> {
    await rm(this.fileFor(deviceId), { force: true });
    this.cache.set(deviceId, null);
  }
}
