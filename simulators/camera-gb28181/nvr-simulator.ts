/**
 * A simulated GB/T 28181 NVR: registers to a platform with digest authentication, refreshes
 * its registration, keeps alive (MESSAGE Keepalive, GB/T 28181-2016 §9.6), answers Catalog,
 * DeviceInfo and DeviceStatus queries (§9.5), takes a catalog SUBSCRIBE and NOTIFYs channel
 * changes, sends alarms (§9.4), and streams a channel when INVITEd (§9.2: real PS over RTP from
 * ffmpeg). Faults on command: a wrong password, silence (no keepalives), a channel off, INVITEs
 * refused, a skewed clock.
 */
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { authorizationHeader, parseDigest } from '../../adapters/camera-gb28181/digest.js';
import { parseSdp } from '../../adapters/camera-gb28181/sdp.js';
import { SipStreamFramer } from '../../adapters/camera-gb28181/sip-framer.js';
import { header, parseSipDatagram, serializeSip, type SipHeader, type SipMessage, type SipRequest, type SipResponse } from '../../adapters/camera-gb28181/sip-message.js';
import { alarmXml, catalogXml, deviceInfoXml, deviceStatusXml, keepaliveXml, shanghaiTime, type SimChannel } from './manscdp-answers.js';
import { xmlField } from './manscdp-answers.js';
import { PsRtpStream } from './ps-stream.js';

export interface GbNvrOptions {
  /** The NVR's 20-digit id (type 118). */
  id: string;
  channels: { id: string; name: string }[];
  server: { host: string; port: number; id: string; domain?: string };
  password: string;
  transport?: 'udp' | 'tcp';
  keepaliveMs?: number;
  expiresSeconds?: number;
  ffmpegPath?: string;
  /** The NVR's own address (its SIP socket binds it). */
  host?: string;
}

export type GbNvrFault = 'wrong-password' | 'silent' | 'refuse-invite' | 'clock-skew';
export const GB_NVR_FAULTS: readonly GbNvrFault[] = ['wrong-password', 'silent', 'refuse-invite', 'clock-skew'];

interface Waiting {
  resolve(r: SipResponse): void;
  timer: ReturnType<typeof setTimeout>;
}

const token = (n = 6) => randomBytes(n).toString('hex');

export class GbNvrSimulator {
  private udp: UdpSocket | undefined;
  private tcp: Socket | undefined;
  private readonly waiting = new Map<string, Waiting>();
  private readonly channels: SimChannel[];
  private readonly faults = new Set<GbNvrFault>();
  private keepaliveTimer: ReturnType<typeof setInterval> | undefined;
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly streams = new Map<string, PsRtpStream>();
  private subscription: { callId: string; fromTag: string; toTag: string; peerTag: string; cseq: number } | undefined;
  private cseq = 1;
  private sn = 1;
  private readonly callId = `${token(8)}@sim`;
  private readonly fromTag = token(4);
  private localPort = 0;
  registered = false;
  keepalivesSent = 0;
  /** Round trips of the last keepalives (MESSAGE → 200 OK), in ms; at most 10,000 kept. */
  readonly keepaliveRtts: number[] = [];
  keepaliveFailures = 0;
  lastRegisterStatus = 0;
  /** Seconds the simulated clock is ahead (clock-skew fault). */
  clockSkewSeconds = 0;

  constructor(private readonly opts: GbNvrOptions) {
    this.channels = opts.channels.map((c) => ({ ...c, on: true }));
  }

  get id(): string {
    return this.opts.id;
  }

  get transport(): 'udp' | 'tcp' {
    return this.opts.transport ?? 'udp';
  }

  private get domain(): string {
    return this.opts.server.domain ?? this.opts.server.id.slice(0, 10);
  }

  /** Opens its socket and registers; resolves with the final status of REGISTER (200 when registered). */
  async start(): Promise<number> {
    const host = this.opts.host ?? '127.0.0.1';
    if (this.transport === 'udp') {
      const udp = createSocket('udp4');
      await new Promise<void>((resolve) => udp.bind(0, host, resolve));
      udp.on('message', (buf) => this.onBytes(buf));
      udp.on('error', () => undefined);
      this.udp = udp;
      this.localPort = udp.address().port;
    } else {
      const tcp = connect({ host: this.opts.server.host, port: this.opts.server.port, noDelay: true });
      await new Promise<void>((resolve, reject) => {
        tcp.once('connect', resolve);
        tcp.once('error', reject);
      });
      const framer = new SipStreamFramer();
      tcp.on('data', (chunk) => {
        try {
          for (const m of framer.push(chunk)) this.onMessage(m);
        } catch {
          tcp.destroy();
        }
      });
      tcp.on('error', () => undefined);
      this.tcp = tcp;
      this.localPort = tcp.localPort ?? 0;
    }
    const status = await this.register();
    this.keepaliveTimer = setInterval(() => void this.keepalive(), this.opts.keepaliveMs ?? 60_000);
    return status;
  }

  async stop(opts: { unregister?: boolean } = {}): Promise<void> {
    if (this.keepaliveTimer) clearInterval(this.keepaliveTimer);
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.keepaliveTimer = undefined;
    this.refreshTimer = undefined;
    if (opts.unregister && this.registered) await this.register(0).catch(() => 0);
    for (const s of this.streams.values()) s.stop();
    this.streams.clear();
    for (const w of this.waiting.values()) clearTimeout(w.timer);
    this.waiting.clear();
    const udp = this.udp;
    this.udp = undefined;
    if (udp) await new Promise<void>((resolve) => udp.close(() => resolve()));
    this.tcp?.destroy();
    this.tcp = undefined;
  }

  setFault(fault: GbNvrFault, on: boolean, seconds = 120): void {
    if (on) this.faults.add(fault);
    else this.faults.delete(fault);
    if (fault === 'clock-skew') this.clockSkewSeconds = on ? seconds : 0;
  }

  activeFaults(): GbNvrFault[] {
    return GB_NVR_FAULTS.filter((f) => this.faults.has(f));
  }

  channelStates(): SimChannel[] {
    return this.channels.map((c) => ({ ...c }));
  }

  /** Switches a channel on or off; a catalog subscriber is NOTIFYed (2016 §9.6.3: Event ON/OFF). */
  async setChannel(id: string, on: boolean): Promise<void> {
    const ch = this.channels.find((c) => c.id === id);
    if (!ch) throw new Error(`no channel ${id} on ${this.id}`);
    ch.on = on;
    const sub = this.subscription;
    if (!sub) return;
    sub.cseq++;
    await this.request('NOTIFY', this.opts.server.id, [{ name: 'Event', value: 'Catalog' }, { name: 'Subscription-State', value: 'active;expires=3600' }, { name: 'Content-Type', value: 'Application/MANSCDP+xml' }], catalogXml(String(this.sn++), this.id, [ch], 'Notify', on ? 'ON' : 'OFF'), { callId: sub.callId, fromTag: sub.toTag, toTag: sub.peerTag, cseq: sub.cseq });
  }

  /** Sends an alarm (A.2.5.3) from a channel (or the NVR). */
  async alarm(deviceId: string, a: { method: number; type: number; priority?: number; description?: string }): Promise<number> {
    const res = await this.request('MESSAGE', this.opts.server.id, [{ name: 'Content-Type', value: 'Application/MANSCDP+xml' }], alarmXml(this.sn++, deviceId, { priority: a.priority ?? 1, method: a.method, type: a.type, description: a.description ?? 'simulated alarm', time: shanghaiTime(Date.now()) }));
    return res.status;
  }

  /** REGISTER with digest (RFC 3261 §10.2, §22.2); resolves with the final status. */
  async register(expires = this.opts.expiresSeconds ?? 3600): Promise<number> {
    const uri = `sip:${this.opts.server.id}@${this.domain}`;
    const headers = (extra: SipHeader[]): SipHeader[] => [
      { name: 'Contact', value: `<sip:${this.id}@${this.opts.host ?? '127.0.0.1'}:${this.localPort}>` },
      { name: 'Expires', value: String(expires) },
      ...extra,
    ];
    const dialog = { callId: this.callId, fromTag: this.fromTag, cseq: this.cseq++, toSelf: true };
    let res = await this.request('REGISTER', this.id, headers([]), Buffer.alloc(0), dialog, uri);
    if (res.status === 401) {
      const challenge = parseDigest(header(res, 'www-authenticate') ?? '') ?? {};
      const password = this.faults.has('wrong-password') ? `${this.opts.password}-wrong` : this.opts.password;
      const auth = authorizationHeader(challenge, { username: this.id, password, method: 'REGISTER', uri, cnonce: token(4) });
      res = await this.request('REGISTER', this.id, headers([{ name: 'Authorization', value: auth }]), Buffer.alloc(0), { ...dialog, cseq: this.cseq++ }, uri);
    }
    this.lastRegisterStatus = res.status;
    this.registered = res.status === 200 && expires > 0;
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    if (this.registered) {
      const granted = Number(header(res, 'expires') ?? expires);
      // Refresh before the binding runs out (RFC 3261 §10.2.4), at 80 % of it.
      this.refreshTimer = setTimeout(() => void this.register(expires).catch(() => undefined), Math.max(200, granted * 800));
    }
    return res.status;
  }

  private async keepalive(): Promise<void> {
    if (!this.registered || this.faults.has('silent')) return;
    this.keepalivesSent++;
    const t0 = performance.now();
    const res = await this.request('MESSAGE', this.opts.server.id, [{ name: 'Content-Type', value: 'Application/MANSCDP+xml' }], keepaliveXml(this.sn++, this.id)).catch(() => undefined);
    if (res?.status !== 200) this.keepaliveFailures++;
    else if (this.keepaliveRtts.length < 10_000) this.keepaliveRtts.push(performance.now() - t0);
  }

  // ── the wire ─────────────────────────────────────────────────────────────────────────────

  private send(msg: SipMessage): void {
    const bytes = serializeSip(msg);
    if (this.udp) this.udp.send(bytes, this.opts.server.port, this.opts.server.host);
    else if (this.tcp && !this.tcp.destroyed) this.tcp.write(bytes);
  }

  private request(method: string, to: string, extra: SipHeader[], body: Buffer, dialog?: { callId: string; fromTag: string; toTag?: string; cseq: number; toSelf?: boolean }, uri = `sip:${to}@${this.domain}`): Promise<SipResponse> {
    const branch = `z9hG4bK${token(8)}`;
    const req: SipRequest = {
      kind: 'request',
      method,
      uri,
      headers: [
        { name: 'Via', value: `SIP/2.0/${this.transport.toUpperCase()} ${this.opts.host ?? '127.0.0.1'}:${this.localPort};rport;branch=${branch}` },
        { name: 'From', value: `<sip:${this.id}@${this.domain}>;tag=${dialog?.fromTag ?? token(4)}` },
        { name: 'To', value: `<sip:${dialog?.toSelf ? this.id : to}@${this.domain}>${dialog?.toTag ? `;tag=${dialog.toTag}` : ''}` },
        { name: 'Call-ID', value: dialog?.callId ?? `${token(8)}@sim` },
        { name: 'CSeq', value: `${dialog?.cseq ?? this.cseq++} ${method}` },
        { name: 'Max-Forwards', value: '70' },
        { name: 'User-Agent', value: 'campus-sim-nvr' },
        ...extra,
      ],
      body,
    };
    return new Promise<SipResponse>((resolve, reject) => {
      let tries = 0;
      const attempt = () => {
        tries++;
        this.send(req);
      };
      const timer = setTimeout(() => {
        this.waiting.delete(branch);
        clearInterval(resend);
        reject(new Error(`${method}: no answer`));
      }, 8000);
      const resend = setInterval(() => (this.udp && tries < 6 ? attempt() : undefined), 500);
      this.waiting.set(branch, {
        timer,
        resolve: (r) => {
          clearInterval(resend);
          resolve(r);
        },
      });
      attempt();
    });
  }

  private respond(req: SipRequest, status: number, reason: string, extra: SipHeader[] = [], body = Buffer.alloc(0), toTag = token(4)): void {
    const to = header(req, 'to') ?? '';
    this.send({
      kind: 'response',
      status,
      reason,
      headers: [
        ...req.headers.filter((h) => /^(via|v)$/i.test(h.name)),
        { name: 'From', value: header(req, 'from') ?? '' },
        { name: 'To', value: /tag=/.test(to) || status === 100 ? to : `${to};tag=${toTag}` },
        { name: 'Call-ID', value: header(req, 'call-id') ?? '' },
        { name: 'CSeq', value: header(req, 'cseq') ?? '' },
        ...extra,
      ],
      body,
    });
  }

  private onBytes(buf: Buffer): void {
    try {
      this.onMessage(parseSipDatagram(buf));
    } catch {
      // a simulator ignores what it cannot read
    }
  }

  private onMessage(m: SipMessage): void {
    if (m.kind === 'response') {
      const branch = /branch=([^;\s,]+)/.exec(header(m, 'via') ?? '')?.[1];
      const w = branch ? this.waiting.get(branch) : undefined;
      if (!w || m.status < 200) return;
      clearTimeout(w.timer);
      this.waiting.delete(branch as string);
      w.resolve(m);
      return;
    }
    void this.onRequest(m);
  }

  private now(): number {
    return Date.now() + this.clockSkewSeconds * 1000;
  }

  private async onRequest(req: SipRequest): Promise<void> {
    const body = req.body.toString('utf8');
    switch (req.method) {
      case 'MESSAGE': {
        this.respond(req, 200, 'OK');
        const cmd = xmlField(body, 'CmdType');
        const sn = xmlField(body, 'SN') ?? '0';
        const target = xmlField(body, 'DeviceID') ?? this.id;
        const ct = [{ name: 'Content-Type', value: 'Application/MANSCDP+xml' }];
        if (cmd === 'Catalog') {
          // Answer in pages of 4 items, as NVRs do (SumNum tells the whole count).
          for (let i = 0; i < Math.max(1, this.channels.length); i += 4) {
            await this.request('MESSAGE', this.opts.server.id, ct, catalogXml(sn, this.id, this.channels.slice(i, i + 4), 'Response', undefined, this.channels.length)).catch(() => undefined);
          }
        } else if (cmd === 'DeviceInfo') {
          await this.request('MESSAGE', this.opts.server.id, ct, deviceInfoXml(sn, target, this.channels.length)).catch(() => undefined);
        } else if (cmd === 'DeviceStatus') {
          const ch = this.channels.find((c) => c.id === target);
          await this.request('MESSAGE', this.opts.server.id, ct, deviceStatusXml(sn, target, ch ? ch.on : true, shanghaiTime(this.now()))).catch(() => undefined);
        }
        return;
      }
      case 'SUBSCRIBE': {
        const toTag = token(4);
        this.respond(req, 200, 'OK', [{ name: 'Expires', value: header(req, 'expires') ?? '3600' }], Buffer.alloc(0), toTag);
        this.subscription = { callId: header(req, 'call-id') ?? '', fromTag: '', toTag, peerTag: /tag=([^;\s]+)/.exec(header(req, 'from') ?? '')?.[1] ?? '', cseq: 0 };
        return;
      }
      case 'INVITE': {
        const channelId = /^sips?:(\d{20})@/.exec(req.uri)?.[1] ?? '';
        const ch = this.channels.find((c) => c.id === channelId);
        this.respond(req, 100, 'Trying');
        if (this.faults.has('refuse-invite')) return this.respond(req, 486, 'Busy Here');
        if (!ch || !ch.on) return this.respond(req, 404, 'Not Found');
        const offer = parseSdp(body);
        if (!offer.port || !offer.ip) return this.respond(req, 488, 'Not Acceptable Here');
        const ssrc = offer.ssrc ?? '0100000001';
        const tcp = (offer.proto ?? '').toUpperCase().startsWith('TCP');
        const sdp = ['v=0', `o=${channelId} 0 0 IN IP4 ${this.opts.host ?? '127.0.0.1'}`, 's=Play', `c=IN IP4 ${this.opts.host ?? '127.0.0.1'}`, 't=0 0', `m=video 9 ${tcp ? 'TCP/RTP/AVP' : 'RTP/AVP'} 96`, 'a=sendonly', 'a=rtpmap:96 PS/90000', ...(tcp ? ['a=setup:active', 'a=connection:new'] : []), `y=${ssrc}`, ''].join('\r\n');
        const callId = header(req, 'call-id') ?? '';
        if (!this.opts.ffmpegPath) return this.respond(req, 500, 'No Media Source');
        const stream = new PsRtpStream({ ffmpegPath: this.opts.ffmpegPath, host: offer.ip, port: offer.port, transport: tcp ? 'tcp' : 'udp', ssrc: Number(ssrc) % 2 ** 32 });
        try {
          await stream.start();
        } catch {
          return this.respond(req, 500, 'Media Failed');
        }
        this.streams.set(callId, stream);
        this.respond(req, 200, 'OK', [{ name: 'Contact', value: `<sip:${channelId}@${this.opts.host ?? '127.0.0.1'}:${this.localPort}>` }, { name: 'Content-Type', value: 'APPLICATION/SDP' }], Buffer.from(sdp));
        return;
      }
      case 'ACK':
        return;
      case 'BYE': {
        this.respond(req, 200, 'OK');
        const callId = header(req, 'call-id') ?? '';
        this.streams.get(callId)?.stop();
        this.streams.delete(callId);
        return;
      }
      default:
        this.respond(req, 405, 'Method Not Allowed');
    }
  }

  /** Streams running now (one per INVITE dialog). */
  streaming(): number {
    return this.streams.size;
  }
}
