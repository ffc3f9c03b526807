/**
 * A gateway node's part in the cluster (cluster.databaseUrl set): its own small connection pool
 * for the lease and the heartbeat (never queued behind the store's traffic), the `singleton`
 * lease and the duties that follow it, the node registry, and LISTEN for `outbox`,
 * `alarm_changed` and `drill_changed`. app.ts builds one when the state store is PostgreSQL; GET /api/cluster
 * reads it (view()).
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import pg from 'pg';
import type { Logger } from 'pino';
import type { ClusterConfig } from './cluster-config.js';
import { clusterNodeId } from './cluster-config.js';
import { SINGLETON_LEASE, SingletonDuties } from './duties.js';
import { Lease, leaseTimings, type LeaseRecord } from './lease.js';
import { heartbeatEvery, NodeRegistry, type ClusterNode } from './node-registry.js';
import { PgListener } from './pg-listener.js';

export interface ClusterView {
  self: string;
  takeoverSeconds: number;
  lease: { name: string; holder?: string; until?: number; token?: number; live: boolean };
  nodes: (Omit<ClusterNode, 'startedAt' | 'silentMs'> & { startedAt: number; silentMs: number; self: boolean; lease: { holder: boolean; until?: number; token?: number } })[];
}

export interface ClusterRuntimeDeps {
  config: ClusterConfig & { databaseUrl: string };
  log: Logger;
  /** Connected MQTT clients of this node, for the heartbeat. */
  clients: () => number;
}

export class ClusterRuntime {
  readonly nodeId: string;
  readonly pool: pg.Pool;
  readonly lease: Lease;
  readonly duties: SingletonDuties;
  readonly listener: PgListener;
  readonly takeoverSeconds: number;
  private registry?: NodeRegistry;
  private unfollow?: () => void;

  constructor(private readonly deps: ClusterRuntimeDeps) {
    const { config, log } = deps;
    this.nodeId = clusterNodeId(config);
    this.takeoverSeconds = config.takeoverSeconds;
    const timings = leaseTimings(config.takeoverSeconds);
    this.pool = new pg.Pool({
      connectionString: config.databaseUrl,
      max: 3,
      connectionTimeoutMillis: 2000,
      // A lease query that does not answer within the lease's life is as good as refused.
      query_timeout: timings.ttlMs,
      keepAlive: true,
      application_name: `campus-gateway ${this.nodeId} cluster`,
    });
    this.pool.on('error', (err) => log.debug({ err: err.message }, 'cluster pool: idle connection lost'));
    this.lease = new Lease({ pool: this.pool, name: SINGLETON_LEASE, holder: `${this.nodeId}/${process.pid}`, timings, log: log.child({ part: 'lease' }) });
    this.duties = new SingletonDuties(log.child({ part: 'duties' }));
    this.listener = new PgListener({ url: config.databaseUrl, channels: ['outbox', 'alarm_changed', 'drill_changed', 'link_test'], log: log.child({ part: 'listen' }), applicationName: `campus-gateway ${this.nodeId} listen` });
  }

  /** LISTEN first (so no outbox wake-up is missed), then contend for the lease. */
  async start(): Promise<void> {
    await this.listener.start();
    this.unfollow = this.duties.follow(this.lease);
    this.lease.start();
  }

  /** Registers this node once it listens (its URLs are known), then heart-beats. */
  async register(self: { httpPort: number; mqttPort: number; httpHost: string; mqttHost: string; https?: boolean }): Promise<void> {
    const host = (h: string) => (h === '0.0.0.0' || h === '::' ? hostname() : h.includes(':') ? `[${h}]` : h);
    this.registry = new NodeRegistry({
      pool: this.pool,
      self: { id: this.nodeId, pid: process.pid, httpUrl: `${self.https ? 'https' : 'http'}://${host(self.httpHost)}:${self.httpPort}`, mqttUrl: `mqtt://${host(self.mqttHost)}:${self.mqttPort}` },
      roles: () => (this.duties.active() ? [SINGLETON_LEASE, ...this.duties.running()] : []),
      clients: this.deps.clients,
      ...heartbeatEvery(this.takeoverSeconds),
      log: this.deps.log.child({ part: 'registry' }),
    });
    await this.registry.start();
    // The roles change with the lease: say so at once rather than at the next heartbeat.
    this.duties.onChange(() => void this.registry?.heartbeat().catch(() => undefined));
  }

  /** Every node, with the lease, by the database's clock (GET /api/cluster). */
  async view(): Promise<ClusterView> {
    const [record, nodes] = await Promise.all([Lease.read(this.pool, SINGLETON_LEASE), this.registry?.list() ?? Promise.resolve([])]);
    const holderNode = (r: LeaseRecord | undefined) => (r?.live ? r.holder.split('/')[0] : undefined);
    const holder = holderNode(record);
    return {
      self: this.nodeId,
      takeoverSeconds: this.takeoverSeconds,
      lease: { name: SINGLETON_LEASE, ...(holder ? { holder } : {}), ...(record ? { until: record.until, token: record.token } : {}), live: record?.live ?? false },
      nodes: nodes.map((n) => ({
        ...n,
        self: n.id === this.nodeId,
        lease: { holder: holder === n.id, ...(holder === n.id && record ? { until: record.until, token: record.token } : {}) },
      })),
    };
  }

  /**
   * The operators' session token key every node shares when `auth.tokenSecret` is not set: the
   * first node writes a random one into cluster_secrets, every node reads the same.
   */
  async sharedTokenKey(): Promise<string> {
    return this.sharedSecret('auth-token-key');
  }

  /**
   * The key nodes sign a forwarded request's client address with (x-gateway-forwarded-*,
   * gateway/http/holder-forward.ts): only a node of this cluster can name the caller's address.
   */
  async forwardKey(): Promise<string> {
    return this.sharedSecret('forward-key');
  }

  /** The node holding the singleton duties now and its HTTP address, by the database (undefined: none live, or it has no address). */
  async holder(): Promise<{ id: string; httpUrl: string } | undefined> {
    const [record, nodes] = await Promise.all([Lease.read(this.pool, SINGLETON_LEASE), this.registry?.list() ?? Promise.resolve([])]);
    if (!record?.live) return undefined;
    const node = nodes.find((n) => `${n.id}/${n.pid}` === record.holder);
    return node?.httpUrl ? { id: node.id, httpUrl: node.httpUrl } : undefined;
  }

  /** True while this node holds the lease (its duties run here). */
  isHolder(): boolean {
    return this.duties.active();
  }

  /**
   * Two nodes starting at once: the second one's INSERT waits for the first one's, then does
   * nothing, and its SELECT, in the same statement, reads the snapshot taken before the first
   * committed: no row (READ COMMITTED; `npm run cluster` failed so once, "cluster_secrets: no
   * auth-token-key"). A new statement sees the committed row: asked again, up to 3 times.
   */
  private async sharedSecret(name: string): Promise<string> {
    for (let attempt = 1; attempt <= 3; attempt++) {
      const res = await this.pool.query<{ value: string }>(
        `WITH ins AS (INSERT INTO cluster_secrets (name, value) VALUES ($2, $1) ON CONFLICT (name) DO NOTHING RETURNING value)
         SELECT value FROM ins UNION ALL SELECT value FROM cluster_secrets WHERE name = $2`,
        [randomBytes(48).toString('base64url'), name],
      );
      const value = res.rows[0]?.value;
      if (value) return value;
    }
    throw new Error(`cluster_secrets: no ${name}`);
  }

  /** Nodes silent past the bound (node-down), by the database's clock. */
  async downNodes(): Promise<ClusterNode[]> {
    return (await this.registry?.downNodes()) ?? [];
  }

  async listNodes(): Promise<ClusterNode[]> {
    return (await this.registry?.list()) ?? [];
  }

  /** Releases the lease (its duties stop first), leaves the registry, closes the connections. */
  async stop(): Promise<void> {
    await this.lease.stop();
    this.unfollow?.();
    await this.duties.lose();
    await this.registry?.stop().catch((err: Error) => this.deps.log.warn({ err: err.message }, 'could not leave the node registry'));
    await this.listener.stop();
    await this.pool.end().catch(() => undefined);
  }
}
