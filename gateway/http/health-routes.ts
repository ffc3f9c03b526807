import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { HttpDeps } from './deps.js';

/**
 * Liveness and the gateway's own vital signs; open to everyone (load balancers, monitors). It
 * answers 200 while the state database is away (`store.available: false`): the node still
 * serves its devices' telemetry and the board, and a balancer must not drop every node at once.
 */
export function healthRoutes(app: FastifyInstance, deps: HttpDeps): void {
  app.get(
    '/api/health',
    {
      config: { public: true },
      schema: {
        response: {
          200: Type.Object({
            status: Type.Literal('ok'),
            district: Type.String(),
            uptimeSeconds: Type.Number(),
            devices: Type.Record(Type.String(), Type.Integer()),
            openAlarms: Type.Integer(),
            mqttClients: Type.Integer(),
            counters: Type.Record(Type.String(), Type.Number()),
            /** The state store (sqlite or postgres), and whether its last operation reached it. */
            store: Type.Object({ kind: Type.Union([Type.Literal('sqlite'), Type.Literal('postgres')]), available: Type.Boolean() }),
            telemetry: Type.Optional(Type.Record(Type.String(), Type.Union([Type.Number(), Type.String()]))),
          }),
        },
      },
    },
    async () => {
      const devices: Record<string, number> = { ok: 0, degraded: 0, offline: 0, unknown: 0 };
      for (const h of deps.health.all()) devices[h.status] = (devices[h.status] ?? 0) + 1;
      const telemetry = deps.telemetry?.stats();
      return {
        status: 'ok' as const,
        district: deps.config.district.name,
        uptimeSeconds: Math.round((deps.clock.now() - deps.startedAt) / 1000),
        devices,
        openAlarms: deps.alarms.openAlarms().length,
        mqttClients: deps.broker.connectedClients(),
        counters: deps.counters.snapshot(),
        store: { kind: deps.store.kind, available: deps.store.available() },
        ...(telemetry ? { telemetry: { store: deps.telemetry?.name ?? '', ...telemetry } } : {}),
      };
    },
  );
}
