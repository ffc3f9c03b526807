/**
 * GET /api/live (WebSocket): a snapshot of open alarms and every device's health on connect,
 * then each alarm and health change as it happens. Every message carries `seq`; a client that
 * reconnects receives a fresh snapshot and replaces its state (no missing or doubled rows).
 */
import type { FastifyInstance } from 'fastify';
import type { WebSocket } from 'ws';
import type { HttpDeps } from './deps.js';

export type LiveMessage =
  | { type: 'snapshot'; seq: number; alarms: unknown[]; health: unknown[]; broadcasts: unknown[]; at: number }
  | { type: 'broadcast'; seq: number; change: 'created' | 'recipient' | 'closed' }
  | { type: 'ping'; seq: number; at: number }
  | { type: 'alarm'; seq: number; change: string; alarm: unknown }
  | { type: 'health'; seq: number; health: unknown };

/** A slow viewer's socket buffer beyond this is dropped: it reconnects and resyncs. */
const MAX_BUFFERED = 4 * 1024 * 1024;

export function liveRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const sockets = new Set<WebSocket>();
  let seq = 0;

  const broadcast = (msg: Record<string, unknown>) => {
    if (sockets.size === 0) return;
    const text = JSON.stringify({ ...msg, seq: ++seq });
    for (const ws of sockets) {
      if (ws.bufferedAmount > MAX_BUFFERED) {
        deps.counters.inc('live.dropped-slow-client');
        ws.terminate();
        continue;
      }
      ws.send(text);
    }
  };

  const offAlarm = deps.bus.on('alarm.changed', 'live', ({ alarm, change }) => broadcast({ type: 'alarm', change, alarm }));
  const offHealth = deps.bus.on('health.changed', 'live', ({ health }) => broadcast({ type: 'health', health }));
  const offBroadcast = deps.broadcasts?.onChange((change) => broadcast({ type: 'broadcast', ...change }));
  // A heartbeat lets viewers notice a half-open socket within seconds, not at the next alarm.
  const ping = setInterval(() => broadcast({ type: 'ping', at: deps.clock.now() }), 15_000);
  ping.unref();

  app.addHook('onClose', async () => {
    offAlarm();
    offHealth();
    offBroadcast?.();
    clearInterval(ping);
    for (const ws of sockets) ws.close(1001, 'gateway stopping');
    sockets.clear();
  });

  app.get('/api/live', { websocket: true }, (socket) => {
    sockets.add(socket);
    deps.counters.inc('live.connections');
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => sockets.delete(socket));
    // Viewers only listen; anything they send is ignored (and counted).
    socket.on('message', () => deps.counters.inc('live.ignored-client-message'));
    socket.send(
      JSON.stringify({
        type: 'snapshot',
        seq: ++seq,
        at: deps.clock.now(),
        alarms: deps.alarms.openAlarms(),
        health: deps.health.all(),
        broadcasts: deps.broadcasts?.list({ state: 'open' }) ?? [],
      }),
    );
  });
}
