/**
 * A simulated 110 alarm-receiving centre: a DC-09 receiver (TCP + UDP) that records every
 * message it accepts, with failure modes for tests and drills, and an HTTP control API on
 * loopback (http-api.ts).
 *
 * Modes: 'normal' ACKs; 'nak' answers NAK (as a centre whose clock disagrees would);
 * 'delay' waits `delayMs` before storing and ACKing; 'drop' swallows messages without a reply
 * or a record (a lost packet); 'down' closes the listeners, so connections are refused until
 * the mode changes back; 'blackhole' answers nothing at all: open connections stay open and
 * every message on them is swallowed (no reply, no FIN, no RST), and the port is handed to a
 * listener that never accepts, so a new connection gets neither SYN-ACK nor RST
 * (blackhole-listener.ts says how, and what loopback cannot hide).
 */
import type { FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import { Dc09Receiver, type Dc09HandlerResult, type Dc09ReceivedMessage } from '../../adapters/shared/dc09/dc09-receiver.js';
import type { Dc09Payload, Dc09RejectReason } from '../../adapters/shared/dc09/dc09-receiver-logic.js';
import type { Dc09TimeWindow } from '../../adapters/shared/dc09/dc09-time.js';
import type { Dc09ExtendedData, Dc09Token } from '../../adapters/shared/dc09/dc09-frame.js';
import { systemClock, type Clock, type Timer } from '../../gateway/contract/clock.js';
import { listenForOutages } from '../outage-port.js';
import { ALARM_CENTRE_MODES, type AlarmCentreMode } from './alarm-centre-modes.js';
import { buildHttpApi } from './http-api.js';
import { startBlackholeListener, type BlackholeListener } from '../blackhole-listener.js';

export { ALARM_CENTRE_MODES, type AlarmCentreMode };

export interface RecordedMessage {
  /** 1, 2, 3… in order of acceptance. */
  id: number;
  receivedAt: number;
  /** When the frame's bytes were read (performance.timeOrigin + performance.now(): wall clock, µs). */
  arrivedAt: number;
  transport: 'tcp' | 'udp';
  remote: string;
  token: Dc09Token;
  encrypted: boolean;
  account: string;
  sequence: number;
  receiver?: string;
  line?: string;
  data: string;
  extended: Dc09ExtendedData[];
  timestamp?: string;
  payload: Dc09Payload;
  raw: string;
}

export interface AlarmCentreStartOptions {
  host?: string;
  /** DC-09 port (TCP and UDP); 0 picks a free one. */
  port?: number;
  httpHost?: string;
  /** HTTP control API port; 0 picks a free one; null disables the API. */
  httpPort?: number | null;
  /** Keys per account; '*' applies to any account without its own. */
  keys?: Record<string, Uint8Array>;
  window?: Dc09TimeWindow;
}

export interface AlarmCentreStatus {
  mode: AlarmCentreMode;
  delayMs: number;
  listening: boolean;
  port?: number;
  httpPort?: number;
  /** blackholed: messages swallowed in 'blackhole' mode. */
  counts: { accepted: number; naked: number; dropped: number; rejected: number; blackholed: number };
  rejects: Partial<Record<Dc09RejectReason, number>>;
}

interface Waiter {
  pred: (m: RecordedMessage) => boolean;
  resolve: (m: RecordedMessage) => void;
  reject: (e: Error) => void;
  timer: Timer;
}

export class AlarmCentreSimulator {
  private receiver?: Dc09Receiver;
  private http?: FastifyInstance;
  private readonly recorded: RecordedMessage[] = [];
  private readonly waiters = new Set<Waiter>();
  private readonly delays = new Set<{ timer: Timer; resolve: () => void }>();
  private currentMode: AlarmCentreMode = 'normal';
  private delayMs = 0;
  private nextId = 1;
  private counts = { accepted: 0, naked: 0, dropped: 0, rejected: 0, blackholed: 0 };
  private hole?: BlackholeListener;
  private host = '127.0.0.1';
  private rejects: Partial<Record<Dc09RejectReason, number>> = {};
  private modeChange: Promise<void> = Promise.resolve();
  private httpPort?: number;

  constructor(private readonly deps: { log?: Logger; clock?: Clock } = {}) {}

  private get clock(): Clock {
    return this.deps.clock ?? systemClock;
  }

  async start(opts: AlarmCentreStartOptions = {}): Promise<{ port: number; httpPort?: number }> {
    const log = this.deps.log ?? pino({ level: 'silent' });
    const keys = opts.keys ?? {};
    const host = opts.host ?? '127.0.0.1';
    const receiver = (port: number) =>
      new Dc09Receiver({
        host,
        port,
        policy: {
          keys: (account) => keys[account] ?? keys['*'],
          ...(opts.window ? { window: opts.window } : {}),
        },
        onMessage: (m) => this.onMessage(m),
        onReject: (reason) => {
          this.counts.rejected++;
          this.rejects[reason] = (this.rejects[reason] ?? 0) + 1;
        },
        log: log.child({ sim: 'alarm-centre' }),
        clock: this.clock,
      });
    this.host = host;
    // Port 0: one outside the system's ephemeral range, free for TCP and UDP, so that the centre
    // can listen on it again after an outage ('down', 'blackhole'): see outage-port.ts.
    const { port } = await listenForOutages(
      host,
      opts.port ?? 0,
      (p) => {
        this.receiver = receiver(p);
        return this.receiver.start();
      },
      { udp: true },
    );
    if (opts.httpPort !== null) {
      this.http = buildHttpApi(this, log);
      await this.http.listen({ host: opts.httpHost ?? '127.0.0.1', port: opts.httpPort ?? 0 });
      const addr = this.http.server.address();
      this.httpPort = addr && typeof addr === 'object' ? addr.port : undefined;
    }
    return { port, ...(this.httpPort !== undefined ? { httpPort: this.httpPort } : {}) };
  }

  async stop(): Promise<void> {
    for (const d of this.delays) {
      this.clock.clearTimeout(d.timer);
      d.resolve();
    }
    this.delays.clear();
    for (const w of this.waiters) {
      this.clock.clearTimeout(w.timer);
      w.reject(new Error('alarm-centre simulator stopped'));
    }
    this.waiters.clear();
    await this.modeChange;
    await this.hole?.stop();
    this.hole = undefined;
    await this.receiver?.stop();
    await this.http?.close();
    this.receiver = undefined;
    this.http = undefined;
    this.httpPort = undefined;
  }

  get mode(): AlarmCentreMode {
    return this.currentMode;
  }

  /** Switches mode; resolves once listeners are closed ('down') or reopened. */
  setMode(mode: AlarmCentreMode, delayMs?: number): Promise<void> {
    const run = this.modeChange.then(async () => {
      const was = this.currentMode;
      this.currentMode = mode;
      if (delayMs !== undefined) this.delayMs = delayMs;
      const closed = (m: AlarmCentreMode): boolean => m === 'down' || m === 'blackhole';
      if (was === 'blackhole' && mode !== 'blackhole') {
        await this.hole?.stop();
        this.hole = undefined;
      }
      if (mode === 'down' && was !== 'down') await this.receiver?.stop();
      if (mode === 'blackhole' && was !== 'blackhole' && this.receiver) {
        if (was === 'down') await this.receiver.start();
        const port = this.receiver.port;
        await this.receiver.closeListeners();
        if (port !== undefined) this.hole = await startBlackholeListener(this.host, port);
      }
      if (!closed(mode) && closed(was)) await this.receiver?.start();
    });
    this.modeChange = run.catch(() => undefined);
    return run;
  }

  messages(filter: { account?: string } = {}): RecordedMessage[] {
    const acct = filter.account?.toUpperCase();
    return this.recorded.filter((m) => acct === undefined || m.account === acct);
  }

  clear(): void {
    this.recorded.length = 0;
  }

  status(): AlarmCentreStatus {
    return {
      mode: this.currentMode,
      delayMs: this.delayMs,
      listening: this.receiver?.listening ?? false,
      ...(this.receiver?.port !== undefined ? { port: this.receiver.port } : {}),
      ...(this.httpPort !== undefined ? { httpPort: this.httpPort } : {}),
      counts: { ...this.counts },
      rejects: { ...this.rejects },
    };
  }

  /** Resolves with the first recorded message (already or later) matching `pred`. */
  waitForMessage(pred: (m: RecordedMessage) => boolean = () => true, timeoutMs = 10_000): Promise<RecordedMessage> {
    const found = this.recorded.find(pred);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        pred,
        resolve,
        reject,
        timer: this.clock.setTimeout(() => {
          this.waiters.delete(w);
          reject(new Error(`no matching DC-09 message within ${timeoutMs} ms`));
        }, timeoutMs),
      };
      this.waiters.add(w);
    });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const d = {
        resolve,
        timer: this.clock.setTimeout(() => {
          this.delays.delete(d);
          resolve();
        }, ms),
      };
      this.delays.add(d);
    });
  }

  private async onMessage(m: Dc09ReceivedMessage): Promise<Dc09HandlerResult> {
    switch (this.currentMode) {
      case 'nak':
        this.counts.naked++;
        return 'nak';
      case 'drop':
        this.counts.dropped++;
        return 'none';
      case 'blackhole':
        this.counts.blackholed++;
        return 'none';
      case 'delay':
        await this.sleep(this.delayMs);
        break;
      default:
        break;
    }
    const { frame } = m;
    const rec: RecordedMessage = {
      id: this.nextId++,
      receivedAt: m.receivedAt,
      arrivedAt: m.arrivedAt,
      transport: m.transport,
      remote: `${m.remote.address}:${m.remote.port}`,
      token: frame.token,
      encrypted: frame.encrypted,
      account: frame.account,
      sequence: frame.sequence,
      ...(frame.receiver !== undefined ? { receiver: frame.receiver } : {}),
      ...(frame.line !== undefined ? { line: frame.line } : {}),
      data: frame.data,
      extended: frame.extended,
      ...(frame.timestamp !== undefined ? { timestamp: frame.timestamp } : {}),
      payload: m.payload,
      raw: m.raw,
    };
    this.recorded.push(rec);
    this.counts.accepted++;
    for (const w of [...this.waiters]) {
      if (w.pred(rec)) {
        this.waiters.delete(w);
        this.clock.clearTimeout(w.timer);
        w.resolve(rec);
      }
    }
    return 'ack';
  }
}
