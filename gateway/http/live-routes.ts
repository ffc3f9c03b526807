/**
 * GET /api/live (WebSocket): a snapshot of open alarms and every device's health on connect,
 * then each alarm and health change as it happens (cluster mode: those made on other nodes too —
 * alarms by PostgreSQL NOTIFY, health views and broadcasts by the Redis live relay). Every message carries `seq`; a client that
 * reconnects receives a fresh snapshot and replaces its state (no missing or doubled rows).
 *
 * Each viewer gets only what its login may see: a school's socket carries its own school's
 * alarms and devices, broadcasts only reach roles that may read them, and a socket whose
 * session ends (logout, expiry, account disabled) is closed with code 4401 within a heartbeat.
 */
import type { FastifyInstance } from 'fastify';
import type { WebSocket } from 'ws';
import { scopeOf } from '../auth/access.js';
import { can } from '../auth/roles.js';
import type { Scope } from '../auth/scope.js';
import type { HttpDeps } from './deps.js';

export type LiveMessage =
  | { type: 'snapshot'; seq: number; alarms: unknown[]; health: unknown[]; broadcasts: unknown[]; at: number }
  | { type: 'broadcast'; seq: number; change: 'created' | 'recipient' | 'closed' }
  | { type: 'ping'; seq: number; at: number }
  | { type: 'alarm'; seq: number; change: string; alarm: unknown }
  | { type: 'health'; seq: number; health: unknown };

/** A slow viewer's socket buffer beyond this is dropped: it reconnects and resyncs. */
const MAX_BUFFERED = 4 * 1024 * 1024;
/** Close code for an ended session (4000–4999 are the application's, RFC 6455 §7.4.2). */
export const LIVE_SESSION_ENDED = 4401;

interface Viewer {
  scope: Scope;
  broadcasts: boolean;
  sessionId?: string;
  /** Messages held back until the viewer's snapshot is sent (its open broadcasts are read from the store). */
  held?: string[];
}

export function liveRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const sockets = new Map<WebSocket, Viewer>();
  let seq = 0;

  /** `siteId` undefined: for every viewer; `needsBroadcasts`: only viewers who may read broadcasts. */
  const send = (msg: Record<string, unknown>, siteId: string | undefined, needsBroadcasts = false) => {
    if (sockets.size === 0) return;
    const text = JSON.stringify({ ...msg, seq: ++seq });
    for (const [ws, viewer] of sockets) {
      if (needsBroadcasts && !viewer.broadcasts) continue;
      if (siteId !== undefined && !viewer.scope.hasSite(siteId)) continue;
      if (viewer.held) {
        viewer.held.push(text);
        continue;
      }
      if (ws.bufferedAmount > MAX_BUFFERED) {
        deps.counters.inc('live.dropped-slow-client');
        ws.terminate();
        continue;
      }
      ws.send(text);
    }
  };

  const offAlarm = deps.bus.on('alarm.changed', 'live', ({ alarm, change }) => send({ type: 'alarm', change, alarm }, alarm.siteId));
  const offHealth = deps.bus.on('health.changed', 'live', ({ health }) => send({ type: 'health', health }, health.siteId));
  const offBroadcast = deps.broadcasts?.onChange((change) => send({ type: 'broadcast', ...change }, undefined, true));
  // Cluster mode: another node's broadcast changes, relayed over Redis (gateway/app.ts).
  const offRemoteBroadcast = deps.remoteBroadcasts?.((change) => send({ type: 'broadcast', ...change }, undefined, true));
  // A heartbeat lets viewers notice a half-open socket within seconds, not at the next alarm;
  // the same tick closes sockets whose session has ended.
  const closeEnded = async () => {
    for (const [ws, viewer] of sockets) {
      if (viewer.sessionId === undefined) continue;
      // With the store unreachable a session cannot be checked: it stays open until it can.
      const op = await deps.operators.authenticate(viewer.sessionId).catch(() => 'unknown' as const);
      if (op === undefined) {
        sockets.delete(ws);
        ws.close(LIVE_SESSION_ENDED, 'session ended');
      }
    }
  };
  const ping = setInterval(() => {
    void closeEnded().finally(() => send({ type: 'ping', at: deps.clock.now() }, undefined));
  }, 15_000);
  ping.unref();

  app.addHook('onClose', async () => {
    offAlarm();
    offHealth();
    offBroadcast?.();
    offRemoteBroadcast?.();
    clearInterval(ping);
    for (const ws of sockets.keys()) ws.close(1001, 'gateway stopping');
    sockets.clear();
  });

  app.get('/api/live', { websocket: true, config: { permission: 'alarms:read' } }, async (socket, req) => {
    const scope = scopeOf(req);
    const broadcasts = !req.operator || can(req.operator.role, 'broadcasts:read');
    // Changes from now on are held and follow the snapshot (with later seqs), so none falls
    // between the snapshot and the first change while the open broadcasts are read.
    const viewer: Viewer = { scope, broadcasts, held: [], ...(req.sessionId ? { sessionId: req.sessionId } : {}) };
    sockets.set(socket, viewer);
    deps.counters.inc('live.connections');
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => sockets.delete(socket));
    // Viewers only listen; anything they send is ignored (and counted).
    socket.on('message', () => deps.counters.inc('live.ignored-client-message'));
    const snapshot = {
      type: 'snapshot',
      seq: ++seq,
      at: deps.clock.now(),
      alarms: deps.alarms.openAlarms().filter((a) => scope.hasSite(a.siteId)),
      health: deps.health.all().filter((h) => scope.hasSite(h.siteId)),
    };
    let open: unknown[] = [];
    if (broadcasts && deps.broadcasts) {
      try {
        open = (await deps.broadcasts.list({ state: 'open' })).filter((b) => !b.siteId || scope.hasSite(b.siteId));
      } catch (err) {
        // The store is unreachable: the board still gets its alarms; broadcasts follow as they change.
        deps.log.warn({ err }, 'live snapshot without open broadcasts');
      }
    }
    const held = viewer.held ?? [];
    delete viewer.held;
    if (!sockets.has(socket)) return;
    socket.send(JSON.stringify({ ...snapshot, broadcasts: open }));
    for (const text of held) socket.send(text);
  });
}
