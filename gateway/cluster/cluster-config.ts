/**
 * Cluster mode (`cluster:` in the configuration; environment CLUSTER_NODE_ID, DATABASE_URL,
 * REDIS_URL). Every key is optional: without them the gateway is the embedded single process
 * (SQLite, aedes in memory/LevelDB), as `npm start` has always run it. With `redisUrl` the MQTT
 * broker fans out and keeps sessions through Redis; with `databaseUrl` state, leases and the
 * node registry live in PostgreSQL.
 */
import { hostname } from 'node:os';
import { Type, type Static } from '@sinclair/typebox';

export const ClusterConfigSchema = Type.Object(
  {
    /** This node's name in leases, the node registry and logs; default `<hostname>-<pid>`. */
    nodeId: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' })),
    /** PostgreSQL connection string (`postgres://user@host:port/db`). */
    databaseUrl: Type.Optional(Type.String({ minLength: 1 })),
    /** Redis connection string (`redis://host:port`): MQTT across nodes and live push. */
    redisUrl: Type.Optional(Type.String({ minLength: 1 })),
    /**
     * A singleton duty (the 110 link, SMPP bind, …) moves to another node at most this long
     * after its holder died: the lease lives this long past its last renewal. Also the bound
     * after which a silent node is reported down.
     */
    takeoverSeconds: Type.Number({ minimum: 1, maximum: 300, default: 10 }),
    /**
     * With `redisUrl`: how often each node's broker tells the others it is alive (aedes'
     * heartbeatInterval). A node silent for 3 of these is dead to the others, whose sweep (every
     * 4) then publishes the wills of the devices that were connected to it and have not
     * reconnected since: 2–7 of these after it died. aedes' own default, 60 s, made that 2–7
     * minutes. Each sweep reads Redis' list of wills once. The other side: a node whose event
     * loop or network stalls for 3 of these is taken for dead, and the wills of its devices are
     * published (a false `offline` until their next message). A node back from a Redis outage
     * of its own judges nobody until it has listened for 3 of these again.
     */
    mqttHeartbeatSeconds: Type.Number({ minimum: 0.5, maximum: 60, default: 5 }),
    /**
     * A request needing the singleton duties that reaches another node is forwarded to the
     * holder (README "Cluster mode"); its answer is awaited this long, then the caller gets 503
     * GW_ERR_HOLDER_UNAVAILABLE. Longer than the slowest such route (a barrier command: 30 s).
     */
    forwardTimeoutSeconds: Type.Number({ minimum: 1, maximum: 300, default: 40 }),
    /**
     * A view only the whole cluster has (GET /api/clock-drift: each node measures the devices
     * connected to it) asks every other node for its part and waits this long for each; a node
     * slower than that is named as not answered (gateway/http/peer-views.ts). Short: a read, not
     * an action, and a page refreshes it every 10 s.
     */
    viewTimeoutSeconds: Type.Number({ minimum: 0.5, maximum: 60, default: 5 }),
  },
  { additionalProperties: false, default: {} },
);

export type ClusterConfig = Static<typeof ClusterConfigSchema>;

/** The configured node id, or one made from the host name and pid (unique on one machine). */
export function clusterNodeId(config: ClusterConfig): string {
  return config.nodeId ?? `${hostname().replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 50)}-${process.pid}`;
}
