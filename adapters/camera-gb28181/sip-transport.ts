/**
 * The SIP transports of the platform (RFC 3261 §18): one UDP socket and one TCP listener on the
 * same port. Requests from devices go to `onRequest` with the peer to answer; requests the
 * platform sends are client transactions (§17.1): matched to their response by the Via branch,
 * retransmitted over UDP (Timer A, doubling from T1 = 500 ms up to T2 = 4 s) and given up after
 * the transaction timeout. Retransmitted device requests get the cached answer again (§17.2.2)
 * instead of being handled twice.
 */
import { randomBytes } from 'node:crypto';
import { createSocket, type RemoteInfo, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import type { Clock, Timer } from '../../gateway/contract/clock.js';
import { errorMessage } from '../../gateway/contract/errors.js';
import { GB_ERRORS } from './errors.js';
import { SipStreamFramer } from './sip-framer.js';
import { parseVia } from './sip-headers.js';
import { header, parseSipDatagram, serializeSip, type SipHeader, type SipMessage, type SipRequest, type SipResponse } from './sip-message.js';

export interface SipPeer {
  transport: 'udp' | 'tcp';
  address: string;
  port: number;
  /** The TCP connection the peer's requests came on (reused for ours: §18.2.2). */
  socket?: Socket;
}

export interface SipTransportOptions {
  host: string;
  port: number;
  transports: readonly ('udp' | 'tcp')[];
  log: Logger;
  clock: Clock;
  onRequest(req: SipRequest, peer: SipPeer): void;
  /** A message that could not be parsed (counted by the caller). */
  onMalformed(detail: string, peer: SipPeer): void;
}

interface Pending {
  resolve(r: SipResponse): void;
  reject(err: Error): void;
  timer: Timer;
  retransmit?: Timer;
}

const T1 = 500;
const T2 = 4000;
const ANSWER_CACHE_MS = 32_000;

export const randomToken = (bytes = 8): string => randomBytes(bytes).toString('hex');

export function peerKey(p: SipPeer): string {
  return `${p.transport}:${p.address}:${p.port}`;
}

export class SipTransport {
  private udp: UdpSocket | undefined;
  private tcp: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly pending = new Map<string, Pending>();
  /** Answers already sent, by the request's branch and method, for retransmissions. */
  private readonly answers = new Map<string, { at: number; bytes: Buffer }>();
  private prune: Timer | undefined;
  private boundPort = 0;

  constructor(private readonly opts: SipTransportOptions) {}

  get port(): number {
    return this.boundPort;
  }

  async start(): Promise<number> {
    // Port 0 with both transports: the system picks a free UDP port, and TCP must take the same
    // number, which an outgoing TCP connection may hold (EADDRINUSE). Pick again, boundedly.
    const tries = this.opts.port === 0 && this.opts.transports.includes('udp') && this.opts.transports.includes('tcp') ? 20 : 1;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.bind();
      } catch (err) {
        // Nothing of a failed attempt stays open: its UDP socket would keep the port (and hand
        // datagrams to a transport that never started), and the next start would fail on it.
        const udp = this.udp;
        this.udp = undefined;
        if (udp) await new Promise<void>((resolve) => udp.close(() => resolve()));
        if (attempt >= tries || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
      }
    }
  }

  private async bind(): Promise<number> {
    const { host, transports } = this.opts;
    let port = this.opts.port;
    if (transports.includes('udp')) {
      const udp = createSocket({ type: host.includes(':') ? 'udp6' : 'udp4' });
      await new Promise<void>((resolve, reject) => {
        udp.once('error', reject);
        udp.bind(port, host, () => {
          udp.off('error', reject);
          resolve();
        });
      });
      udp.on('message', (buf, rinfo) => this.onDatagram(buf, rinfo));
      udp.on('error', (err) => this.opts.log.warn({ err }, 'SIP UDP socket error'));
      this.udp = udp;
      port = udp.address().port;
    }
    if (transports.includes('tcp')) {
      const tcp = createServer({ noDelay: true }, (socket) => this.onConnection(socket));
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(port, host, () => {
          tcp.off('error', reject);
          resolve();
        });
      });
      this.tcp = tcp;
      const addr = tcp.address();
      if (addr && typeof addr === 'object') port = addr.port;
    }
    this.boundPort = port;
    this.prune = this.opts.clock.setInterval(() => {
      const cutoff = this.opts.clock.now() - ANSWER_CACHE_MS;
      for (const [k, v] of this.answers) if (v.at < cutoff) this.answers.delete(k);
    }, 5000);
    return port;
  }

  async stop(): Promise<void> {
    if (this.prune) this.opts.clock.clearInterval(this.prune);
    this.prune = undefined;
    for (const [branch, p] of this.pending) {
      this.clearTimers(p);
      p.reject(GB_ERRORS.error('GW_ERR_GB_STOPPED'));
      this.pending.delete(branch);
    }
    this.answers.clear();
    const udp = this.udp;
    this.udp = undefined;
    if (udp) await new Promise<void>((resolve) => udp.close(() => resolve()));
    const tcp = this.tcp;
    this.tcp = undefined;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    if (tcp) await new Promise<void>((resolve) => tcp.close(() => resolve()));
  }

  /** Sends a message to a peer (a response, an ACK): no transaction. */
  send(peer: SipPeer, msg: SipMessage): void {
    const bytes = serializeSip(msg);
    if (peer.transport === 'udp') {
      this.udp?.send(bytes, peer.port, peer.address);
      return;
    }
    const socket = peer.socket;
    if (!socket || socket.destroyed) throw GB_ERRORS.error('GW_ERR_GB_TRANSPORT', `no TCP connection to ${peer.address}:${peer.port}`);
    socket.write(bytes);
  }

  /** Answers a request (RFC 3261 §8.2.6): Via, From, To (with our tag), Call-ID and CSeq copied. */
  respond(req: SipRequest, peer: SipPeer, status: number, reason: string, extra: SipHeader[] = [], body: Buffer = Buffer.alloc(0)): void {
    const copy = (name: string) => req.headers.filter((h) => h.name.toLowerCase() === name || (name === 'via' && h.name.toLowerCase() === 'v'));
    const via = copy('via').map((h, i) => (i === 0 ? { name: 'Via', value: this.stampVia(h.value, peer) } : h));
    const to = header(req, 'to') ?? '';
    const toValue = /;\s*tag=/i.test(to) || status === 100 ? to : `${to};tag=${tagFor(req)}`;
    const res: SipResponse = {
      kind: 'response',
      status,
      reason,
      headers: [...via, { name: 'From', value: header(req, 'from') ?? '' }, { name: 'To', value: toValue }, { name: 'Call-ID', value: header(req, 'call-id') ?? '' }, { name: 'CSeq', value: header(req, 'cseq') ?? '' }, { name: 'User-Agent', value: 'campus-gateway' }, ...extra],
      body,
    };
    this.send(peer, res);
    const key = answerKey(req);
    if (key && peer.transport === 'udp' && status >= 200) this.answers.set(key, { at: this.opts.clock.now(), bytes: serializeSip(res) });
  }

  /**
   * A client transaction: sends `req` (its top Via is added here) and resolves with the final
   * response. Rejects with GW_ERR_GB_TIMEOUT, GW_ERR_GB_TRANSPORT or GW_ERR_GB_STOPPED.
   */
  request(peer: SipPeer, req: SipRequest, timeoutMs: number, advertised: string): Promise<SipResponse> {
    const branch = `z9hG4bK${randomToken(10)}`;
    const via = { name: 'Via', value: `SIP/2.0/${peer.transport.toUpperCase()} ${advertised}:${this.boundPort};rport;branch=${branch}` };
    const msg: SipRequest = { ...req, headers: [via, ...req.headers.filter((h) => h.name.toLowerCase() !== 'via')] };
    return new Promise<SipResponse>((resolve, reject) => {
      const { clock } = this.opts;
      const p: Pending = {
        resolve,
        reject,
        timer: clock.setTimeout(() => {
          this.clearTimers(p);
          this.pending.delete(branch);
          reject(GB_ERRORS.error('GW_ERR_GB_TIMEOUT', `${req.method} to ${peer.address}:${peer.port}: no answer in ${timeoutMs} ms`));
        }, timeoutMs),
      };
      this.pending.set(branch, p);
      try {
        this.send(peer, msg);
      } catch (err) {
        this.clearTimers(p);
        this.pending.delete(branch);
        reject(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      if (peer.transport === 'udp') {
        let interval = T1;
        const again = () => {
          p.retransmit = clock.setTimeout(() => {
            if (!this.pending.has(branch)) return;
            try {
              this.send(peer, msg);
            } catch {
              return;
            }
            interval = Math.min(interval * 2, T2);
            again();
          }, interval);
        };
        again();
      }
    });
  }

  private clearTimers(p: Pending): void {
    this.opts.clock.clearTimeout(p.timer);
    if (p.retransmit) this.opts.clock.clearTimeout(p.retransmit);
  }

  /** RFC 3581 §4 and RFC 3261 §18.2.1: record where the request really came from. */
  private stampVia(value: string, peer: SipPeer): string {
    let v = value;
    try {
      const via = parseVia(value);
      if (via.host !== peer.address) v += `;received=${peer.address}`;
      if ('rport' in via.params && via.params.rport === '') v = v.replace(/;\s*rport(?=;|$)/i, `;rport=${peer.port}`);
    } catch {
      // answered as it came: a malformed Via was already refused by the caller
    }
    return v;
  }

  private onDatagram(buf: Buffer, rinfo: RemoteInfo): void {
    const peer: SipPeer = { transport: 'udp', address: rinfo.address, port: rinfo.port };
    // RFC 5626 §4.4.1: CRLF keep-alive pings over UDP.
    if (buf.length <= 4 && buf.toString('latin1').trim() === '') return;
    let msg: SipMessage;
    try {
      msg = parseSipDatagram(buf);
    } catch (err) {
      this.opts.onMalformed(errorMessage(err), peer);
      return;
    }
    this.dispatch(msg, peer);
  }

  private onConnection(socket: Socket): void {
    this.sockets.add(socket);
    const peer: SipPeer = { transport: 'tcp', address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0, socket };
    const framer = new SipStreamFramer();
    socket.on('data', (chunk) => {
      let messages: SipMessage[];
      try {
        messages = framer.push(chunk);
      } catch (err) {
        // A stream that lost its framing cannot be resynchronised (RFC 3261 §18.3): close it.
        this.opts.onMalformed(errorMessage(err), peer);
        socket.destroy();
        return;
      }
      for (const m of messages) this.dispatch(m, peer);
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.sockets.delete(socket));
  }

  private dispatch(msg: SipMessage, peer: SipPeer): void {
    if (msg.kind === 'response') {
      const top = header(msg, 'via');
      let branch: string | undefined;
      try {
        branch = top ? parseVia(top).params.branch : undefined;
      } catch {
        branch = undefined;
      }
      const p = branch ? this.pending.get(branch) : undefined;
      if (!p || msg.status < 200) return; // provisional (100 Trying) or stray
      this.clearTimers(p);
      this.pending.delete(branch as string);
      p.resolve(msg);
      return;
    }
    const key = answerKey(msg);
    const cached = key ? this.answers.get(key) : undefined;
    if (cached && peer.transport === 'udp') {
      this.udp?.send(cached.bytes, peer.port, peer.address);
      return;
    }
    this.opts.onRequest(msg, peer);
  }
}

function answerKey(req: SipRequest): string | undefined {
  const via = header(req, 'via');
  if (!via) return undefined;
  try {
    const branch = parseVia(via).params.branch;
    return branch ? `${branch}|${req.method}|${header(req, 'call-id') ?? ''}` : undefined;
  } catch {
    return undefined;
  }
}

/** Our To tag for a request: stable per Call-ID, so every answer in a dialog carries the same. */
function tagFor(req: SipRequest): string {
  let h = 2166136261;
  for (const c of header(req, 'call-id') ?? '') h = Math.imul(h ^ c.charCodeAt(0), 16777619);
  return (h >>> 0).toString(16);
}
