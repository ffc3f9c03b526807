/**
 * DC-09 receiver (CSR) over TCP and UDP (SIA DC-09-2013 5.3: a CSR accepting both picks the
 * protocol per incoming message). Durability first: a message is ACKed only after the async
 * `onMessage` handler resolved, so an ACK means the event is stored. A repeated sequence number
 * from the same account/receiver/line with the same data is a retransmission (the sender
 * lost our ACK): it is processed once and ACKed again.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import pino, { type Logger } from 'pino';
import { systemClock, type Clock, type Timer } from '../../../gateway/contract/clock.js';
import { DC09_ERRORS } from './dc09-errors.js';
import type { Dc09Header } from './dc09-frame.js';
import { splitFrames, type SplitItem } from './dc09-framer.js';
import { preciseNow } from '../../../gateway/contract/press-timing.js';
import {
  buildAck,
  buildDuh,
  buildNak,
  decideReply,
  type Dc09Message,
  type Dc09RejectReason,
  type ReceiverPolicy,
} from './dc09-receiver-logic.js';

export interface Dc09ReceivedMessage extends Dc09Message {
  transport: 'tcp' | 'udp';
  remote: { address: string; port: number };
  receivedAt: number;
  /** When the bytes that completed the frame were read (preciseNow(), gateway/contract/press-timing.ts). */
  arrivedAt: number;
  /** The frame as received, latin1, <LF> and <CR> included. */
  raw: string;
}

/**
 * What the handler wants answered; undefined means ACK. 'none' sends nothing (the sender will
 * retransmit). Only an ACKed message is remembered for de-duplication.
 */
export type Dc09HandlerResult = void | 'ack' | 'nak' | 'duh' | 'none';

export interface Dc09RejectInfo {
  transport: 'tcp' | 'udp';
  remote: string;
  account?: string;
}

export interface Dc09ReceiverOptions {
  /** Bind address; default 127.0.0.1 (a deployment sets 0.0.0.0 explicitly). */
  host?: string;
  /** 0 picks a free port; UDP then binds the same number as TCP. */
  port?: number;
  tcp?: boolean;
  udp?: boolean;
  policy?: ReceiverPolicy;
  onMessage(msg: Dc09ReceivedMessage): Promise<Dc09HandlerResult>;
  onReject?(reason: Dc09RejectReason, detail: string, info: Dc09RejectInfo): void;
  log?: Logger;
  clock?: Clock;
  /** How long an ACKed message is remembered for de-duplication. Default 10 min. */
  dedupeTtlMs?: number;
  dedupeMax?: number;
  /** Bytes without a closing <CR> for this long are junk (answered DUH). Default 5 s. */
  frameIdleMs?: number;
  /** Close a TCP connection silent for this long; 0 never. Default 5 min. */
  connectionIdleMs?: number;
}

/** Closes a UDP socket; one that never bound (a failed start) has nothing to close. */
function closeUdp(udp: UdpSocket): Promise<void> {
  return new Promise<void>((resolve) => {
    try {
      udp.close(() => resolve());
    } catch {
      resolve();
    }
  });
}

type DedupeEntry = { state: 'pending'; done: Promise<boolean> } | { state: 'acked'; at: number };

export class Dc09Receiver {
  private tcpServer?: Server;
  private udpSocket?: UdpSocket;
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<Timer>();
  private readonly seen = new Map<string, DedupeEntry>();
  private boundPort?: number;
  private running = false;

  constructor(private readonly opts: Dc09ReceiverOptions) {}

  private silent?: Logger;

  private get log(): Logger {
    return this.opts.log ?? (this.silent ??= pino({ level: 'silent' }));
  }

  private get clock(): Clock {
    return this.opts.clock ?? systemClock;
  }

  /**
   * Listens (again, on the same port after a stop()). With port 0 and both transports the system
   * picks a free TCP port and UDP must take the same number, which another program's UDP socket
   * may hold (EADDRINUSE: seen in full test runs, where a gateway's panels then never reached
   * it). The pair is picked again then, up to 20 times. What a failed attempt opened is closed.
   */
  async start(): Promise<{ host: string; port: number }> {
    if (this.running) throw DC09_ERRORS.error('GW_ERR_DC09_ALREADY_STARTED');
    const host = this.opts.host ?? '127.0.0.1';
    const port = this.boundPort ?? this.opts.port ?? 0;
    const tries = port === 0 && this.opts.tcp !== false && this.opts.udp !== false ? 20 : 1;
    for (let attempt = 1; ; attempt++) {
      try {
        const bound = await this.bind(host, port);
        this.boundPort = bound;
        this.running = true;
        this.log.info({ host, port: bound }, 'dc09 receiver listening');
        return { host, port: bound };
      } catch (err) {
        await this.closeListeners();
        if (attempt >= tries || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
        this.log.debug({ attempt, err: (err as Error).message }, 'dc09 receiver: the picked port is taken for UDP, picking again');
      }
    }
  }

  private async bind(host: string, wanted: number): Promise<number> {
    let port = wanted;
    if (this.opts.tcp !== false) {
      const server = createServer({ noDelay: true }, (s) => this.onConnection(s));
      this.tcpServer = server;
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      server.on('error', (err) => this.log.error({ err }, 'dc09 tcp server error'));
      const addr = server.address();
      if (addr && typeof addr === 'object') port = addr.port;
    }
    if (this.opts.udp !== false) {
      const udp = createSocket('udp4');
      this.udpSocket = udp;
      await new Promise<void>((resolve, reject) => {
        udp.once('error', reject);
        udp.bind(port, host, () => {
          udp.off('error', reject);
          resolve();
        });
      });
      udp.on('error', (err) => this.log.error({ err }, 'dc09 udp socket error'));
      udp.on('message', (buf, rinfo) => this.onDatagram(udp, buf, rinfo.address, rinfo.port));
      port = udp.address().port;
    }
    return port;
  }

  /** Closes listeners and connections; remembered sequence numbers survive a restart. */
  async stop(): Promise<void> {
    this.running = false;
    for (const t of this.timers) this.clock.clearTimeout(t);
    this.timers.clear();
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    const tcp = this.tcpServer;
    const udp = this.udpSocket;
    this.tcpServer = undefined;
    this.udpSocket = undefined;
    await Promise.all([
      tcp ? new Promise<void>((resolve) => tcp.close(() => resolve())) : undefined,
      udp ? closeUdp(udp) : undefined,
    ]);
  }

  /**
   * Closes the listeners but keeps the open connections (and their timers): new connections
   * are refused until start() listens again on the same port. A simulator's black hole uses it
   * to hand the port to a listener that never accepts.
   */
  async closeListeners(): Promise<void> {
    this.running = false;
    const tcp = this.tcpServer;
    const udp = this.udpSocket;
    this.tcpServer = undefined;
    this.udpSocket = undefined;
    // The server's close callback waits for its connections, which stay: the listening socket
    // itself is closed by the next turn of the event loop.
    tcp?.close();
    await Promise.all([udp ? closeUdp(udp) : undefined, new Promise<void>((resolve) => setImmediate(resolve))]);
  }

  get port(): number | undefined {
    return this.boundPort;
  }

  get listening(): boolean {
    return this.running;
  }

  private later(fn: () => void, ms: number): Timer {
    const t = this.clock.setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
    return t;
  }

  private cancel(t: Timer | undefined): void {
    if (t === undefined) return;
    this.clock.clearTimeout(t);
    this.timers.delete(t);
  }

  private onConnection(sock: Socket): void {
    if (!this.running) {
      sock.destroy();
      return;
    }
    this.sockets.add(sock);
    sock.setNoDelay(true);
    const remote = { address: sock.remoteAddress ?? '', port: sock.remotePort ?? 0 };
    const send = (b: Buffer): void => {
      if (!sock.destroyed && sock.writable) sock.write(b);
    };
    let pending: Buffer = Buffer.alloc(0);
    let chain: Promise<void> = Promise.resolve();
    let junkTimer: Timer | undefined;
    let idleTimer: Timer | undefined;
    const idleMs = this.opts.connectionIdleMs ?? 300_000;
    const armIdle = (): void => {
      this.cancel(idleTimer);
      if (idleMs > 0) idleTimer = this.later(() => sock.end(), idleMs);
    };
    armIdle();
    sock.on('data', (chunk: Buffer) => {
      const arrivedAt = preciseNow();
      armIdle();
      this.cancel(junkTimer);
      const { items, rest } = splitFrames(Buffer.concat([pending, chunk]));
      pending = rest;
      // In stream order, one at a time: replies leave in the order the messages came (5.5.3).
      for (const item of items) chain = this.after(chain, () => this.onItem(item, 'tcp', remote, send, arrivedAt), 'tcp', remote);
      if (pending.length > 0) {
        junkTimer = this.later(() => {
          const j = pending;
          pending = Buffer.alloc(0);
          chain = this.after(chain, () => this.onJunk(j, 'tcp', remote, send), 'tcp', remote);
        }, this.opts.frameIdleMs ?? 5000);
      }
    });
    sock.on('error', (err) => this.log.debug({ err, remote }, 'dc09 connection error'));
    sock.on('close', () => {
      this.cancel(junkTimer);
      this.cancel(idleTimer);
      this.sockets.delete(sock);
    });
  }

  private onDatagram(udp: UdpSocket, buf: Buffer, address: string, port: number): void {
    const arrivedAt = preciseNow();
    const remote = { address, port };
    const send = (b: Buffer): void => {
      if (this.udpSocket === udp) udp.send(b, port, address);
    };
    // One datagram is one message (5.3): whatever is left unterminated is junk.
    const { items, rest } = splitFrames(buf);
    if (rest.length > 0) items.push({ kind: 'junk', bytes: rest });
    let chain: Promise<void> = Promise.resolve();
    for (const item of items) chain = this.after(chain, () => this.onItem(item, 'udp', remote, send, arrivedAt), 'udp', remote);
  }

  private onItem(item: SplitItem, transport: 'tcp' | 'udp', remote: { address: string; port: number }, send: (b: Buffer) => void, arrivedAt: number): Promise<void> {
    return item.kind === 'frame' ? this.onFrame(item.bytes, transport, remote, send, arrivedAt) : this.onJunk(item.bytes, transport, remote, send);
  }

  /**
   * Runs `next` after `chain`, and never lets it break the chain: a frame whose processing
   * throws (a key lookup or a reply builder failing) is logged and counted, and the frames
   * after it on the same connection are still answered — nothing is left as an unhandled
   * rejection.
   */
  private after(chain: Promise<void>, next: () => Promise<void>, transport: 'tcp' | 'udp', remote: { address: string; port: number }): Promise<void> {
    return chain.then(next).catch((err: unknown) => {
      this.log.error({ err, transport, remote }, 'dc09 frame processing failed');
      this.reject('handler-failed', err instanceof Error ? err.message : String(err), { transport, remote: `${remote.address}:${remote.port}` });
    });
  }

  private reject(reason: Dc09RejectReason, detail: string, info: Dc09RejectInfo): void {
    this.log.warn({ reason, detail, ...info }, 'dc09 frame refused');
    try {
      this.opts.onReject?.(reason, detail, info);
    } catch (err) {
      this.log.error({ err }, 'dc09 onReject callback threw');
    }
  }

  private async onJunk(
    junk: Buffer,
    transport: 'tcp' | 'udp',
    remote: { address: string; port: number },
    send: (b: Buffer) => void,
  ): Promise<void> {
    this.reject('junk', JSON.stringify(junk.subarray(0, 40).toString('latin1')), {
      transport,
      remote: `${remote.address}:${remote.port}`,
    });
    send(buildDuh());
  }

  private async onFrame(
    raw: Buffer,
    transport: 'tcp' | 'udp',
    remote: { address: string; port: number },
    send: (b: Buffer) => void,
    arrivedAt: number,
  ): Promise<void> {
    const policy = this.opts.policy ?? {};
    const decision = decideReply(raw, this.clock.now(), policy);
    const where = `${remote.address}:${remote.port}`;
    if (decision.reply !== 'ack') {
      const account = decision.reply === 'none' ? undefined : decision.header?.account;
      this.reject(decision.reason, decision.detail, { transport, remote: where, ...(account ? { account } : {}) });
      if (decision.reply !== 'none') send(decision.response);
      return;
    }
    const { message } = decision;
    const { frame } = message;
    const key = policy.keys?.(frame.account);
    const ack = (): void => send(buildAck(frame, this.clock.now(), key, policy.pad));
    const id = [frame.account, frame.receiver ?? '', frame.line ?? '', frame.sequence, frame.token, frame.data].join('|');
    this.evict();
    const prior = this.seen.get(id);
    if (prior?.state === 'acked') {
      this.log.info({ account: frame.account, sequence: frame.sequence }, 'dc09 retransmission: ACK again');
      ack();
      return;
    }
    if (prior?.state === 'pending') {
      this.log.info({ account: frame.account, sequence: frame.sequence }, 'dc09 retransmission while the first is processed');
      if (await prior.done) ack();
      return;
    }
    let settle: (acked: boolean) => void = () => undefined;
    this.seen.set(id, { state: 'pending', done: new Promise<boolean>((r) => (settle = r)) });
    let outcome: Dc09HandlerResult;
    try {
      outcome = await this.opts.onMessage({
        ...message,
        transport,
        remote,
        receivedAt: this.clock.now(),
        arrivedAt,
        raw: raw.toString('latin1'),
      });
    } catch (err) {
      this.seen.delete(id);
      settle(false);
      this.reject('handler-failed', err instanceof Error ? err.message : String(err), {
        transport,
        remote: where,
        account: frame.account,
      });
      return;
    }
    const reply = outcome ?? 'ack';
    if (reply === 'ack') {
      this.seen.delete(id);
      this.seen.set(id, { state: 'acked', at: this.clock.now() });
      settle(true);
      ack();
      return;
    }
    this.seen.delete(id);
    settle(false);
    const header: Dc09Header = {
      token: frame.token,
      encrypted: frame.encrypted,
      sequence: frame.sequence,
      account: frame.account,
      ...(frame.receiver !== undefined ? { receiver: frame.receiver } : {}),
      ...(frame.line !== undefined ? { line: frame.line } : {}),
    };
    if (reply === 'nak') send(buildNak(this.clock.now()));
    else if (reply === 'duh') send(buildDuh(header));
  }

  /** Drops remembered messages past their TTL (insertion order is time order) or the cap. */
  private evict(): void {
    const ttl = this.opts.dedupeTtlMs ?? 600_000;
    const max = this.opts.dedupeMax ?? 10_000;
    const now = this.clock.now();
    for (const [id, e] of this.seen) {
      if (e.state === 'acked' && (now - e.at > ttl || this.seen.size > max)) this.seen.delete(id);
      else if (e.state === 'acked') break;
    }
  }
}
