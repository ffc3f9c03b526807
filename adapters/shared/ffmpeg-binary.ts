/**
 * Which ffmpeg to run. Camera picture checks, the live view and the camera simulators all
 * spawn ffmpeg; a machine that never installed one must still run `npm start`, so `npm install`
 * brings a static build (@ffmpeg-installer/ffmpeg) that is used when none is on PATH.
 *
 * Order: FFMPEG_PATH (an operator's explicit choice) > `ffmpeg` on PATH (the distribution's,
 * usually newer) > the npm package's binary.
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';

export interface FfmpegBinary {
  path: string;
  source: 'FFMPEG_PATH' | 'PATH' | '@ffmpeg-installer/ffmpeg';
}

/** One line for a person: what is missing, what does not work without it, how to get it. */
export const FFMPEG_MISSING =
  'ffmpeg not found: camera picture checks (black, frozen, moved), the camera live view and the simulated cameras are off; ' +
  'install it (apt-get install ffmpeg), run npm install (it brings @ffmpeg-installer/ffmpeg), or set FFMPEG_PATH';

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string, pathVar: string | undefined): string | undefined {
  for (const dir of (pathVar ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (executable(candidate)) return candidate;
  }
  return undefined;
}

function fromNpm(): string | undefined {
  try {
    const { path } = createRequire(import.meta.url)('@ffmpeg-installer/ffmpeg') as { path?: unknown };
    return typeof path === 'string' && executable(path) ? path : undefined;
  } catch {
    // The package is absent (or has no binary for this platform).
    return undefined;
  }
}

export function findFfmpeg(env: Record<string, string | undefined> = process.env): FfmpegBinary | undefined {
  // An explicit choice is taken as given: a wrong FFMPEG_PATH should fail loudly where it is
  // used (with its path in the error), not silently fall back to another binary.
  if (env.FFMPEG_PATH) return { path: env.FFMPEG_PATH, source: 'FFMPEG_PATH' };
  const system = onPath('ffmpeg', env.PATH);
  if (system) return { path: system, source: 'PATH' };
  const npm = fromNpm();
  return npm ? { path: npm, source: '@ffmpeg-installer/ffmpeg' } : undefined;
}

const majors = new Map<string, number | undefined>();

/**
 * The binary's major version (ffmpeg -version), cached per path. Options changed meaning
 * across versions: RTSP `-timeout` is the socket I/O timeout from ffmpeg 5, but before it
 * meant "listen for an incoming connection" (the 2018 static build bundled by npm is 4.x,
 * where the I/O timeout is `-stimeout`).
 */
export function ffmpegMajor(path: string): number | undefined {
  if (majors.has(path)) return majors.get(path);
  let major: number | undefined;
  try {
    const out = execFileSync(path, ['-hide_banner', '-version'], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] });
    const m = /ffmpeg version n?(\d+)\./i.exec(out);
    // Git snapshots ("N-47683-g0e8eb07980") carry no number; libavformat's major tells (58 = 4.x, 59 = 5.x).
    const lavf = /libavformat\s+(\d+)\./.exec(out);
    if (m) major = Number(m[1]);
    else if (lavf) major = Number(lavf[1]) >= 59 ? Number(lavf[1]) - 54 : 4;
  } catch {
    major = undefined;
  }
  majors.set(path, major);
  return major;
}

/** RTSP input option for a socket I/O timeout (microseconds), in the binary's own spelling. */
export function rtspIoTimeoutOption(path: string): '-timeout' | '-stimeout' {
  const major = ffmpegMajor(path);
  return major !== undefined && major < 5 ? '-stimeout' : '-timeout';
}
