/**
 * /api/broadcasts: a duty officer's broadcast (POST), the recent ones (GET), one with every
 * recipient's state and the roll-call tally (GET /:id). Broadcasts raised by alarms appear
 * here too. Auditing happens in the service, for manual and automatic broadcasts alike.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { BroadcastService } from '../core/broadcast/service.js';
import { RECIPIENT_STATES } from '../core/broadcast/types.js';
import { BROADCAST_CHANNELS } from '../contract/capabilities.js';
import { actorOf, scopeOf } from '../auth/access.js';
import { GatewayError } from '../contract/errors.js';
import { ErrorReply, IdParam } from './schemas.js';

/** What the routes need: the running broadcast service. */
export interface BroadcastsRouteDeps {
  broadcasts: Pick<BroadcastService, 'create' | 'get' | 'list'>;
}

const Channel = Type.Union(BROADCAST_CHANNELS.map((c) => Type.Literal(c)));
const State = Type.Union(RECIPIENT_STATES.map((s) => Type.Literal(s)));
const Radio = Type.Object({ talkgroup: Type.String({ minLength: 1, maxLength: 64 }), unit: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })) }, { additionalProperties: false });
const StateTimes = Type.Object(Object.fromEntries(RECIPIENT_STATES.map((s) => [s, Type.Optional(Type.Number())])));

const ContactBody = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 64 }), phone: Type.Optional(Type.String({ pattern: '^\\+?[0-9]{5,20}$' })), radio: Type.Optional(Radio) },
  { additionalProperties: false },
);

const CreateBody = Type.Object(
  {
    text: Type.String({ minLength: 1, maxLength: 1000 }),
    groups: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 50, uniqueItems: true })),
    recipients: Type.Optional(Type.Array(ContactBody, { maxItems: 1000 })),
    channels: Type.Optional(Type.Array(Channel, { minItems: 1, uniqueItems: true })),
    alarmId: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    siteId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  },
  { additionalProperties: false },
);

const ListQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
    alarmId: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    state: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('closed')])),
  },
  { additionalProperties: false },
);

export const TallySchema = Type.Object({ total: Type.Integer(), sent: Type.Integer(), delivered: Type.Integer(), confirmed: Type.Integer(), failed: Type.Integer() });

export const RecipientSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  group: Type.String(),
  siteId: Type.Optional(Type.String()),
  phone: Type.Optional(Type.String()),
  radio: Type.Optional(Radio),
  channels: Type.Array(Channel),
  channel: Type.Optional(Channel),
  address: Type.Optional(Type.String()),
  state: State,
  reason: Type.Optional(Type.String()),
  detail: Type.Optional(Type.String()),
  at: StateTimes,
  fallbackAt: Type.Optional(Type.Number()),
  attempts: Type.Array(
    Type.Object({ channel: Channel, address: Type.String(), state: State, reason: Type.Optional(Type.String()), detail: Type.Optional(Type.String()), at: StateTimes }),
  ),
  reply: Type.Optional(Type.Object({ channel: Channel, at: Type.Number(), text: Type.Optional(Type.String()), confirms: Type.Boolean() })),
});

const summaryFields = {
  id: Type.String(),
  alarmId: Type.Optional(Type.String()),
  siteId: Type.Optional(Type.String()),
  drill: Type.Boolean(),
  text: Type.String(),
  createdBy: Type.String(),
  createdAt: Type.Number(),
  state: Type.Union([Type.Literal('open'), Type.Literal('closed')]),
  closesAt: Type.Number(),
  closedAt: Type.Optional(Type.Number()),
  policyId: Type.Optional(Type.String()),
  groups: Type.Array(Type.String()),
  channels: Type.Array(Channel),
  fallbackAfterSeconds: Type.Number(),
  fallbackUnless: Type.Union([Type.Literal('delivered'), Type.Literal('confirmed')]),
  tally: TallySchema,
};
export const BroadcastSummarySchema = Type.Object(summaryFields);
export const BroadcastSchema = Type.Object({ ...summaryFields, recipients: Type.Array(RecipientSchema) });

export function broadcastsRoutes(app: FastifyInstance, deps: BroadcastsRouteDeps): void {
  const errors = { 400: ErrorReply, 404: ErrorReply, 503: ErrorReply };

  app.post<{ Body: Static<typeof CreateBody> }>(
    '/api/broadcasts',
    { config: { permission: 'broadcasts:send', holder: true }, schema: { body: CreateBody, response: { 201: BroadcastSchema, ...errors } } },
    async (req, reply) => {
      const body = req.body;
      if (body.siteId && !scopeOf(req).hasSite(body.siteId)) throw new GatewayError('GW_ERR_UNKNOWN_SITE', body.siteId);
      body.recipients?.forEach((r, i) => {
        if (!r.phone && !r.radio) throw new GatewayError('GW_ERR_BROADCAST_NO_RECIPIENTS', `recipients/${i} (${r.name}): needs a phone or a radio`);
      });
      const b = await deps.broadcasts.create({ ...body, by: actorOf(req), ip: req.ip });
      return reply.status(201).send(b);
    },
  );

  app.get<{ Querystring: Static<typeof ListQuery> }>(
    '/api/broadcasts',
    { config: { permission: 'broadcasts:read' }, schema: { querystring: ListQuery, response: { 200: Type.Array(BroadcastSummarySchema) } } },
    async (req) => {
      const { limit, alarmId, state } = req.query;
      const scope = scopeOf(req);
      const list = await deps.broadcasts.list({ limit: limit ?? 50, ...(alarmId ? { alarmId } : {}), ...(state ? { state } : {}) });
      return list.filter((b) => !b.siteId || scope.hasSite(b.siteId));
    },
  );

  app.get<{ Params: Static<typeof IdParam> }>(
    '/api/broadcasts/:id',
    { config: { permission: 'broadcasts:read' }, schema: { params: IdParam, response: { 200: BroadcastSchema, ...errors } } },
    async (req) => {
      const b = await deps.broadcasts.get(req.params.id);
      if (!b || (b.siteId && !scopeOf(req).hasSite(b.siteId))) throw new GatewayError('GW_ERR_BROADCAST_NOT_FOUND', `no broadcast '${req.params.id}'`);
      return b;
    },
  );
}
