/**
 * Drills: POST /api/drills starts one for a school, POST /api/drills/:id/end ends it with its
 * report, GET /api/drills and /api/drills/:id read them. Every start and end is audited.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { DrillService } from '../core/drills/service.js';
import { actorOf, auditActorOf, scopeOf } from '../auth/access.js';
import { GatewayError } from '../contract/errors.js';
import type { HttpDeps } from './deps.js';
import { ErrorReply, IdParam } from './schemas.js';

const StartBody = Type.Object(
  {
    siteId: Type.String({ minLength: 1, maxLength: 64 }),
    /** The drill ends by itself after this long (default 30 minutes). */
    durationSeconds: Type.Optional(Type.Number({ minimum: 1, maximum: 86_400 })),
  },
  { additionalProperties: false },
);
const EndBody = Type.Union([Type.Object({}, { additionalProperties: false }), Type.Null()]);
const ListQuery = Type.Object({ site: Type.Optional(Type.String({ maxLength: 64 })) }, { additionalProperties: false });
const DrillView = Type.Object({}, { additionalProperties: true });

export function drillsRoutes(app: FastifyInstance, deps: HttpDeps, drills: DrillService): void {
  app.post<{ Body: Static<typeof StartBody> }>(
    '/api/drills',
    { config: { permission: 'drills:run' }, schema: { body: StartBody, response: { 201: DrillView, 404: ErrorReply, 409: ErrorReply } } },
    async (req, reply) => {
      if (!deps.registry.site(req.body.siteId) || !scopeOf(req).hasSite(req.body.siteId)) throw new GatewayError('GW_ERR_UNKNOWN_SITE', req.body.siteId);
      const drill = await drills.begin(req.body.siteId, actorOf(req), req.body.durationSeconds ?? 1800);
      await deps.store.audit({ at: deps.clock.now(), actor: auditActorOf(req), action: 'drill.start', target: drill.id, detail: { siteId: drill.siteId, endsAt: drill.endsAt }, ip: req.ip });
      return reply.status(201).send(drill);
    },
  );

  app.post<{ Params: Static<typeof IdParam>; Body: Static<typeof EndBody> }>(
    '/api/drills/:id/end',
    { config: { permission: 'drills:run' }, schema: { params: IdParam, body: EndBody, response: { 200: DrillView, 404: ErrorReply } } },
    async (req) => {
      const existing = await drills.get(req.params.id);
      if (!existing || !scopeOf(req).hasSite(existing.siteId)) throw new GatewayError('GW_ERR_NOT_FOUND', `drill ${req.params.id}`);
      const drill = await drills.end(req.params.id, actorOf(req));
      await deps.store.audit({ at: deps.clock.now(), actor: auditActorOf(req), action: 'drill.end', target: drill.id, detail: { siteId: drill.siteId, alarms: drill.alarmIds.length }, ip: req.ip });
      return drill;
    },
  );

  app.get<{ Querystring: Static<typeof ListQuery> }>('/api/drills', { config: { permission: 'drills:read' }, schema: { querystring: ListQuery, response: { 200: Type.Array(DrillView) } } }, async (req) => {
    const scope = scopeOf(req);
    return (await drills.list(req.query.site)).filter((d) => scope.hasSite(d.siteId));
  });

  app.get<{ Params: Static<typeof IdParam> }>('/api/drills/:id', { config: { permission: 'drills:read' }, schema: { params: IdParam, response: { 200: DrillView, 404: ErrorReply } } }, async (req) => {
    const drill = await drills.get(req.params.id);
    if (!drill || !scopeOf(req).hasSite(drill.siteId)) throw new GatewayError('GW_ERR_NOT_FOUND', `drill ${req.params.id}`);
    return drill;
  });
}
