import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { SEVERITY_RANK, type Alarm } from '../core/types.js';
import { actorOf, auditActorOf, scopeOf } from '../auth/access.js';
import { GatewayError } from '../errors.js';
import type { HttpDeps } from './deps.js';
import { AlarmSchema, ErrorReply, IdParam } from './schemas.js';

const ListQuery = Type.Object(
  {
    state: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('acknowledged'), Type.Literal('resolved'), Type.Literal('open')])),
    site: Type.Optional(Type.String({ maxLength: 64 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000, default: 500 })),
  },
  { additionalProperties: false },
);
const ActionBody = Type.Union([Type.Object({ note: Type.Optional(Type.String({ maxLength: 1000 })) }, { additionalProperties: false }), Type.Null()]);

/** Board order: open before resolved, then severity, then newest first. */
export function boardOrder(a: Alarm, b: Alarm): number {
  const open = (x: Alarm) => (x.state === 'resolved' ? 1 : 0);
  return open(a) - open(b) || SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] || b.raisedAt - a.raisedAt;
}

export function alarmsRoutes(app: FastifyInstance, deps: HttpDeps): void {
  app.get<{ Querystring: Static<typeof ListQuery> }>(
    '/api/alarms',
    { config: { permission: 'alarms:read' }, schema: { querystring: ListQuery, response: { 200: Type.Array(AlarmSchema) } } },
    async (req) => {
      const { state, site, limit } = req.query;
      const scope = scopeOf(req);
      const sites = scope.siteIds();
      if (site && !scope.hasSite(site)) return [];
      // A school's own alarms are queried directly, so another school's volume never hides them.
      const only = site ?? (sites?.size === 1 ? [...sites][0] : undefined);
      return deps.store
        .queryAlarms({ ...(state ? { state } : {}), ...(only ? { siteId: only } : {}), limit: sites && !only ? 5000 : (limit ?? 500) })
        .filter((a) => scope.hasSite(a.siteId))
        .slice(0, limit ?? 500)
        .sort(boardOrder);
    },
  );

  app.get<{ Params: Static<typeof IdParam> }>(
    '/api/alarms/:id',
    { config: { permission: 'alarms:read' }, schema: { params: IdParam, response: { 200: AlarmSchema, 404: ErrorReply } } },
    async (req) => {
      const alarm = deps.alarms.get(req.params.id);
      if (!alarm || !scopeOf(req).hasSite(alarm.siteId)) throw new GatewayError('GW_ERR_ALARM_NOT_FOUND', req.params.id);
      return alarm;
    },
  );

  const action = (name: 'ack' | 'resolve') =>
    app.post<{ Params: Static<typeof IdParam>; Body: Static<typeof ActionBody> }>(
      `/api/alarms/:id/${name}`,
      { config: { permission: 'alarms:act' }, schema: { params: IdParam, body: ActionBody, response: { 200: AlarmSchema, 404: ErrorReply, 409: ErrorReply } } },
      async (req) => {
        const existing = deps.alarms.get(req.params.id);
        if (!existing || !scopeOf(req).hasSite(existing.siteId)) throw new GatewayError('GW_ERR_ALARM_NOT_FOUND', req.params.id);
        const by = actorOf(req);
        const note = req.body?.note;
        const alarm = name === 'ack' ? deps.alarms.acknowledge(req.params.id, by, note) : deps.alarms.resolve(req.params.id, by, note);
        deps.store.audit({
          at: deps.clock.now(),
          actor: auditActorOf(req),
          action: name === 'ack' ? 'alarm.acknowledge' : 'alarm.resolve',
          target: alarm.id,
          detail: { ...(note ? { note } : {}), type: alarm.type, siteId: alarm.siteId },
          ip: req.ip,
        });
        return alarm;
      },
    );
  action('ack');
  action('resolve');
}
