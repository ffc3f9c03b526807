/**
 * DC-09 transmitter (PE side) over TCP: sends one frame, waits for the receiver's ACK / NAK /
 * DUH (SIA DC-09-2013 5.5.3) or a timeout. Frames go one at a time — a caller's second send
 * waits for the first's outcome — because DC-09 matches a reply to the last message sent.
 *
 * Connection per message by default (5.3.1: the PE may close after the ACK); `persistent`
 * keeps it open (DC-09-2013 allows it) and reconnects on the next send after a close. After a
 * timeout the connection is dropped so a late reply can never be taken for the next one's.
 * Retries, backoff and fail-over belong to the caller (the outbox).
 */
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import pino, { type Logger } from 'pino';
import { systemClock, type Clock, type Timer } from '../../../gateway/contract/clock.js';
import { preciseNow } from '../../../gateway/contract/press-timing.js';
import { DC09_ERRORS } from './dc09-errors.js';
import type { Dc09Frame } from './dc09-frame.js';
import { splitFrames } from './dc09-framer.js';
import { buildMessage, parseReply, type BuildMessageOptions, type ParsedReply } from './dc09-transmitter-logic.js';

export interface Dc09TransmitterOptions {
  host: string;
  port: number;
  /** Wait this long for the reply after writing. Default 10 s. */
  ackTimeoutMs?: number;
  /** Give up connecting after this long (reported as 'timeout'). Default 5 s. */
  connectTimeoutMs?: number;
  persistent?: boolean;
  log?: Logger;
  clock?: Clock;
  /**
   * Told about every reply it had to ignore: bytes that are no frame ('junk'), a frame that
   * does not decode, is no reply, or answers another message (ParsedReply errors). The link
   * counts them; the outcome of the send is still decided by the timeout or a proper reply.
   */
  onIgnoredReply?(reason: IgnoredReplyReason, detail: string): void;
}

export type IgnoredReplyReason = Extract<ParsedReply, { ok: false }>['error'] | 'junk';

export interface Dc09SendResult {
  reply: 'ack' | 'nak' | 'duh' | 'timeout' | 'closed';
  /** From the write (or the connect, when one was needed) to the outcome. */
  latencyMs: number;
  /** Receiver's clock from a NAK or encrypted ACK (ms, UTC): resynchronise with it. */
  receiverTime?: number;
  /** Why: 'ECONNREFUSED', 'connect timeout', 'closed by peer'… */
  detail?: string;
  /** The reply frame, for ack/nak/duh. */
  frame?: Dc09Frame;
  /** When the frame was handed to the socket (preciseNow(), gateway/contract/press-timing.ts). */
  writtenAt?: number;
  /** When the reply arrived (preciseNow()), for ack/nak/duh. */
  answeredAt?: number;
}

export interface Dc09OutgoingFrame {
  bytes: Buffer;
  sequence: number;
  account: string;
  /** The key the frame was encrypted with (the ACK must then be encrypted too). */
  key?: Uint8Array;
}

interface Waiter {
  resolve(r: Omit<Dc09SendResult, 'latencyMs'>): void;
  expect: Dc09OutgoingFrame;
}

export class Dc09Transmitter {
  private socket?: Socket;
  private buffer: Buffer = Buffer.alloc(0);
  private waiter?: Waiter;
  private queue: Promise<unknown> = Promise.resolve();
  private stopped = false;
  private silent?: Logger;

  constructor(private readonly opts: Dc09TransmitterOptions) {}

  private get log(): Logger {
    return this.opts.log ?? (this.silent ??= pino({ level: 'silent' }));
  }

  private get clock(): Clock {
    return this.opts.clock ?? systemClock;
  }

  /** Nothing to open up front: connections are made by send(). Re-enables after stop(). */
  async start(): Promise<void> {
    this.stopped = false;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.dropSocket('transmitter stopped');
    await this.queue.catch(() => undefined);
  }

  /**
   * Sends already-encoded bytes and resolves with the receiver's answer. With nothing in flight
   * and a connection open, the frame is written before send() returns (an alarm's frame leaves
   * before the rest of the press's work gets the event loop).
   */
  send(frame: Dc09OutgoingFrame): Promise<Dc09SendResult> {
    const run = this.inFlight === 0 ? this.sendNow(frame) : this.queue.then(() => this.sendNow(frame));
    return this.track(run);
  }

  /** Sends in flight or queued (one at a time: DC-09 matches a reply to the last message sent). */
  private inFlight = 0;

  private track<T>(run: Promise<T>): Promise<T> {
    this.inFlight++;
    const done = () => {
      this.inFlight--;
    };
    this.queue = run.then(done, done);
    return run;
  }

  /**
   * Builds the frame when its turn comes, so the timestamp is fresh on every attempt (a
   * retried encrypted frame with an old timestamp would be NAKed by the anti-replay test).
   */
  sendEvent(build: Omit<BuildMessageOptions, 'nowMs'>): Promise<Dc09SendResult & { sent: Dc09Frame }> {
    const run = this.queue.then(async () => {
      const { frame, bytes } = buildMessage({ ...build, nowMs: this.clock.now() });
      const res = await this.sendNow({
        bytes,
        sequence: build.sequence,
        account: build.account,
        ...(build.key !== undefined ? { key: build.key } : {}),
      });
      return { ...res, sent: frame };
    });
    return this.track(run);
  }

  private async sendNow(frame: Dc09OutgoingFrame): Promise<Dc09SendResult> {
    if (this.stopped) throw DC09_ERRORS.error('GW_ERR_DC09_NOT_STARTED', 'transmitter is stopped');
    const t0 = performance.now();
    const latency = (): number => Math.round((performance.now() - t0) * 1000) / 1000;
    const reused = this.socket && !this.socket.destroyed && this.socket.writable ? this.socket : undefined;
    let outcome = reused ? await this.exchange(reused, frame) : undefined;
    if (!outcome || (outcome.reply === 'closed' && outcome.detail === 'closed by peer')) {
      // Fresh connection — or the kept one turned out closed by the receiver (restart, idle
      // close) before it answered: the frame most likely never arrived, so send it once more
      // on a new connection; the receiver's de-duplication covers the other case.
      const c = await this.connect();
      if (!('socket' in c)) return { reply: c.reply, detail: c.detail, latencyMs: latency() };
      outcome = await this.exchange(c.socket, frame);
    }
    if (!this.opts.persistent || outcome.reply === 'closed') this.dropSocket('message done', true);
    return { ...outcome, latencyMs: latency() };
  }

  private exchange(s: Socket, frame: Dc09OutgoingFrame): Promise<Omit<Dc09SendResult, 'latencyMs'>> {
    return new Promise<Omit<Dc09SendResult, 'latencyMs'>>((resolve) => {
      let timer: Timer | undefined;
      // Marked before the write (a few µs early): the receiver cannot have the frame before this mark.
      const writtenAt = preciseNow();
      const finish = (r: Omit<Dc09SendResult, 'latencyMs'>): void => {
        if (timer !== undefined) this.clock.clearTimeout(timer);
        this.waiter = undefined;
        resolve({ ...r, writtenAt });
      };
      this.waiter = { resolve: finish, expect: frame };
      timer = this.clock.setTimeout(() => {
        timer = undefined;
        finish({ reply: 'timeout', detail: `no reply within ${this.opts.ackTimeoutMs ?? 10_000} ms` });
        this.dropSocket('ack timeout');
      }, this.opts.ackTimeoutMs ?? 10_000);
      s.write(frame.bytes);
    });
  }

  private connect(): Promise<{ socket: Socket } | { reply: 'timeout' | 'closed'; detail: string }> {
    return new Promise((resolve) => {
      const s = connect({ host: this.opts.host, port: this.opts.port, noDelay: true });
      let settled = false;
      const timer = this.clock.setTimeout(() => {
        if (settled) return;
        settled = true;
        s.destroy();
        resolve({ reply: 'timeout', detail: 'connect timeout' });
      }, this.opts.connectTimeoutMs ?? 5000);
      s.once('connect', () => {
        if (settled) return;
        settled = true;
        this.clock.clearTimeout(timer);
        this.attach(s);
        resolve({ socket: s });
      });
      s.once('error', (err: NodeJS.ErrnoException) => {
        if (settled) return;
        settled = true;
        this.clock.clearTimeout(timer);
        s.destroy();
        resolve({ reply: 'closed', detail: err.code ?? err.message });
      });
    });
  }

  private attach(s: Socket): void {
    this.socket = s;
    this.buffer = Buffer.alloc(0);
    s.on('data', (chunk: Buffer) => {
      if (this.socket !== s) return;
      const { items, rest } = splitFrames(Buffer.concat([this.buffer, chunk]));
      this.buffer = rest;
      for (const item of items) {
        if (item.kind === 'frame') this.onReply(item.bytes);
        else this.ignored('junk', JSON.stringify(item.bytes.subarray(0, 40).toString('latin1')));
      }
    });
    s.on('error', (err) => this.log.debug({ err }, 'dc09 transmitter socket error'));
    s.on('close', () => {
      if (this.socket !== s) return;
      this.socket = undefined;
      this.waiter?.resolve({ reply: 'closed', detail: 'closed by peer' });
    });
  }

  private onReply(raw: Buffer): void {
    const answeredAt = preciseNow();
    const w = this.waiter;
    if (!w) {
      this.log.debug({ raw: raw.toString('latin1') }, 'dc09 reply with nothing outstanding: ignored');
      return;
    }
    const parsed = parseReply(raw, w.expect);
    if (!parsed.ok) {
      // A reply that does not answer this frame (or a corrupt one) is ignored: the timeout
      // decides, and the caller retries with the same sequence number.
      this.ignored(parsed.error, parsed.detail);
      return;
    }
    w.resolve({
      reply: parsed.reply,
      frame: parsed.frame,
      answeredAt,
      ...(parsed.receiverTimeMs !== undefined ? { receiverTime: parsed.receiverTimeMs } : {}),
    });
  }

  private ignored(reason: IgnoredReplyReason, detail: string): void {
    this.log.warn({ error: reason, detail }, 'dc09 reply ignored');
    try {
      this.opts.onIgnoredReply?.(reason, detail);
    } catch (err) {
      this.log.error({ err }, 'dc09 onIgnoredReply callback threw');
    }
  }

  private dropSocket(why: string, graceful = false): void {
    const s = this.socket;
    this.socket = undefined;
    if (!s) return;
    this.log.debug({ why }, 'dc09 transmitter closing connection');
    if (graceful) s.end();
    else s.destroy();
    this.waiter?.resolve({ reply: 'closed', detail: why });
  }
}
