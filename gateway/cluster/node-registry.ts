/**
 * The cluster's node registry in PostgreSQL (`cluster_nodes`): every node writes a heartbeat
 * (who it is, where it listens, what it does, how many MQTT clients it holds); any node lists
 * them and tells which ones stopped heart-beating, by the database's clock. Feeds
 * GET /api/cluster and the `node-down` alarm. A node that stops cleanly removes its row: it left,
 * it did not fail.
 */
import type pg from 'pg';
import type { Logger } from 'pino';

export interface NodeSelf {
  id: string;
  pid: number;
  httpUrl?: string;
  mqttUrl?: string;
}

export interface ClusterNode extends NodeSelf {
  roles: string[];
  clients: number;
  /** Epoch ms (database clock). */
  startedAt: number;
  lastSeen: number;
  /** How long ago the last heartbeat was, by the database's clock now. */
  silentMs: number;
  /** Silent for longer than the registry's bound. */
  down: boolean;
}

export interface NodeRegistryDeps {
  pool: pg.Pool;
  self: NodeSelf;
  /** Read at every heartbeat: the duties held now (e.g. lease names) and connected MQTT clients. */
  roles: () => string[];
  clients: () => number;
  heartbeatMs: number;
  /** A node silent for longer than this is down (cluster.takeoverSeconds). */
  downAfterMs: number;
  log?: Logger;
}

/** Heartbeat every third of the down bound: two lost heartbeats are not yet an outage. */
export function heartbeatEvery(takeoverSeconds: number): { heartbeatMs: number; downAfterMs: number } {
  return { heartbeatMs: Math.round((takeoverSeconds * 1000) / 3), downAfterMs: takeoverSeconds * 1000 };
}

interface Row {
  id: string;
  pid: number;
  http_url: string | null;
  mqtt_url: string | null;
  roles: string[];
  clients: number;
  started_ms: number;
  seen_ms: number;
  silent_ms: number;
}

export class NodeRegistry {
  private timer?: NodeJS.Timeout;
  private beating?: Promise<void>;
  private registered = false;

  constructor(private readonly deps: NodeRegistryDeps) {}

  /** Registers this node (started now) and heart-beats until stop(). */
  async start(): Promise<void> {
    await this.heartbeat();
    this.timer = setInterval(() => {
      // One heartbeat in flight at a time: a slow database must not pile them up.
      this.beating ??= this.heartbeat()
        .catch((err: Error) => this.deps.log?.warn({ err }, 'cluster heartbeat failed'))
        .finally(() => (this.beating = undefined));
    }, this.deps.heartbeatMs);
  }

  /** Writes this node's row now; the first one (re)sets started_at. */
  async heartbeat(): Promise<void> {
    const { self } = this.deps;
    const first = !this.registered;
    await this.deps.pool.query(
      `INSERT INTO cluster_nodes (id, pid, http_url, mqtt_url, roles, clients, started_at, last_seen)
       VALUES ($1, $2, $3, $4, $5, $6, clock_timestamp(), clock_timestamp())
       ON CONFLICT (id) DO UPDATE SET pid = EXCLUDED.pid, http_url = EXCLUDED.http_url, mqtt_url = EXCLUDED.mqtt_url,
         roles = EXCLUDED.roles, clients = EXCLUDED.clients, last_seen = EXCLUDED.last_seen,
         started_at = CASE WHEN $7 THEN EXCLUDED.started_at ELSE cluster_nodes.started_at END`,
      [self.id, self.pid, self.httpUrl ?? null, self.mqttUrl ?? null, this.deps.roles(), this.deps.clients(), first],
    );
    this.registered = true;
  }

  /** Every registered node, by id; `down` by the database's clock. */
  async list(): Promise<ClusterNode[]> {
    const res = await this.deps.pool.query<Row>(
      `SELECT id, pid, http_url, mqtt_url, roles, clients,
         (extract(epoch FROM started_at) * 1000)::float8 AS started_ms,
         (extract(epoch FROM last_seen) * 1000)::float8 AS seen_ms,
         (extract(epoch FROM clock_timestamp() - last_seen) * 1000)::float8 AS silent_ms
       FROM cluster_nodes ORDER BY id`,
    );
    return res.rows.map((r) => ({
      id: r.id,
      pid: r.pid,
      ...(r.http_url !== null ? { httpUrl: r.http_url } : {}),
      ...(r.mqtt_url !== null ? { mqttUrl: r.mqtt_url } : {}),
      roles: r.roles,
      clients: r.clients,
      startedAt: Math.round(r.started_ms),
      lastSeen: Math.round(r.seen_ms),
      silentMs: Math.max(0, Math.round(r.silent_ms)),
      down: r.silent_ms > this.deps.downAfterMs,
    }));
  }

  /** Nodes silent for longer than the bound (candidates for a node-down alarm). */
  async downNodes(): Promise<ClusterNode[]> {
    return (await this.list()).filter((n) => n.down);
  }

  /**
   * Stops heart-beating. A clean stop removes the row (the node left); `deregister: false`
   * leaves it to go stale, as a crash would.
   */
  async stop(opts: { deregister?: boolean } = {}): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.beating;
    if (opts.deregister === false || !this.registered) return;
    await this.deps.pool.query('DELETE FROM cluster_nodes WHERE id = $1 AND pid = $2', [this.deps.self.id, this.deps.self.pid]);
    this.registered = false;
  }
}
