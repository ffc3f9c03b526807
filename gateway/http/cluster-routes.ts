import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { clusterNodeId } from '../cluster/cluster-config.js';
import type { HttpDeps } from './deps.js';

const NodeLease = Type.Object({
  /** This node holds the `singleton` lease: it runs the 110 link and the other singleton duties. */
  holder: Type.Boolean(),
  until: Type.Optional(Type.Number()),
  token: Type.Optional(Type.Number()),
});

const ClusterNodeView = Type.Object({
  id: Type.String(),
  pid: Type.Integer(),
  httpUrl: Type.Optional(Type.String()),
  mqttUrl: Type.Optional(Type.String()),
  /** The lease and the duties it runs now ('singleton', 'alarm-centre-dc09', 'sms-smpp', …); empty on the others. */
  roles: Type.Array(Type.String()),
  lease: NodeLease,
  /** Epoch ms of its last heartbeat (database clock). */
  lastSeen: Type.Number(),
  startedAt: Type.Number(),
  silentMs: Type.Number(),
  /** Silent for longer than cluster.takeoverSeconds: a node-down alarm is raised for it. */
  down: Type.Boolean(),
  /** MQTT clients connected to it. */
  clients: Type.Integer(),
  /** The node that answered this request. */
  self: Type.Boolean(),
});

const ClusterResponse = Type.Object({
  /** 'single': the embedded gateway (no cluster configuration); 'cluster': nodes on PostgreSQL. */
  mode: Type.Union([Type.Literal('single'), Type.Literal('cluster')]),
  self: Type.String(),
  takeoverSeconds: Type.Number(),
  lease: Type.Object({
    name: Type.String(),
    /** Node id of the holder while the lease is live. */
    holder: Type.Optional(Type.String()),
    until: Type.Optional(Type.Number()),
    token: Type.Optional(Type.Number()),
    live: Type.Boolean(),
  }),
  nodes: Type.Array(ClusterNodeView),
});

/**
 * GET /api/cluster (duty officers, technicians, admins): the gateway nodes, which one holds the
 * 110 link (the `singleton` lease), their heartbeats and MQTT clients. A single embedded gateway
 * answers as a cluster of one that holds everything.
 */
export function clusterRoutes(app: FastifyInstance, deps: HttpDeps): void {
  app.get('/api/cluster', { config: { permission: 'cluster:read' }, schema: { response: { 200: ClusterResponse } } }, async () => {
    if (deps.cluster) return { mode: 'cluster' as const, ...(await deps.cluster.view()) };
    const now = deps.clock.now();
    const id = clusterNodeId(deps.config.cluster);
    return {
      mode: 'single' as const,
      self: id,
      takeoverSeconds: deps.config.cluster.takeoverSeconds,
      lease: { name: 'singleton', holder: id, live: true },
      nodes: [
        {
          id,
          pid: process.pid,
          roles: ['singleton'],
          lease: { holder: true },
          lastSeen: now,
          startedAt: deps.startedAt,
          silentMs: 0,
          down: false,
          clients: deps.broker.connectedClients(),
          self: true,
        },
      ],
    };
  });
}
