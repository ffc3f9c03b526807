/**
 * Live view on demand: RTSP from the camera → ffmpeg (node-rtsp-stream's MPEG-1 muxer) →
 * WebSocket viewers (jsmpeg in the browser). A stream starts when someone opens it, stops when
 * its last viewer leaves (after a short grace for page reloads), and at most `maxStreams` run at
 * once: each is an ffmpeg process re-encoding video.
 *
 * node-rtsp-stream quirks handled here (measured, see ENVIRONMENT.md): its VideoStream binds its
 * WebSocket server on every interface and logs to the console, so we use its muxer and serve
 * viewers ourselves, on 127.0.0.1 or through `attach()` from the gateway's HTTP server; its
 * options go after `-i`, so input options come from a generated wrapper script; MPEG-1
 * needs a standard rate (`-r 25`); the 8-byte jsmpeg header needs the size up front, so the
 * output size is fixed; it never restarts ffmpeg, so we do while viewers remain.
 */
import { findFfmpeg, rtspIoTimeoutOption } from '../shared/ffmpeg-binary.js';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Mpeg1Muxer from 'node-rtsp-stream/mpeg1muxer.js';
import type { Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import { systemClock, type Clock, type Timer } from '../../gateway/contract/clock.js';
import { GatewayError } from '../../gateway/contract/errors.js';
import type { StreamSource } from './stream-source.js';

export interface LiveViewOptions {
  /** Where a camera's RTSP stream is (CameraOnvifAdapter.liveSource). */
  resolve(deviceId: string, signal: AbortSignal): Promise<StreamSource>;
  log: Logger;
  /** Directory for the ffmpeg wrapper script. */
  workDir: string;
  maxStreams?: number;
  /** Own WebSocket server (`ws://host:port/live/<deviceId>`); false when the gateway mounts attach(). */
  listen?: boolean;
  host?: string;
  port?: number;
  ffmpegPath?: string;
  rtspTransport?: 'tcp' | 'udp';
  width?: number;
  height?: number;
  /** A stream nobody watches for this long is stopped. */
  idleMs?: number;
  /** ffmpeg gives up (and is restarted) when the camera sends nothing for this long. */
  stallTimeoutMs?: number;
  /** MPEG-1 video bit rate sent to each viewer. */
  bitrateKbps?: number;
  resolveTimeoutMs?: number;
  clock?: Clock;
}

export interface LiveViewHandle {
  deviceId: string;
  /** Path under the WebSocket server (also what the gateway should mount). */
  path: string;
  /** Port of the manager's own WebSocket server, when it listens. */
  wsPort?: number;
  width: number;
  height: number;
}

interface LiveStream {
  deviceId: string;
  url: string;
  muxer: Mpeg1Muxer | undefined;
  viewers: Set<WebSocket>;
  idleTimer?: Timer;
  restartTimer?: Timer;
  failures: number;
  stopping: boolean;
}

const MAX_RESTARTS = 5;
const MAX_VIEWER_BUFFER = 4 * 1024 * 1024;

export class LiveViewManager {
  private readonly streams = new Map<string, LiveStream>();
  private wss: WebSocketServer | undefined;
  private wrapper: string | undefined;

  constructor(private readonly opts: LiveViewOptions) {}

  private get clock(): Clock {
    return this.opts.clock ?? systemClock;
  }

  private get size(): { width: number; height: number } {
    return { width: this.opts.width ?? 640, height: this.opts.height ?? 360 };
  }

  get wsPort(): number | undefined {
    const addr = this.wss?.address();
    return addr && typeof addr === 'object' ? addr.port : undefined;
  }

  async start(): Promise<void> {
    const ffmpeg = this.opts.ffmpegPath ?? findFfmpeg()?.path ?? 'ffmpeg';
    // Input options must precede -i, and node-rtsp-stream puts its options after it: a
    // wrapper adds the transport and a 1 s analysis (ffmpeg's 5 s default delays the picture).
    await mkdir(this.opts.workDir, { recursive: true });
    this.wrapper = join(this.opts.workDir, 'ffmpeg-live-view.sh');
    // `-timeout` (socket I/O, microseconds): a camera that stops sending mid-stream makes ffmpeg
    // exit, and the restart below reconnects, instead of a viewer staring at a still picture.
    const stallUs = (this.opts.stallTimeoutMs ?? 10_000) * 1000;
    const input = `-rtsp_transport ${this.opts.rtspTransport ?? 'tcp'} ${rtspIoTimeoutOption(ffmpeg)} ${stallUs} -analyzeduration 1000000`;
    await writeFile(this.wrapper, `#!/bin/sh\nexec '${ffmpeg.replace(/'/g, `'\\''`)}' ${input} "$@"\n`);
    await chmod(this.wrapper, 0o755);
    if (this.opts.listen === false) return;
    const wss = new WebSocketServer({ host: this.opts.host ?? '127.0.0.1', port: this.opts.port ?? 0 });
    this.wss = wss;
    await new Promise<void>((resolve, reject) => {
      wss.once('listening', resolve);
      wss.once('error', reject);
    });
    wss.on('connection', (socket, req) => {
      const m = /^\/live\/([^/?]+)/.exec(req.url ?? '');
      this.attach(m?.[1] ? decodeURIComponent(m[1]) : '', socket);
    });
  }

  async stop(): Promise<void> {
    for (const id of [...this.streams.keys()]) this.close(id);
    const wss = this.wss;
    this.wss = undefined;
    if (wss) {
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    }
  }

  /** Streams that may run at once. */
  get maxStreams(): number {
    return this.opts.maxStreams ?? 4;
  }

  /** The picture size every viewer gets (fixed: it is in the jsmpeg header). */
  get frameSize(): { width: number; height: number } {
    return this.size;
  }

  /** Starts (or joins) the live view of a camera. Viewers then connect to `path`. */
  async open(deviceId: string): Promise<LiveViewHandle> {
    let stream = this.streams.get(deviceId);
    if (!stream) {
      this.checkLimit();
      const source = await this.opts.resolve(deviceId, AbortSignal.timeout(this.opts.resolveTimeoutMs ?? 10_000));
      stream = this.streams.get(deviceId); // another open() may have won while we asked
      if (!stream) {
        // Other cameras may have been opened while this one's stream was looked up.
        this.checkLimit();
        stream = { deviceId, url: source.url, muxer: undefined, viewers: new Set(), failures: 0, stopping: false };
        this.streams.set(deviceId, stream);
        this.spawn(stream);
        this.armIdle(stream);
      }
    }
    const port = this.wsPort;
    return { deviceId, path: `/live/${encodeURIComponent(deviceId)}`, ...(port === undefined ? {} : { wsPort: port }), ...this.size };
  }

  /** Adds a viewer socket (from the own server or the gateway's). Unknown streams are refused. */
  attach(deviceId: string, socket: WebSocket): void {
    const stream = this.streams.get(deviceId);
    if (!stream || stream.stopping) {
      socket.close(4404, 'no such live view');
      return;
    }
    if (stream.idleTimer) this.clock.clearTimeout(stream.idleTimer);
    stream.idleTimer = undefined;
    stream.viewers.add(socket);
    // jsmpeg's stream header: "jsmp", width, height (uint16 BE), as node-rtsp-stream sends it.
    const header = Buffer.alloc(8);
    header.write('jsmp', 0, 'ascii');
    header.writeUInt16BE(this.size.width, 4);
    header.writeUInt16BE(this.size.height, 6);
    socket.send(header, { binary: true });
    socket.on('close', () => {
      stream.viewers.delete(socket);
      if (stream.viewers.size === 0 && !stream.stopping) this.armIdle(stream);
    });
    socket.on('error', () => socket.terminate());
  }

  /** Stops a live view now, disconnecting its viewers. */
  close(deviceId: string): void {
    const stream = this.streams.get(deviceId);
    if (!stream) return;
    this.streams.delete(deviceId);
    stream.stopping = true;
    if (stream.idleTimer) this.clock.clearTimeout(stream.idleTimer);
    if (stream.restartTimer) this.clock.clearTimeout(stream.restartTimer);
    for (const v of stream.viewers) v.close(1001, 'live view closed');
    stream.viewers.clear();
    this.kill(stream);
  }

  private checkLimit(): void {
    if (this.streams.size >= this.maxStreams) {
      throw new GatewayError('GW_ERR_LIVE_VIEW_BUSY', `all ${this.maxStreams} live streams are in use; close one and try again`);
    }
  }

  openStreams(): string[] {
    return [...this.streams.keys()];
  }

  viewers(deviceId: string): number {
    return this.streams.get(deviceId)?.viewers.size ?? 0;
  }

  private armIdle(stream: LiveStream): void {
    if (stream.idleTimer) this.clock.clearTimeout(stream.idleTimer);
    stream.idleTimer = this.clock.setTimeout(() => {
      if (stream.viewers.size === 0) this.close(stream.deviceId);
    }, this.opts.idleMs ?? 10_000);
  }

  private kill(stream: LiveStream): void {
    const proc = stream.muxer?.stream;
    stream.muxer = undefined;
    if (proc && proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  }

  private spawn(stream: LiveStream): void {
    const { width, height } = this.size;
    const muxer = new Mpeg1Muxer({
      url: stream.url,
      ffmpegPath: this.wrapper ?? 'ffmpeg',
      ffmpegOptions: {
        '-loglevel': 'error',
        '-nostats': '',
        '-an': '',
        '-r': 25,
        '-b:v': `${this.opts.bitrateKbps ?? 1000}k`,
        '-bf': 0,
        '-vf': `scale=${width}:${height}:force_original_aspect_ratio=decrease,pad=${width}:${height}:(ow-iw)/2:(oh-ih)/2`,
      },
    });
    stream.muxer = muxer;
    muxer.on('mpeg1data', (data) => {
      stream.failures = 0;
      for (const v of stream.viewers) if (v.readyState === v.OPEN && v.bufferedAmount < MAX_VIEWER_BUFFER) v.send(data, { binary: true });
    });
    muxer.on('ffmpegStderr', () => undefined); // drained; ffmpeg runs with -loglevel error
    muxer.stream.on('error', (err) => this.opts.log.error({ err, deviceId: stream.deviceId }, 'live view: cannot run ffmpeg'));
    muxer.stream.on('exit', (code) => {
      if (stream.stopping || stream.muxer !== muxer) return;
      stream.failures++;
      if (stream.failures > MAX_RESTARTS) {
        this.opts.log.warn({ deviceId: stream.deviceId, code }, 'live view: stream keeps failing; closing');
        this.close(stream.deviceId);
        return;
      }
      const delay = Math.min(1000 * 2 ** (stream.failures - 1), 15_000);
      this.opts.log.info({ deviceId: stream.deviceId, code, retryInMs: delay }, 'live view: ffmpeg exited; restarting');
      stream.restartTimer = this.clock.setTimeout(() => {
        if (!stream.stopping) this.spawn(stream);
      }, delay);
    });
  }
}
