/** The simulator's RTSP server over loopback, fed by a fake RTP feed (no ffmpeg). */
import { createHash } from 'node:crypto';
import net from 'node:net';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseAuthParams } from '../../../../simulators/camera-onvif/digest-auth.js';
import { RtspServer, type RtpFeed, type RtspTarget } from '../../../../simulators/camera-onvif/rtsp-server.js';

const MEDIA = 'm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=fmtp:96 packetization-mode=1\r\n';
const rtp = (nal: number, seq: number) => Buffer.from([0x80, 96, 0, seq, 0, 0, 0, 0, 0, 0, 0, 1, nal, 0xaa]);

class FakeFeed implements RtpFeed {
  readonly subscribers = new Set<(p: Buffer) => void>();
  async media(): Promise<string> {
    return MEDIA;
  }
  subscribe(fn: (p: Buffer) => void): () => void {
    this.subscribers.add(fn);
    return () => this.subscribers.delete(fn);
  }
  send(p: Buffer): void {
    for (const fn of this.subscribers) fn(p);
  }
}

interface Response {
  status: number;
  headers: Map<string, string>;
  body: string;
}

/** A minimal RTSP client: requests with Digest auth (RFC 2617), interleaved packets collected. */
class Client {
  private buf = Buffer.alloc(0);
  private waiting: ((r: Response) => void) | undefined;
  readonly packets: Buffer[] = [];
  private packetWaiter: { n: number; resolve: () => void } | undefined;
  private cseq = 0;
  private challenge: Map<string, string> | undefined;

  constructor(private readonly socket: net.Socket, private readonly password = 'secret') {
    socket.on('data', (c: Buffer) => this.onData(c));
  }

  static connect(port: number, password?: string): Promise<Client> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(new Client(s, password)));
      s.once('error', reject);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  async request(method: string, uri: string, headers: Record<string, string> = {}): Promise<Response> {
    const res = await this.send(method, uri, headers);
    if (res.status !== 401 || this.challenge) return res;
    this.challenge = parseAuthParams(res.headers.get('www-authenticate') ?? '');
    return this.send(method, uri, headers);
  }

  /** Resolves with the reply, or with undefined when none comes within `ms`. */
  requestOrSilence(method: string, uri: string, ms: number): Promise<Response | undefined> {
    return Promise.race([this.send(method, uri, {}), new Promise<undefined>((r) => setTimeout(() => r(undefined), ms))]);
  }

  packetsAtLeast(n: number): Promise<void> {
    if (this.packets.length >= n) return Promise.resolve();
    return new Promise((resolve) => (this.packetWaiter = { n, resolve }));
  }

  private authorization(method: string, uri: string): Record<string, string> {
    const p = this.challenge;
    if (!p) return {};
    const md5 = (s: string) => createHash('md5').update(s).digest('hex');
    const response = md5(`${md5(`admin:${p.get('realm')}:${this.password}`)}:${p.get('nonce')}:${md5(`${method}:${uri}`)}`);
    return { Authorization: `Digest username="admin", realm="${p.get('realm')}", nonce="${p.get('nonce')}", uri="${uri}", response="${response}"` };
  }

  private send(method: string, uri: string, headers: Record<string, string>): Promise<Response> {
    const all = { CSeq: String(++this.cseq), ...this.authorization(method, uri), ...headers };
    const head = Object.entries(all).map(([k, v]) => `${k}: ${v}\r\n`).join('');
    return new Promise((resolve) => {
      this.waiting = resolve;
      this.socket.write(`${method} ${uri} RTSP/1.0\r\n${head}\r\n`);
    });
  }

  private onData(chunk: Buffer): void {
    this.buf = Buffer.concat([this.buf, chunk]);
    for (;;) {
      if (this.buf[0] === 0x24) {
        if (this.buf.length < 4) return;
        const len = this.buf.readUInt16BE(2);
        if (this.buf.length < 4 + len) return;
        this.packets.push(this.buf.subarray(0, 4 + len));
        this.buf = this.buf.subarray(4 + len);
        if (this.packetWaiter && this.packets.length >= this.packetWaiter.n) this.packetWaiter.resolve();
        continue;
      }
      const end = this.buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const lines = this.buf.subarray(0, end).toString().split('\r\n');
      const headers = new Map(lines.slice(1).map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
      const len = Number(headers.get('content-length') ?? 0);
      if (this.buf.length < end + 4 + len) return;
      const body = this.buf.subarray(end + 4, end + 4 + len).toString();
      this.buf = this.buf.subarray(end + 4 + len);
      this.waiting?.({ status: Number((lines[0] ?? '').split(' ')[1]), headers, body });
    }
  }
}

describe('simulator RTSP server', () => {
  let server: RtspServer;
  let feed: FakeFeed;
  let target: RtspTarget;
  const clients: Client[] = [];
  const url = () => `rtsp://127.0.0.1:${server.port}/cam/stream1`;
  const connect = async (password?: string) => {
    const c = await Client.connect(server.port, password);
    clients.push(c);
    return c;
  };

  beforeEach(async () => {
    feed = new FakeFeed();
    target = { state: 'ok', key: 'cam', name: 'Camera', credentials: { username: 'admin', password: 'secret' }, feed, streaming: true };
    server = new RtspServer({ host: '127.0.0.1', log: pino({ level: 'silent' }), resolve: (p) => (p === '/cam/stream1' ? target : { state: 'not-found' }) });
    await server.start();
  });

  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await server.stop();
  });

  async function play(c: Client): Promise<void> {
    const setup = await c.request('SETUP', `${url()}/trackID=0`, { Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1' });
    expect([setup.status, setup.headers.get('transport')]).toStrictEqual([200, 'RTP/AVP/TCP;unicast;interleaved=0-1']);
    const session = (setup.headers.get('session') ?? '').split(';')[0] ?? '';
    expect((await c.request('PLAY', url(), { Session: session })).status).toBe(200);
  }

  it('describes the stream only to clients with the right Digest credentials', async () => {
    const bad = await connect('wrong');
    expect((await bad.request('DESCRIBE', url())).status).toBe(401);
    const c = await connect();
    const res = await c.request('DESCRIBE', url());
    expect([res.status, res.headers.get('content-type'), res.headers.get('content-base')]).toStrictEqual([200, 'application/sdp', `${url()}/`]);
    expect(res.body).toContain(`${MEDIA}a=control:trackID=0\r\n`);
    expect((await c.request('DESCRIBE', `rtsp://127.0.0.1:${server.port}/nope`)).status).toBe(404);
  });

  it('offers TCP-interleaved transport only (461 for UDP) and streams from a decodable frame', async () => {
    const c = await connect();
    const udp = await c.request('SETUP', `${url()}/trackID=0`, { Transport: 'RTP/AVP;unicast;client_port=5000-5001' });
    expect(udp.status).toBe(461);
    await play(c);
    feed.send(rtp(0x41, 1)); // P slice: a new viewer cannot start here
    feed.send(rtp(0x67, 2)); // SPS
    feed.send(rtp(0x41, 3));
    await c.packetsAtLeast(2);
    expect(c.packets.map((p) => [p[0], p[1], p.readUInt16BE(2), p[7]])).toStrictEqual([
      [0x24, 0, 14, 2],
      [0x24, 0, 14, 3],
    ]);
  });

  it('completes the handshake but sends no video when the stream is down', async () => {
    target = { ...(target as Extract<RtspTarget, { state: 'ok' }>), streaming: false };
    const c = await connect();
    await play(c);
    expect(feed.subscribers.size).toBe(0);
    expect(server.sessionCount('cam')).toBe(1);
  });

  it('does not answer for a camera that hangs, and ends sessions on request', async () => {
    const c = await connect();
    await play(c);
    expect(feed.subscribers.size).toBe(1);
    server.closeSessions('cam');
    expect([feed.subscribers.size, server.sessionCount()]).toStrictEqual([0, 0]);
    target = { state: 'hang' };
    const h = await connect();
    expect(await h.requestOrSilence('OPTIONS', url(), 300)).toMatchObject({ status: 200 });
    expect(await h.requestOrSilence('DESCRIBE', url(), 300)).toBeUndefined();
  });
});
