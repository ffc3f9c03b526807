/**
 * A small RTSP 1.0 server (RFC 2326) for simulated cameras: OPTIONS, DESCRIBE, SETUP, PLAY,
 * GET_PARAMETER and TEARDOWN, with RTP interleaved in the RTSP TCP connection (§10.12).
 *
 * Why not a ready-made server: ffmpeg cannot serve RTSP to players; `rtsp-streaming-server`
 * binds every interface and serves players over UDP only; gst-rtsp-server and VLC are large
 * system dependencies. This one binds the address it is given (127.0.0.1 by default), lets any
 * number of paths share one encoder, and can fake the failures we need (a camera that answers
 * DESCRIBE but sends no video, a camera that does not answer at all).
 */
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { DigestAuthenticator, type Credentials } from './digest-auth.js';

/** A stream of RTP packets (H.264, RFC 6184) that sessions can join. */
export interface RtpFeed {
  /** SDP media section (`m=`, `a=rtpmap`, `a=fmtp`) once the encoder runs. */
  media(): Promise<string>;
  subscribe(onPacket: (rtp: Buffer) => void): () => void;
}

export type RtspTarget =
  | { state: 'not-found' }
  /** Accept the request and never answer: a camera that hangs. */
  | { state: 'hang' }
  | { state: 'ok'; key: string; name: string; credentials?: Credentials; feed: RtpFeed; streaming: boolean };

export interface RtspServerOptions {
  host: string;
  port?: number;
  log: Logger;
  /** Maps a request path (no trailing `/trackID=n`) to what is served there. */
  resolve(path: string): RtspTarget;
}

interface Session {
  id: string;
  key: string;
  socket: net.Socket;
  channel: number;
  stop?: () => void;
}

/** Drop packets for a viewer that cannot keep up rather than buffer without bound. */
const MAX_BUFFERED = 2 * 1024 * 1024;

/** RFC 6184 §5.2: does this RTP packet carry an SPS (7) or start an IDR picture (5)? */
export function startsDecodableUnit(rtp: Buffer): boolean {
  if (rtp.length < 13) return false;
  const first = rtp[0] ?? 0;
  let off = 12 + 4 * (first & 0x0f);
  if (first & 0x10) off += 4 + 4 * rtp.readUInt16BE(off + 2);
  const nal = (rtp[off] ?? 0) & 0x1f;
  if (nal === 7 || nal === 5) return true;
  if (nal === 24) return [7, 5].includes((rtp[off + 3] ?? 0) & 0x1f); // STAP-A, first aggregated NAL
  if (nal === 28) return ((rtp[off + 1] ?? 0) & 0x80) !== 0 && ((rtp[off + 1] ?? 0) & 0x1f) === 5; // FU-A start
  return false;
}

export class RtspServer {
  private server: net.Server | undefined;
  private readonly sessions = new Map<string, Session>();
  private readonly sockets = new Set<net.Socket>();
  private readonly auth = new DigestAuthenticator('camera-sim');

  constructor(private readonly opts: RtspServerOptions) {}

  get port(): number {
    const addr = this.server?.address();
    return addr && typeof addr === 'object' ? addr.port : 0;
  }

  async start(): Promise<void> {
    const server = net.createServer({ noDelay: true }, (socket) => this.onConnection(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port ?? 0, this.opts.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  }

  async stop(): Promise<void> {
    for (const s of this.sessions.values()) s.stop?.();
    this.sessions.clear();
    for (const socket of this.sockets) socket.destroy();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Ends every session of one camera: its picture source or state changed. */
  closeSessions(key: string): void {
    for (const s of [...this.sessions.values()]) {
      if (s.key !== key) continue;
      s.stop?.();
      this.sessions.delete(s.id);
      s.socket.destroy();
    }
  }

  sessionCount(key?: string): number {
    return [...this.sessions.values()].filter((s) => key === undefined || s.key === key).length;
  }

  private onConnection(socket: net.Socket): void {
    this.sockets.add(socket);
    let buf: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      buf = this.consume(socket, buf);
      if (buf.length > 64 * 1024) socket.destroy(); // not RTSP
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      this.sockets.delete(socket);
      for (const s of [...this.sessions.values()]) {
        if (s.socket !== socket) continue;
        s.stop?.();
        this.sessions.delete(s.id);
      }
    });
  }

  /** Handles every complete message in `buf`; returns the unconsumed rest. */
  private consume(socket: net.Socket, input: Buffer): Buffer {
    let buf = input;
    for (;;) {
      if (buf.length === 0) return buf;
      if (buf[0] === 0x24) {
        // RFC 2326 §10.12: `$`, channel, 16-bit length — RTCP receiver reports from the client.
        if (buf.length < 4) return buf;
        const len = buf.readUInt16BE(2);
        if (buf.length < 4 + len) return buf;
        buf = buf.subarray(4 + len);
        continue;
      }
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return buf;
      const head = buf.subarray(0, end).toString('latin1');
      const headers = new Map<string, string>();
      const lines = head.split('\r\n');
      for (const line of lines.slice(1)) {
        const i = line.indexOf(':');
        if (i > 0) headers.set(line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim());
      }
      const bodyLen = Number(headers.get('content-length') ?? 0);
      if (buf.length < end + 4 + bodyLen) return buf;
      buf = buf.subarray(end + 4 + bodyLen);
      const [method = '', uri = ''] = (lines[0] ?? '').split(' ');
      this.handle(socket, method, uri, headers);
    }
  }

  private reply(socket: net.Socket, cseq: string, status: string, headers: Record<string, string> = {}, body = ''): void {
    let out = `RTSP/1.0 ${status}\r\nCSeq: ${cseq}\r\nServer: campus-camera-sim\r\n`;
    for (const [k, v] of Object.entries(headers)) out += `${k}: ${v}\r\n`;
    if (body) out += `Content-Length: ${Buffer.byteLength(body)}\r\n`;
    socket.write(`${out}\r\n${body}`);
  }

  private handle(socket: net.Socket, method: string, uri: string, headers: Map<string, string>): void {
    const cseq = headers.get('cseq') ?? '0';
    if (method === 'OPTIONS') {
      this.reply(socket, cseq, '200 OK', { Public: 'OPTIONS, DESCRIBE, SETUP, PLAY, GET_PARAMETER, TEARDOWN' });
      return;
    }
    let path: string;
    try {
      path = new URL(uri).pathname.replace(/\/trackID=\d+$/, '').replace(/\/+$/, '');
    } catch {
      this.reply(socket, cseq, '400 Bad Request');
      return;
    }
    const target = this.opts.resolve(path);
    if (target.state === 'hang') return;
    if (target.state === 'not-found') {
      this.reply(socket, cseq, '404 Not Found');
      return;
    }
    if (target.credentials && !this.auth.verify(headers.get('authorization'), method, target.credentials)) {
      this.reply(socket, cseq, '401 Unauthorized', { 'WWW-Authenticate': this.auth.challenge() });
      return;
    }
    switch (method) {
      case 'DESCRIBE':
        this.describe(socket, cseq, uri, target);
        return;
      case 'SETUP':
        this.setup(socket, cseq, headers, target.key);
        return;
      case 'PLAY':
        this.play(socket, cseq, headers, target);
        return;
      case 'GET_PARAMETER':
        this.reply(socket, cseq, '200 OK', headers.has('session') ? { Session: headers.get('session') ?? '' } : {});
        return;
      case 'TEARDOWN': {
        const s = this.sessions.get((headers.get('session') ?? '').split(';')[0] ?? '');
        if (s) {
          s.stop?.();
          this.sessions.delete(s.id);
        }
        this.reply(socket, cseq, '200 OK');
        return;
      }
      default:
        this.reply(socket, cseq, '405 Method Not Allowed', { Allow: 'OPTIONS, DESCRIBE, SETUP, PLAY, GET_PARAMETER, TEARDOWN' });
    }
  }

  private describe(socket: net.Socket, cseq: string, uri: string, target: Extract<RtspTarget, { state: 'ok' }>): void {
    target.feed.media().then(
      (media) => {
        const sdp =
          `v=0\r\no=- ${Date.now()} 1 IN IP4 ${this.opts.host}\r\ns=${target.name}\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\n` +
          `a=control:*\r\na=range:npt=0-\r\n${media}a=control:trackID=0\r\n`;
        const base = uri.endsWith('/') ? uri : `${uri}/`;
        this.reply(socket, cseq, '200 OK', { 'Content-Base': base, 'Content-Type': 'application/sdp' }, sdp);
      },
      (err: unknown) => {
        this.opts.log.warn({ err, path: target.key }, 'rtsp feed not available');
        this.reply(socket, cseq, '503 Service Unavailable');
      },
    );
  }

  private setup(socket: net.Socket, cseq: string, headers: Map<string, string>, key: string): void {
    const transport = headers.get('transport') ?? '';
    const interleaved = /RTP\/AVP\/TCP/i.test(transport) ? /interleaved=(\d+)/i.exec(transport) : null;
    if (!interleaved) {
      // RFC 2326 §11.3.14: only TCP-interleaved transport is offered; clients fall back to it.
      this.reply(socket, cseq, '461 Unsupported Transport');
      return;
    }
    const channel = Number(interleaved[1]);
    const id = (headers.get('session') ?? '').split(';')[0] || randomBytes(8).toString('hex');
    this.sessions.set(id, { id, key, socket, channel });
    this.reply(socket, cseq, '200 OK', {
      Transport: `RTP/AVP/TCP;unicast;interleaved=${channel}-${channel + 1}`,
      Session: `${id};timeout=60`,
    });
  }

  private play(socket: net.Socket, cseq: string, headers: Map<string, string>, target: Extract<RtspTarget, { state: 'ok' }>): void {
    const id = (headers.get('session') ?? '').split(';')[0] ?? '';
    const session = this.sessions.get(id);
    if (!session || session.socket !== socket) {
      this.reply(socket, cseq, '454 Session Not Found');
      return;
    }
    this.reply(socket, cseq, '200 OK', { Session: id, Range: 'npt=0.000-' });
    // A stream-down camera completes the handshake and then sends nothing, which is exactly
    // what a check that stops at DESCRIBE cannot see.
    if (!target.streaming || session.stop) return;
    let started = false;
    const header = Buffer.from([0x24, session.channel, 0, 0]);
    session.stop = target.feed.subscribe((rtp) => {
      // Start at a decodable picture so the client's first frame is whole.
      if (!started && !(started = startsDecodableUnit(rtp))) return;
      if (socket.destroyed || socket.writableLength > MAX_BUFFERED) return;
      const h = Buffer.from(header);
      h.writeUInt16BE(rtp.length, 2);
      socket.write(Buffer.concat([h, rtp]));
    });
  }
}
