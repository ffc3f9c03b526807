import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { HttpDeps } from './deps.js';

const PressPathSchema = Type.Object({
  alarmId: Type.String(),
  deviceId: Type.Optional(Type.String()),
  seq: Type.Optional(Type.Number()),
  receivedAt: Type.Number(),
  decodedAt: Type.Number(),
  committedAt: Type.Number(),
  frameWrittenAt: Type.Optional(Type.Number()),
  ackedAt: Type.Optional(Type.Number()),
  receiver: Type.Optional(Type.String()),
  attempt: Type.Optional(Type.Integer()),
});

const PressPathQuery = Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })) });

/**
 * GET /api/diagnostics/press-path (technicians, admins: `metrics:read`): the alarm path's marks of
 * the last presses (gateway/core/alarms/press-path.ts), oldest first, the newest `limit` of them.
 * Marks are wall-clock ms with µs precision (performance.timeOrigin + performance.now()), so a
 * benchmark on the same machine can join them with its own send and receipt times.
 */
export function diagnosticsRoutes(app: FastifyInstance, deps: HttpDeps): void {
  app.get(
    '/api/diagnostics/press-path',
    {
      config: { permission: 'metrics:read' },
      schema: {
        querystring: PressPathQuery,
        response: { 200: Type.Object({ capacity: Type.Integer(), presses: Type.Array(PressPathSchema) }) },
      },
    },
    async (req) => {
      const { limit } = req.query as { limit?: number };
      const presses = deps.pressPath?.recent() ?? [];
      return { capacity: deps.pressPath?.capacity ?? 0, presses: limit !== undefined ? presses.slice(-limit) : presses };
    },
  );
}
