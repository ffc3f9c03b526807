/**
 * PostgreSQL LISTEN on a connection of its own: `outbox` (a node queued a 110 entry: the lease
 * holder's pump wakes) and `alarm_changed` ('<id>:<version>': every node re-reads the alarm and
 * pushes it to its /api/live sockets). The state store sends both in the committing transaction.
 *
 * A lost connection is made again (every second at most); NOTIFY is not replayed, so after a
 * reconnection `onReconnect` listeners run and reload what they might have missed.
 */
import pg from 'pg';
import type { Logger } from 'pino';

export type NotificationListener = (channel: string, payload: string) => void;

export interface PgListenerDeps {
  url: string;
  channels: string[];
  log?: Logger;
  applicationName?: string;
}

export class PgListener {
  private client?: pg.Client;
  private stopped = false;
  private connectedOnce = false;
  private retry?: NodeJS.Timeout;
  private readonly listeners: NotificationListener[] = [];
  private readonly reconnectListeners: (() => void)[] = [];

  constructor(private readonly deps: PgListenerDeps) {}

  onNotification(listener: NotificationListener): void {
    this.listeners.push(listener);
  }

  /** After the connection was lost and made again: notifications may have been missed. */
  onReconnect(listener: () => void): void {
    this.reconnectListeners.push(listener);
  }

  /** Connects and listens; resolves once notifications arrive (rejects if the first connection fails). */
  async start(): Promise<void> {
    this.stopped = false;
    await this.connect();
  }

  connected(): boolean {
    return this.client !== undefined;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    const c = this.client;
    this.client = undefined;
    await c?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.deps.url, connectionTimeoutMillis: 2000, keepAlive: true, application_name: this.deps.applicationName ?? 'campus-gateway listen' });
    client.on('notification', (n) => {
      for (const l of [...this.listeners]) {
        try {
          l(n.channel, n.payload ?? '');
        } catch (err) {
          this.deps.log?.error({ err, channel: n.channel }, 'notification listener failed');
        }
      }
    });
    const lost = (err?: Error) => {
      if (this.client !== client) return;
      this.client = undefined;
      client.end().catch(() => undefined);
      if (this.stopped) return;
      this.deps.log?.warn({ err: err?.message }, 'database notifications lost: reconnecting');
      this.schedule();
    };
    client.on('error', lost);
    client.on('end', () => lost());
    try {
      await client.connect();
      for (const ch of this.deps.channels) await client.query(`LISTEN ${pg.escapeIdentifier(ch)}`);
    } catch (err) {
      await client.end().catch(() => undefined);
      if (!this.connectedOnce) throw err;
      this.schedule();
      return;
    }
    if (this.stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    const again = this.connectedOnce;
    this.connectedOnce = true;
    if (again) {
      this.deps.log?.info('database notifications back');
      for (const l of [...this.reconnectListeners]) {
        try {
          l();
        } catch (err) {
          this.deps.log?.error({ err }, 'reconnect listener failed');
        }
      }
    }
  }

  private schedule(): void {
    clearTimeout(this.retry);
    this.retry = setTimeout(() => void this.connect(), 1000);
  }
}
