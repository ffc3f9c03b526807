import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ffmpegMajor, findFfmpeg, rtspIoTimeoutOption } from '../../../../adapters/shared/ffmpeg-binary.js';

const dir = mkdtempSync(join(tmpdir(), 'ffmpeg-binary-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A fake ffmpeg that prints a given -version banner. */
function fake(name: string, banner: string): string {
  const bin = join(dir, name);
  writeFileSync(bin, `#!/bin/sh\necho '${banner}'\n`);
  chmodSync(bin, 0o755);
  return bin;
}

describe('findFfmpeg', () => {
  const npmBinary = findFfmpeg({ PATH: '' });

  it('takes FFMPEG_PATH as given, before anything on PATH', () => {
    const sub = mkdtempSync(join(dir, 'bin-'));
    writeFileSync(join(sub, 'ffmpeg'), '#!/bin/sh\n');
    chmodSync(join(sub, 'ffmpeg'), 0o755);
    expect(findFfmpeg({ FFMPEG_PATH: '/opt/ff/ffmpeg', PATH: sub })).toStrictEqual({ path: '/opt/ff/ffmpeg', source: 'FFMPEG_PATH' });
  });

  it('uses an ffmpeg on PATH before the bundled one', () => {
    const sub = mkdtempSync(join(dir, 'bin-'));
    const bin = join(sub, 'ffmpeg');
    writeFileSync(bin, '#!/bin/sh\n');
    chmodSync(bin, 0o755);
    expect(findFfmpeg({ PATH: `/nonexistent:${sub}` })).toStrictEqual({ path: bin, source: 'PATH' });
  });

  it('falls back to the binary npm install brings (@ffmpeg-installer/ffmpeg), which runs', () => {
    expect(npmBinary?.source).toBe('@ffmpeg-installer/ffmpeg');
    expect(ffmpegMajor(npmBinary?.path ?? '')).toBeGreaterThanOrEqual(4);
  });
});

describe('version-dependent options', () => {
  it('reads the major version from the banner, or from libavformat for git snapshots', () => {
    const released = fake('ff-5', 'ffmpeg version 5.1.6-0+deb12u1 Copyright (c) 2000-2024 the FFmpeg developers');
    const snapshot4 = fake('ff-snap4', 'ffmpeg version N-47683-g0e8eb07980-static\nlibavformat    58. 18.104 / 58. 18.104');
    const snapshot6 = fake('ff-snap6', 'ffmpeg version N-111111-gabcdef\nlibavformat    60.  3.100 / 60.  3.100');
    expect([ffmpegMajor(released), ffmpegMajor(snapshot4), ffmpegMajor(snapshot6), ffmpegMajor('/nonexistent/ffmpeg')]).toStrictEqual([5, 4, 6, undefined]);
  });

  it('spells the RTSP I/O timeout as the binary understands it (-timeout meant "listen" before ffmpeg 5)', () => {
    expect([rtspIoTimeoutOption(fake('ff-4', 'ffmpeg version 4.4.2')), rtspIoTimeoutOption(fake('ff-7', 'ffmpeg version 7.0'))]).toStrictEqual(['-stimeout', '-timeout']);
  });
});
