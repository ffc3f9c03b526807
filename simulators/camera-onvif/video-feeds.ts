/**
 * Picture sources of the simulated cameras. One ffmpeg process per kind of picture, shared by
 * every camera showing it: a district of 130 cameras (or 1,000 in the benchmark) costs one
 * encoder for the live scene plus one per fault picture in use.
 *
 * Each ffmpeg encodes H.264 to RTP on a loopback UDP port (served to RTSP sessions by
 * rtsp-server.ts) and, from the same decoded frames, a JPEG per second on stdout (the
 * snapshot URI). The live scene is testsrc2, whose running clock makes consecutive pictures
 * differ, as a real camera's on-screen time does.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { RtpFeed } from './rtsp-server.js';

export const PICTURE_KINDS = ['live', 'black', 'moved', 'frozen'] as const;
export type PictureKind = (typeof PICTURE_KINDS)[number];

export interface FeedOptions {
  ffmpegPath: string;
  width: number;
  height: number;
  fps: number;
  /** Directory for the SDP file and the frozen still. */
  workDir: string;
  log: Logger;
}

const READY_TIMEOUT_MS = 15_000;

/** Splits a stream of concatenated JPEGs (ffmpeg image2pipe) at each EOI (ITU-T T.81 B.1.1.2). */
export function splitJpegs(buf: Buffer): { images: Buffer[]; rest: Buffer } {
  const images: Buffer[] = [];
  let start = 0;
  for (;;) {
    if (buf.length - start < 4) break;
    if (buf[start] !== 0xff || buf[start + 1] !== 0xd8) {
      const soi = buf.indexOf(Buffer.from([0xff, 0xd8]), start + 1);
      if (soi < 0) return { images, rest: Buffer.alloc(0) };
      start = soi;
      continue;
    }
    const end = jpegEnd(buf, start);
    if (end < 0) break;
    images.push(Buffer.from(buf.subarray(start, end)));
    start = end;
  }
  return { images, rest: Buffer.from(buf.subarray(start)) };
}

/** Offset just past the EOI of the JPEG starting at `start`, or -1 if it is incomplete. */
function jpegEnd(buf: Buffer, start: number): number {
  let i = start + 2;
  // Marker segments up to the start of scan carry a length (T.81 B.1.1.4).
  while (i + 4 <= buf.length) {
    if (buf[i] !== 0xff) return -1;
    const marker = buf[i + 1] ?? 0;
    const len = buf.readUInt16BE(i + 2);
    i += 2 + len;
    if (marker === 0xda) break;
  }
  // Entropy-coded data: 0xFF is followed by 0x00 (stuffing) or RSTn, except for real markers.
  for (; i + 1 < buf.length; i++) {
    if (buf[i] !== 0xff) continue;
    const next = buf[i + 1] ?? 0;
    if (next === 0xd9) return i + 2;
    if (next !== 0x00 && (next < 0xd0 || next > 0xd7) && next !== 0xff) {
      const len = i + 4 <= buf.length ? buf.readUInt16BE(i + 2) : 0;
      if (len === 0) return -1;
      i += 1 + len; // a further scan (progressive) or table between scans
    }
  }
  return -1;
}

function lavfiInput(kind: PictureKind, o: FeedOptions, still: string): string[] {
  const size = `size=${o.width}x${o.height}:rate=${o.fps}`;
  switch (kind) {
    case 'live':
      return ['-re', '-f', 'lavfi', '-i', `testsrc2=${size}`];
    case 'black':
      // A covered lens: not digital zero, a little above black level.
      return ['-re', '-f', 'lavfi', '-i', `color=c=0x080808:${size}`];
    case 'moved':
      // The camera now looks at something else: a different scene, still alive (counter runs).
      return ['-re', '-f', 'lavfi', '-i', `testsrc=${size}`];
    case 'frozen':
      return ['-re', '-loop', '1', '-framerate', String(o.fps), '-i', still];
  }
}

export class VideoFeed implements RtpFeed {
  private proc: ChildProcess | undefined;
  private udp: dgram.Socket | undefined;
  private readonly subscribers = new Set<(rtp: Buffer) => void>();
  private sdpMedia: string | undefined;
  private jpeg: Buffer | undefined;
  private stopped = false;
  private ready: Promise<void> | undefined;
  private restartTimer: ReturnType<typeof setTimeout> | undefined;
  private sps: Buffer | undefined;
  private pps: Buffer | undefined;

  constructor(
    readonly kind: PictureKind,
    private readonly opts: FeedOptions,
    /** For `frozen`: the picture to freeze on. */
    private readonly still?: Buffer,
  ) {}

  /** Starts the encoder; resolves once RTP flows and a first snapshot exists. */
  start(): Promise<void> {
    this.ready ??= this.launch();
    return this.ready;
  }

  async media(): Promise<string> {
    await this.start();
    return this.sdpMedia ?? '';
  }

  async snapshot(): Promise<Buffer> {
    await this.start();
    if (!this.jpeg) throw new Error('no snapshot yet');
    return this.jpeg;
  }

  subscribe(onPacket: (rtp: Buffer) => void): () => void {
    this.subscribers.add(onPacket);
    return () => this.subscribers.delete(onPacket);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.subscribers.clear();
    const proc = this.proc;
    this.proc = undefined;
    if (proc && proc.exitCode === null && proc.signalCode === null) {
      await new Promise<void>((resolve) => {
        proc.once('exit', () => resolve());
        proc.kill('SIGKILL');
      });
    }
    const udp = this.udp;
    this.udp = undefined;
    if (udp) await new Promise<void>((resolve) => udp.close(() => resolve()));
  }

  private async launch(): Promise<void> {
    const udp = dgram.createSocket('udp4');
    this.udp = udp;
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(0, '127.0.0.1', () => resolve());
    });
    udp.on('error', (err) => this.opts.log.warn({ err, kind: this.kind }, 'feed socket error'));
    const still = join(this.opts.workDir, `${this.kind}-still.jpg`);
    if (this.still) await writeFile(still, this.still);
    let gotParams!: () => void;
    const params = new Promise<void>((resolve) => (gotParams = resolve));
    udp.on('message', (pkt) => {
      // RTCP sender reports share the port (rtcpport below); RFC 5761 §4: PT 200-204.
      const pt = (pkt[1] ?? 0) & 0x7f;
      if (pt >= 72 && pt <= 76) return;
      if (!this.sps || !this.pps) {
        this.noteParameterSet(pkt);
        if (this.sps && this.pps) gotParams();
      }
      for (const fn of this.subscribers) fn(pkt);
    });
    let gotJpeg!: () => void;
    const firstJpeg = new Promise<void>((resolve) => (gotJpeg = resolve));
    let timer: ReturnType<typeof setTimeout> | undefined;
    let failed!: (err: Error) => void;
    const timeout = new Promise<never>((_, reject) => {
      failed = reject;
      timer = setTimeout(() => reject(new Error(`${this.kind} feed did not start within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
    });
    this.spawnEncoder(udp.address().port, still, gotJpeg, failed);
    try {
      await Promise.race([Promise.all([params, firstJpeg]), timeout]);
    } finally {
      clearTimeout(timer);
    }
    const sdp = await readFile(this.sdpPath(), 'utf8');
    const media = sdp.slice(sdp.indexOf('m=')).split(/\r?\n/).filter((l) => l && !l.startsWith('c=') && !l.startsWith('a=control'));
    this.sdpMedia = media.map((l) => (l.startsWith('m=') ? l.replace(/^m=video \d+/, 'm=video 0') : this.withParameterSets(l))).join('\r\n') + '\r\n';
  }

  /** Keeps the SPS and PPS as they pass: single NAL unit packets or STAP-A (RFC 6184 §5.6, §5.7.1). */
  private noteParameterSet(rtp: Buffer): void {
    const payload = rtp.subarray(12 + 4 * ((rtp[0] ?? 0) & 0x0f));
    const nals: Buffer[] = [];
    if (((payload[0] ?? 0) & 0x1f) === 24) {
      for (let i = 1; i + 2 <= payload.length; ) {
        const size = payload.readUInt16BE(i);
        nals.push(payload.subarray(i + 2, i + 2 + size));
        i += 2 + size;
      }
    } else {
      nals.push(payload);
    }
    for (const nal of nals) {
      const type = (nal[0] ?? 0) & 0x1f;
      if (type === 7) this.sps = Buffer.from(nal);
      if (type === 8) this.pps = Buffer.from(nal);
    }
  }

  /**
   * RFC 6184 §8.1: cameras announce SPS/PPS in the SDP (sprop-parameter-sets) so players
   * know the picture size before the first frame; ffmpeg's RTP muxer leaves them out.
   */
  private withParameterSets(line: string): string {
    if (!line.startsWith('a=fmtp:') || !this.sps || !this.pps || line.includes('sprop-parameter-sets')) return line;
    const profileLevel = this.sps.subarray(1, 4).toString('hex').toUpperCase();
    return `${line};profile-level-id=${profileLevel};sprop-parameter-sets=${this.sps.toString('base64')},${this.pps.toString('base64')}`;
  }

  private sdpPath(): string {
    return join(this.opts.workDir, `${this.kind}.sdp`);
  }

  private spawnEncoder(port: number, still: string, gotJpeg: () => void, failed: (err: Error) => void = () => undefined): void {
    const o = this.opts;
    // A keyframe every half second: a new RTSP viewer waits at most that long for a picture.
    const gop = Math.max(1, Math.round(o.fps / 2));
    const args = [
      '-hide_banner', '-nostdin', '-nostats', '-loglevel', 'error',
      ...lavfiInput(this.kind, o, still),
      '-map', '0:v', '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-profile:v', 'baseline',
      '-pix_fmt', 'yuv420p', '-g', String(gop), '-keyint_min', String(gop), '-sc_threshold', '0', '-bf', '0', '-threads', '1',
      '-f', 'rtp', '-payload_type', '96', '-sdp_file', this.sdpPath(), `rtp://127.0.0.1:${port}?rtcpport=${port}&pkt_size=1200`,
      '-map', '0:v', '-r', '1', '-c:v', 'mjpeg', '-q:v', '4', '-threads', '1', '-f', 'image2pipe', 'pipe:1',
    ];
    const proc = spawn(o.ffmpegPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    let pending: Buffer = Buffer.alloc(0);
    proc.stdout.on('data', (chunk: Buffer) => {
      const { images, rest } = splitJpegs(pending.length ? Buffer.concat([pending, chunk]) : chunk);
      pending = rest;
      const last = images.at(-1);
      if (last) {
        this.jpeg = last;
        gotJpeg();
      }
    });
    let stderr = '';
    proc.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
    proc.on('error', (err) => {
      o.log.error({ err, kind: this.kind }, 'cannot run ffmpeg');
      failed(new Error(`GW_ERR_SIM_FFMPEG: cannot run ${o.ffmpegPath}: ${err.message}`));
    });
    proc.on('exit', (code, signal) => {
      if (this.stopped || this.proc !== proc) return;
      o.log.warn({ kind: this.kind, code, signal, stderr }, 'feed encoder exited; restarting');
      this.restartTimer = setTimeout(() => {
        if (!this.stopped && this.udp) this.spawnEncoder(port, still, () => undefined);
      }, 1000);
    });
  }
}

/** Starts a feed per picture kind on first use; stops fault feeds nobody shows any more. */
export class VideoFeeds {
  private readonly feeds = new Map<PictureKind, VideoFeed>();

  constructor(private readonly opts: FeedOptions) {}

  async get(kind: PictureKind): Promise<VideoFeed> {
    let feed = this.feeds.get(kind);
    if (!feed) {
      const still = kind === 'frozen' ? await (await this.get('live')).snapshot() : undefined;
      feed = this.feeds.get(kind);
      if (!feed) {
        feed = new VideoFeed(kind, this.opts, still);
        this.feeds.set(kind, feed);
      }
    }
    await feed.start();
    return feed;
  }

  /** The feed for `kind` without waiting for it to run (RTSP requests wait on media()). */
  peek(kind: PictureKind): VideoFeed | undefined {
    return this.feeds.get(kind);
  }

  async release(inUse: ReadonlySet<PictureKind>): Promise<void> {
    for (const [kind, feed] of [...this.feeds]) {
      if (kind === 'live' || inUse.has(kind)) continue;
      this.feeds.delete(kind);
      await feed.stop();
    }
  }

  async stop(): Promise<void> {
    const feeds = [...this.feeds.values()];
    this.feeds.clear();
    await Promise.all(feeds.map((f) => f.stop()));
  }
}
