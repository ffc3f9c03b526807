/**
 * The /api/live WebSocket with reconnect. The gateway sends a snapshot on every connect
 * (gateway/http/live-routes.ts), so a reconnect is a resync: the state is replaced from the
 * snapshot, never patched across a gap. Delays grow exponentially with jitter so that a
 * control room full of screens does not reconnect in lockstep after a gateway restart.
 */
import type { LiveMessage } from './model.js';

export type LiveState = 'connecting' | 'live' | 'reconnecting';

export interface LiveHandlers {
  message(msg: LiveMessage): void;
  state(state: LiveState, retryAt?: number): void;
}

export interface BackoffOptions {
  minDelayMs: number;
  maxDelayMs: number;
  /** A socket that opens but sends no snapshot within this is treated as dead. */
  snapshotTimeoutMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { minDelayMs: 500, maxDelayMs: 15_000, snapshotTimeoutMs: 10_000 };

/** Delay before reconnect attempt `attempt` (0-based): exponential, capped, half jittered. */
export function backoffDelay(attempt: number, opts: BackoffOptions, random: () => number = Math.random): number {
  const ceiling = Math.min(opts.maxDelayMs, opts.minDelayMs * 2 ** Math.min(attempt, 20));
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}

const LIVE_TYPES = new Set(['snapshot', 'alarm', 'health']);

function parse(data: unknown): LiveMessage | undefined {
  if (typeof data !== 'string') return undefined;
  try {
    const msg = JSON.parse(data) as { type?: unknown; seq?: unknown };
    if (typeof msg.type !== 'string' || !LIVE_TYPES.has(msg.type) || typeof msg.seq !== 'number') return undefined;
    return msg as LiveMessage;
  } catch {
    return undefined;
  }
}

export class LiveConnection {
  private socket?: WebSocket;
  private retryTimer?: number;
  private snapshotTimer?: number;
  private attempt = 0;
  private stopped = true;
  /** seq of the last snapshot: anything older on this socket is stale. */
  private snapshotSeq = -1;

  constructor(
    private readonly url: string,
    private readonly handlers: LiveHandlers,
    private readonly opts: BackoffOptions = DEFAULT_BACKOFF,
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect('connecting');
  }

  stop(): void {
    this.stopped = true;
    this.clearTimers();
    const s = this.socket;
    this.socket = undefined;
    s?.close(1000, 'dashboard closed');
  }

  /** Drops the current socket (if any) and reconnects at once: a forced resync. */
  reconnectNow(): void {
    if (this.stopped) return;
    this.clearTimers();
    const s = this.socket;
    this.socket = undefined;
    s?.close(4000, 'resync');
    this.attempt = 0;
    this.connect('reconnecting');
  }

  private connect(state: LiveState): void {
    this.handlers.state(state);
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.url);
    } catch {
      this.scheduleRetry();
      return;
    }
    this.socket = ws;
    this.snapshotSeq = -1;
    ws.addEventListener('open', () => {
      if (this.socket !== ws) return;
      this.snapshotTimer = window.setTimeout(() => {
        if (this.socket === ws) this.lost(ws);
      }, this.opts.snapshotTimeoutMs);
    });
    ws.addEventListener('message', (ev: MessageEvent) => {
      if (this.socket !== ws) return;
      const msg = parse(ev.data);
      if (!msg) return;
      if (msg.type === 'snapshot') {
        window.clearTimeout(this.snapshotTimer);
        this.snapshotSeq = msg.seq;
        this.attempt = 0;
        this.handlers.message(msg);
        this.handlers.state('live');
        return;
      }
      // Changes before the snapshot, or older than it, are already in it.
      if (this.snapshotSeq < 0 || msg.seq <= this.snapshotSeq) return;
      this.handlers.message(msg);
    });
    ws.addEventListener('close', () => this.lost(ws));
    ws.addEventListener('error', () => this.lost(ws));
  }

  private lost(ws: WebSocket): void {
    if (this.socket !== ws) return;
    this.socket = undefined;
    window.clearTimeout(this.snapshotTimer);
    try {
      ws.close();
    } catch {
      // already closing
    }
    if (!this.stopped) this.scheduleRetry();
  }

  private scheduleRetry(): void {
    const delay = backoffDelay(this.attempt++, this.opts);
    this.handlers.state('reconnecting', Date.now() + delay);
    window.clearTimeout(this.retryTimer);
    this.retryTimer = window.setTimeout(() => this.connect('reconnecting'), delay);
  }

  private clearTimers(): void {
    window.clearTimeout(this.retryTimer);
    window.clearTimeout(this.snapshotTimer);
  }
}
