/**
 * What a person does to see that a camera works: open the stream and watch pictures arrive.
 * ffmpeg connects over RTSP, decodes a few frames (so a session that answers DESCRIBE but sends
 * no video fails), reports each frame's size and timestamp (showinfo filter), and hands us
 * every frame shrunk to a tiny grayscale picture for the picture checks.
 */
import { ffmpegMajor } from '../shared/ffmpeg-binary.js';
import { spawn } from 'node:child_process';
import { CAMERA_ERRORS } from './errors.js';

/** Size of the grayscale pictures we compare: small enough to keep, large enough for an OSD clock. */
export const ANALYSIS_WIDTH = 128;
export const ANALYSIS_HEIGHT = 96;
const FRAME_BYTES = ANALYSIS_WIDTH * ANALYSIS_HEIGHT;
/** Caps memory for high frame rates: 10 s at 25 fps. */
const MAX_FRAMES = 250;
const ANALYSIS_FILTER = `scale=${ANALYSIS_WIDTH}:${ANALYSIS_HEIGHT}:flags=area,format=gray`;

export interface StreamProbe {
  /** Frames decoded before ffmpeg stopped or the time ran out. */
  frames: number;
  width?: number;
  height?: number;
  /** Measured from the frames' timestamps, not the advertised rate. */
  fps?: number;
  /** Timestamp span between the first and the last decoded frame. */
  spanMs?: number;
  first?: Uint8Array;
  last?: Uint8Array;
  timedOut: boolean;
  /** ffmpeg's last complaint (credentials removed), when it had one. */
  error?: string;
}

interface RunResult {
  stdout: Buffer;
  stderr: string;
  timedOut: boolean;
}

/** Hides `user:password@` in URLs, which ffmpeg repeats in its messages. */
export function redactUrl(s: string): string {
  return s.replace(/([a-z][a-z0-9+.-]*:\/\/)[^\s/@]+@/gi, '$1***@');
}

export function withCredentials(uri: string, username: string, password: string): string {
  const url = new URL(uri);
  if (username) {
    url.username = username;
    url.password = password;
  }
  return url.toString();
}

/**
 * Runs ffmpeg, killing it `timeoutMs` after it starts talking (first stderr output: with
 * `-loglevel verbose` that is the connection attempt). Starting the ffmpeg binary loads
 * ~200 shared libraries and takes seconds on a loaded 2-core box: that is our cost, not the
 * camera's. The caller's signal (the check deadline) bounds the whole run.
 */
function runFfmpeg(ffmpegPath: string, args: string[], timeoutMs: number, signal: AbortSignal, maxStdout: number): Promise<RunResult> {
  return new Promise<RunResult>((resolve, reject) => {
    if (signal.aborted) {
      reject(CAMERA_ERRORS.error('GW_ERR_CAMERA_ABORTED', 'ffmpeg', { cause: signal.reason }));
      return;
    }
    const proc = spawn(ffmpegPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let bytes = 0;
    let stderr = '';
    let timedOut = false;
    let aborted = false;
    const kill = () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    };
    let timer: ReturnType<typeof setTimeout> | undefined;
    const arm = () => {
      timer ??= setTimeout(() => {
        timedOut = true;
        kill();
      }, timeoutMs);
    };
    const onAbort = () => {
      aborted = true;
      kill();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    proc.stdout.on('data', (c: Buffer) => {
      if (bytes >= maxStdout) return;
      chunks.push(c);
      bytes += c.length;
    });
    // Keep the tail only: showinfo writes a line per frame.
    proc.stderr.on('data', (c: Buffer) => {
      arm();
      stderr = (stderr + c.toString('utf8')).slice(-32_768);
    });
    const startup = setTimeout(arm, STARTUP_ALLOWANCE_MS);
    proc.on('error', (err) => {
      clearTimeout(timer);
      clearTimeout(startup);
      signal.removeEventListener('abort', onAbort);
      reject(CAMERA_ERRORS.error('GW_ERR_CAMERA_FFMPEG', `${ffmpegPath}: ${err.message}`, { cause: err }));
    });
    proc.on('close', () => {
      clearTimeout(timer);
      clearTimeout(startup);
      signal.removeEventListener('abort', onAbort);
      if (aborted) reject(CAMERA_ERRORS.error('GW_ERR_CAMERA_ABORTED', 'ffmpeg', { cause: signal.reason }));
      else resolve({ stdout: Buffer.concat(chunks), stderr, timedOut });
    });
  });
}

/** An ffmpeg that has not said a word by then is not going to; its timeout runs anyway. */
const STARTUP_ALLOWANCE_MS = 10_000;

const SHOWINFO = /\bn:\s*(\d+)\s+pts:\s*(-?\d+)\s+pts_time:\s*(-?[\d.]+).*?\bs:(\d+)x(\d+)/;
const COMPLAINT = /error|fail|refused|unauthori[sz]ed|forbidden|not found|\b4\d\d\b|\b5\d\d\b|timed out|invalid|no route/i;

function lastComplaint(stderr: string): string | undefined {
  const line = stderr
    .split(/\r?\n/)
    .filter((l) => COMPLAINT.test(l) && !SHOWINFO.test(l))
    .at(-1);
  return line === undefined ? undefined : redactUrl(line.replace(/^\[[^\]]*\]\s*/, '').trim()).slice(0, 200);
}

/** Keep every decoded frame with its own timestamp: `-fps_mode` from ffmpeg 5.1, `-vsync` before. */
function passthroughTiming(ffmpegPath: string): string[] {
  const major = ffmpegMajor(ffmpegPath);
  return major !== undefined && major < 5 ? ['-vsync', 'passthrough'] : ['-fps_mode', 'passthrough'];
}

export interface ProbeOptions {
  ffmpegPath: string;
  transport: 'tcp' | 'udp';
  /** Seconds of video to decode (timestamps, not wall clock). */
  seconds: number;
  timeoutMs: number;
  signal: AbortSignal;
}

export async function probeStream(url: string, o: ProbeOptions): Promise<StreamProbe> {
  const args = [
    // verbose: the connection attempt is logged, which starts the timeout (see runFfmpeg).
    '-hide_banner', '-nostdin', '-nostats', '-loglevel', 'verbose',
    // Decode after 0.5 s of analysis instead of 5 s, and skip the frame-rate estimate (we
    // measure it ourselves); cameras with SPS/PPS in the SDP are ready at once anyway.
    '-analyzeduration', '500000', '-fpsprobesize', '0',
    '-rtsp_transport', o.transport,
    '-i', url,
    '-map', '0:v:0', '-an', '-sn', '-dn',
    '-t', String(o.seconds), '-frames:v', String(MAX_FRAMES), ...passthroughTiming(o.ffmpegPath),
    '-vf', `showinfo,${ANALYSIS_FILTER}`,
    '-f', 'rawvideo', 'pipe:1',
  ];
  const run = await runFfmpeg(o.ffmpegPath, args, o.timeoutMs, o.signal, FRAME_BYTES * (MAX_FRAMES + 1));
  const infos = run.stderr
    .split(/\r?\n/)
    .map((l) => SHOWINFO.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ t: Number(m[3]), w: Number(m[4]), h: Number(m[5]) }));
  const count = Math.floor(run.stdout.length / FRAME_BYTES);
  const probe: StreamProbe = { frames: count, timedOut: run.timedOut };
  if (count > 0) {
    probe.first = new Uint8Array(run.stdout.subarray(0, FRAME_BYTES));
    probe.last = new Uint8Array(run.stdout.subarray((count - 1) * FRAME_BYTES, count * FRAME_BYTES));
  }
  // showinfo runs ahead of the output's -t cut: only the first `count` lines are our frames.
  const used = infos.slice(0, count);
  const firstInfo = used[0];
  const lastInfo = used.at(-1);
  if (firstInfo) {
    probe.width = firstInfo.w;
    probe.height = firstInfo.h;
  }
  if (firstInfo && lastInfo && lastInfo.t > firstInfo.t) {
    const span = lastInfo.t - firstInfo.t;
    // ffmpeg may repeat the first frame at start-up; count distinct timestamps.
    const distinct = new Set(used.map((i) => i.t)).size;
    probe.spanMs = Math.round(span * 1000);
    probe.fps = Math.round(((distinct - 1) / span) * 10) / 10;
  }
  const error = count === 0 ? lastComplaint(run.stderr) : undefined;
  if (error) probe.error = error;
  return probe;
}

/** Fetches and decodes one picture (a snapshot URI, which ffmpeg reads with Digest or Basic auth). */
export async function decodePicture(url: string, o: Omit<ProbeOptions, 'seconds' | 'transport'>): Promise<Uint8Array> {
  const args = ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'verbose', '-i', url, '-frames:v', '1', '-vf', ANALYSIS_FILTER, '-f', 'rawvideo', 'pipe:1'];
  const run = await runFfmpeg(o.ffmpegPath, args, o.timeoutMs, o.signal, FRAME_BYTES);
  if (run.stdout.length < FRAME_BYTES) {
    const why = run.timedOut ? `no picture within ${o.timeoutMs} ms` : (lastComplaint(run.stderr) ?? 'no picture decoded');
    throw CAMERA_ERRORS.error('GW_ERR_CAMERA_PROTOCOL', `snapshot: ${why}`);
  }
  return new Uint8Array(run.stdout.subarray(0, FRAME_BYTES));
}
