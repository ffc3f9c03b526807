/**
 * The /api/live WebSocket with reconnect. The gateway sends a snapshot on every connect
 * (gateway/http/live-routes.ts), so a reconnect is a resync: the state is replaced from the
 * snapshot, never patched across a gap. Delays grow exponentially with jitter so that a
 * control room full of screens does not reconnect in lockstep after a gateway restart.
 *
 * The gateway pings every 15 s. A socket that brings nothing at all for `idleTimeoutMs` is
 * half-open (a NAT or proxy dropped it without a FIN; the browser's own close would take many
 * minutes) and is replaced.
 *
 * Authentication (auth contract, issue #4): a browser cannot set headers on a WebSocket, so the
 * token travels as a subprotocol, `['campus-live.v1', 'bearer.<token>']`, and the gateway
 * selects `campus-live.v1`. A refused upgrade (401) looks to the page exactly like an
 * unreachable gateway (close 1006, RFC 6455 §7.1.7 hides the status on purpose), so the
 * connection only counts the attempts that brought no snapshot; the app asks the HTTP API
 * whether the session still holds.
 */
import type { LiveMessage } from './model.js';

export type LiveState = 'connecting' | 'live' | 'reconnecting';

export interface LiveHandlers {
  message(msg: LiveMessage): void;
  state(state: LiveState, retryAt?: number): void;
  /** `failures` sockets in a row closed before their snapshot (refused, unreachable or cut). */
  unsynced?(failures: number): void;
  /** The gateway closed the feed because the session ended (close code 4401). */
  sessionEnded?(): void;
}

/** gateway/http/live-routes.ts LIVE_SESSION_ENDED: logout, expiry or a disabled account. */
export const LIVE_SESSION_ENDED = 4401;

/** Subprotocols of the live feed for a session token (auth contract: `bearer.` + token). */
export function liveProtocols(token: string | undefined): string[] {
  return token ? ['campus-live.v1', `bearer.${token}`] : ['campus-live.v1'];
}

export interface BackoffOptions {
  minDelayMs: number;
  maxDelayMs: number;
  /** A socket that opens but sends no snapshot within this is treated as dead. */
  snapshotTimeoutMs: number;
  /** A live socket silent this long is dead: more than two of the gateway's 15 s pings missed. */
  idleTimeoutMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { minDelayMs: 500, maxDelayMs: 15_000, snapshotTimeoutMs: 10_000, idleTimeoutMs: 40_000 };

/** Delay before reconnect attempt `attempt` (0-based): exponential, capped, half jittered. */
export function backoffDelay(attempt: number, opts: BackoffOptions, random: () => number = Math.random): number {
  const ceiling = Math.min(opts.maxDelayMs, opts.minDelayMs * 2 ** Math.min(attempt, 20));
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}

const LIVE_TYPES = new Set(['snapshot', 'alarm', 'health', 'broadcast', 'ping']);
const BROADCAST_CHANGES = new Set(['created', 'recipient', 'closed']);

export function parseLiveMessage(data: unknown): LiveMessage | undefined {
  if (typeof data !== 'string') return undefined;
  try {
    const msg = JSON.parse(data) as { type?: unknown; seq?: unknown; change?: unknown; kind?: unknown };
    if (typeof msg.type !== 'string' || !LIVE_TYPES.has(msg.type) || typeof msg.seq !== 'number') return undefined;
    if (msg.type === 'broadcast') {
      // The gateway spreads its BroadcastChange (`change`); its LiveMessage type says `kind`: take either.
      const change = msg.change ?? msg.kind;
      if (typeof change !== 'string' || !BROADCAST_CHANGES.has(change)) return undefined;
      msg.change = change;
    }
    return msg as LiveMessage;
  } catch {
    return undefined;
  }
}

export class LiveConnection {
  private socket?: WebSocket;
  private retryTimer?: number;
  private snapshotTimer?: number;
  private idleTimer?: number;
  /** When the current socket last brought anything (a ping included). */
  private heardAt = 0;
  private attempt = 0;
  private stopped = true;
  /** seq of the last snapshot: anything older on this socket is stale. */
  private snapshotSeq = -1;
  /** Sockets in a row that closed before bringing a snapshot. */
  private unsynced = 0;

  constructor(
    private readonly url: string,
    private readonly handlers: LiveHandlers,
    private readonly opts: BackoffOptions = DEFAULT_BACKOFF,
    private readonly protocols: () => string[] = () => [],
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
      ws = new WebSocket(this.url, this.protocols());
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
      const msg = parseLiveMessage(ev.data);
      if (!msg) return;
      // Anything at all proves the socket alive, whatever its seq.
      this.heardAt = Date.now();
      if (msg.type === 'snapshot') {
        window.clearTimeout(this.snapshotTimer);
        this.snapshotSeq = msg.seq;
        this.attempt = 0;
        this.unsynced = 0;
        this.armIdle(ws, this.opts.idleTimeoutMs);
        this.handlers.message(msg);
        this.handlers.state('live');
        return;
      }
      // Changes before the snapshot, or older than it, are already in it; pings carry nothing.
      if (msg.type === 'ping' || this.snapshotSeq < 0 || msg.seq <= this.snapshotSeq) return;
      this.handlers.message(msg);
    });
    ws.addEventListener('close', (ev: CloseEvent) => {
      if (this.socket === ws && ev.code === LIVE_SESSION_ENDED) this.handlers.sessionEnded?.();
      this.lost(ws);
    });
    ws.addEventListener('error', () => this.lost(ws));
  }

  /**
   * One timer per socket, not one per message: when it fires it checks how long the socket
   * has really been silent and re-arms for the rest.
   */
  private armIdle(ws: WebSocket, delay: number): void {
    window.clearTimeout(this.idleTimer);
    this.idleTimer = window.setTimeout(() => {
      if (this.socket !== ws) return;
      const silent = Date.now() - this.heardAt;
      if (silent >= this.opts.idleTimeoutMs) this.lost(ws);
      else this.armIdle(ws, this.opts.idleTimeoutMs - silent);
    }, delay);
  }

  private lost(ws: WebSocket): void {
    if (this.socket !== ws) return;
    this.socket = undefined;
    const synced = this.snapshotSeq >= 0;
    window.clearTimeout(this.snapshotTimer);
    window.clearTimeout(this.idleTimer);
    try {
      ws.close();
    } catch {
      // already closing
    }
    if (this.stopped) return;
    this.scheduleRetry();
    if (!synced) this.handlers.unsynced?.(++this.unsynced);
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
    window.clearTimeout(this.idleTimer);
  }
}
