/**
 * Live view of GB/T 28181 channels, on demand (the live-view capability, as camera-onvif offers
 * it): the first viewer's open() INVITEs the channel (SDP: receive PS over RTP on a port of ours),
 * the RTP payloads (PS) go into ffmpeg's stdin (`-f mpeg`), its MPEG-TS with MPEG-1 video goes to
 * every viewer's WebSocket after the 8-byte jsmpeg header, as the ONVIF live view sends it; the
 * last viewer leaving starts an idle timer whose end sends BYE. At most `maxStreams` run at once.
 * The HTTP route (gateway/http/cameras-routes.ts) authorises, audits and refuses before this.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import type { LiveViewPort } from '../../gateway/contract/capabilities.js';
import type { Clock, Timer } from '../../gateway/contract/clock.js';
import { errorMessage, GatewayError } from '../../gateway/contract/errors.js';
import { GB_ERRORS } from './errors.js';
import { MediaReceiver } from './media-receiver.js';

export interface MediaSession {
  /** Ends the session (BYE); resolves when the device answered or gave up. */
  bye(): Promise<void>;
  /** The device ended it (its BYE). */
  onEnded(cb: () => void): void;
}

export interface GbLiveViewOptions {
  maxStreams: number;
  width: number;
  height: number;
  bitrateKbps: number;
  idleMs: number;
  startTimeoutMs: number;
  ffmpegPath: string;
  media: { transport: 'udp' | 'tcp'; host: string };
  log: Logger;
  clock: Clock;
  /** Throws GW_ERR_UNKNOWN_DEVICE for a device that is not one of the adapter's channels. */
  validate(deviceId: string): void;
  /** INVITEs the channel to send to `port`; resolves once the device answered 200 and was ACKed. */
  invite(deviceId: string, offer: { port: number; transport: 'udp' | 'tcp' }): Promise<MediaSession>;
}

interface Stream {
  deviceId: string;
  viewers: Set<WebSocket>;
  /** Viewers that have had their first bytes (from a TS packet boundary). */
  synced: WeakSet<WebSocket>;
  /** MPEG-TS bytes ffmpeg wrote so far: where packet boundaries fall in the next chunk. */
  outBytes: number;
  receiver?: MediaReceiver;
  session?: MediaSession;
  ffmpeg?: ChildProcessWithoutNullStreams;
  ready: Promise<void>;
  idle?: Timer;
  closing: boolean;
}

const MAX_VIEWER_BUFFER = 4 * 1024 * 1024;
const TS_PACKET = 188;

export class GbLiveView implements LiveViewPort {
  private readonly streams = new Map<string, Stream>();

  constructor(private readonly opts: GbLiveViewOptions) {}

  get maxStreams(): number {
    return this.opts.maxStreams;
  }

  get frameSize(): { width: number; height: number } {
    return { width: this.opts.width, height: this.opts.height };
  }

  openStreams(): string[] {
    return [...this.streams.keys()];
  }

  viewers(deviceId: string): number {
    return this.streams.get(deviceId)?.viewers.size ?? 0;
  }

  /** Bytes and RTP packets received for a channel's stream, while it runs (tests, metrics). */
  received(deviceId: string): { packets: number; bytes: number } | undefined {
    const r = this.streams.get(deviceId)?.receiver;
    return r ? { packets: r.packets, bytes: r.bytes } : undefined;
  }

  async open(deviceId: string): Promise<{ deviceId: string; width: number; height: number }> {
    this.opts.validate(deviceId);
    let stream = this.streams.get(deviceId);
    if (!stream) {
      if (this.streams.size >= this.opts.maxStreams) {
        throw new GatewayError('GW_ERR_LIVE_VIEW_BUSY', `all ${this.opts.maxStreams} live streams are in use; close one and try again`);
      }
      // The slot is taken now, before the INVITE, so concurrent opens count it.
      const s: Stream = { deviceId, viewers: new Set(), synced: new WeakSet(), outBytes: 0, ready: Promise.resolve(), closing: false };
      s.ready = this.begin(s);
      this.streams.set(deviceId, s);
      stream = s;
      // Nobody may attach: the idle timer stops it like any stream nobody watches.
      this.armIdle(s);
    }
    try {
      await stream.ready;
    } catch (err) {
      this.close(deviceId);
      throw err;
    }
    return { deviceId, ...this.frameSize };
  }

  attach(deviceId: string, socket: WebSocket): void {
    const stream = this.streams.get(deviceId);
    if (!stream || stream.closing) {
      socket.close(4404, 'no such live view');
      return;
    }
    if (stream.idle) this.opts.clock.clearTimeout(stream.idle);
    stream.idle = undefined;
    stream.viewers.add(socket);
    // jsmpeg's stream header: "jsmp", width, height (uint16 BE).
    const h = Buffer.alloc(8);
    h.write('jsmp', 0, 'ascii');
    h.writeUInt16BE(this.opts.width, 4);
    h.writeUInt16BE(this.opts.height, 6);
    socket.send(h, { binary: true });
    socket.on('close', () => {
      stream.viewers.delete(socket);
      if (stream.viewers.size === 0 && !stream.closing) this.armIdle(stream);
    });
    socket.on('error', () => socket.terminate());
  }

  /** Stops a stream now: viewers disconnected, ffmpeg killed, BYE sent. */
  close(deviceId: string): void {
    const s = this.streams.get(deviceId);
    if (!s) return;
    this.streams.delete(deviceId);
    s.closing = true;
    if (s.idle) this.opts.clock.clearTimeout(s.idle);
    for (const v of s.viewers) v.close(1001, 'live view closed');
    s.viewers.clear();
    if (s.ffmpeg && s.ffmpeg.exitCode === null) s.ffmpeg.kill('SIGKILL');
    const session = s.session;
    const receiver = s.receiver;
    void (async () => {
      await session?.bye().catch((err: unknown) => this.opts.log.debug({ deviceId, err: errorMessage(err) }, 'live view: BYE not answered'));
      await receiver?.stop();
    })();
  }

  async stop(): Promise<void> {
    const sessions = [...this.streams.values()].map((s) => s.session);
    for (const id of [...this.streams.keys()]) this.close(id);
    await Promise.all(sessions.map((s) => s?.bye().catch(() => undefined)));
  }

  private armIdle(s: Stream): void {
    if (s.idle) this.opts.clock.clearTimeout(s.idle);
    s.idle = this.opts.clock.setTimeout(() => {
      if (s.viewers.size === 0) this.close(s.deviceId);
    }, this.opts.idleMs);
  }

  private async begin(s: Stream): Promise<void> {
    const { width, height } = this.opts;
    const ffmpeg = spawn(
      this.opts.ffmpegPath,
      [
        ...['-loglevel', 'error', '-nostats', '-f', 'mpeg', '-analyzeduration', '1000000', '-probesize', '1000000', '-i', 'pipe:0'],
        ...['-f', 'mpegts', '-codec:v', 'mpeg1video', '-an', '-r', '25', '-b:v', `${this.opts.bitrateKbps}k`, '-bf', '0'],
        ...['-vf', `scale=${width}:${height}:force_original_aspect_ratio=decrease,pad=${width}:${height}:(ow-iw)/2:(oh-ih)/2`, '-'],
      ],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    s.ffmpeg = ffmpeg;
    ffmpeg.stdin.on('error', () => undefined); // EPIPE when ffmpeg ends first
    ffmpeg.stderr.on('data', (d: Buffer) => this.opts.log.debug({ deviceId: s.deviceId, ffmpeg: d.toString().trim().slice(0, 300) }, 'live view ffmpeg'));
    ffmpeg.stdout.on('data', (data: Buffer) => {
      // A viewer joining a running stream starts at the next 188-byte TS packet (ISO/IEC 13818-1
      // §2.4.3.2): pipe reads cut packets anywhere, and jsmpeg's demuxer expects the sync byte first.
      const skip = (TS_PACKET - (s.outBytes % TS_PACKET)) % TS_PACKET;
      s.outBytes += data.length;
      for (const v of s.viewers) {
        if (v.readyState !== v.OPEN || v.bufferedAmount >= MAX_VIEWER_BUFFER) continue;
        if (s.synced.has(v)) v.send(data, { binary: true });
        else if (skip < data.length) {
          s.synced.add(v);
          v.send(skip === 0 ? data : data.subarray(skip), { binary: true });
        }
      }
    });
    const spawnFailed = new Promise<never>((_, reject) => ffmpeg.once('error', (err) => reject(GB_ERRORS.error('GW_ERR_GB_MEDIA', `ffmpeg could not be run: ${err.message}`))));
    spawnFailed.catch(() => undefined);
    ffmpeg.once('exit', (code) => {
      if (!s.closing) {
        this.opts.log.warn({ deviceId: s.deviceId, code }, 'live view: ffmpeg ended; closing the stream');
        this.close(s.deviceId);
      }
    });
    const receiver = new MediaReceiver(this.opts.media.transport, this.opts.media.host, (payload) => {
      if (!ffmpeg.stdin.destroyed) ffmpeg.stdin.write(payload);
    });
    s.receiver = receiver;
    const port = await receiver.start();
    const timeout = this.opts.clock;
    let timer: Timer | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = timeout.setTimeout(() => reject(GB_ERRORS.error('GW_ERR_GB_MEDIA', `${s.deviceId}: no RTP within ${this.opts.startTimeoutMs} ms`)), this.opts.startTimeoutMs);
    });
    try {
      const session = await Promise.race([this.opts.invite(s.deviceId, { port, transport: this.opts.media.transport }), deadline, spawnFailed]);
      s.session = session;
      session.onEnded(() => {
        if (!s.closing) {
          this.opts.log.info({ deviceId: s.deviceId }, 'live view: the device ended the stream (BYE)');
          s.session = undefined;
          this.close(s.deviceId);
        }
      });
      if (s.closing) {
        await session.bye().catch(() => undefined);
        return;
      }
      await Promise.race([receiver.first, deadline, spawnFailed]);
    } finally {
      if (timer) timeout.clearTimeout(timer);
    }
  }
}
