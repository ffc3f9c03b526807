import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { type Alarm } from '../contract/types.js';
import { SEVERITY_RANK } from '../contract/alarm-types.js';
import { actorOf, auditActorOf, scopeOf } from '../auth/access.js';
import { GatewayError } from '../contract/errors.js';
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
      // The scope goes into the query: another school's volume never pushes a school's own alarms out of the limit.
      const scope = scopeOf(req);
      const inScope = scope.siteIds();
      const siteIds = site ? (scope.hasSite(site) ? [site] : []) : inScope && [...inScope];
      return (await deps.store.queryAlarms({ ...(state ? { state } : {}), ...(siteIds ? { siteIds } : {}), limit: limit ?? 500 })).sort(boardOrder);
    },
  );

  app.get<{ Params: Static<typeof IdParam> }>(
    '/api/alarms/:id',
    { config: { permission: 'alarms:read' }, schema: { params: IdParam, response: { 200: AlarmSchema, 404: ErrorReply } } },
    async (req) => {
      const alarm = await deps.alarms.get(req.params.id);
      if (!alarm || !scopeOf(req).hasSite(alarm.siteId)) throw new GatewayError('GW_ERR_ALARM_NOT_FOUND', req.params.id);
      return alarm;
    },
  );

  const action = (name: 'ack' | 'resolve') =>
    app.post<{ Params: Static<typeof IdParam>; Body: Static<typeof ActionBody> }>(
      `/api/alarms/:id/${name}`,
      { config: { permission: 'alarms:act' }, schema: { params: IdParam, body: ActionBody, response: { 200: AlarmSchema, 404: ErrorReply, 409: ErrorReply } } },
      async (req) => {
        const existing = await deps.alarms.get(req.params.id);
        if (!existing || !scopeOf(req).hasSite(existing.siteId)) throw new GatewayError('GW_ERR_ALARM_NOT_FOUND', req.params.id);
        const by = actorOf(req);
        const note = req.body?.note;
        const alarm = name === 'ack' ? await deps.alarms.acknowledge(req.params.id, by, note) : await deps.alarms.resolve(req.params.id, by, note);
        await deps.store.audit({
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
