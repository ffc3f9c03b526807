/**
 * On-call: GET /api/oncall says who is on duty per role now (and the roster's shifts and
 * overrides); POST /api/oncall/overrides sets a stand-in for a role between two instants
 * (admins and supervisors; audited as `oncall.override`); DELETE /api/oncall/overrides/:id ends
 * one now (same roles; audited as `oncall.override.end`; the override stays listed, ended).
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { auditActorOf } from '../auth/access.js';
import type { OnCallService } from '../core/oncall/service.js';
import { ErrorReply } from './schemas.js';

const Contact = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 64 }),
    phone: Type.Optional(Type.String({ pattern: '^\\+?[0-9]{5,20}$' })),
    radio: Type.Optional(Type.Object({ talkgroup: Type.String({ minLength: 1, maxLength: 64 }), unit: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })) }, { additionalProperties: false })),
  },
  { additionalProperties: false },
);
const OverrideBody = Type.Object(
  {
    role: Type.String({ minLength: 1, maxLength: 32 }),
    /** A person of the roster (`oncall.people`)… */
    person: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    /** …or someone outside it. */
    contact: Type.Optional(Contact),
    /** ms since epoch; default now. */
    from: Type.Optional(Type.Integer({ minimum: 0 })),
    until: Type.Integer({ minimum: 0 }),
    note: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);
const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false });
const AtQuery = Type.Object({ at: Type.Optional(Type.Integer({ minimum: 0 })) }, { additionalProperties: false });
const View = Type.Object({}, { additionalProperties: true });

export function oncallRoutes(app: FastifyInstance, oncall: OnCallService): void {
  app.get<{ Querystring: Static<typeof AtQuery> }>('/api/oncall', { config: { permission: 'oncall:read' }, schema: { querystring: AtQuery, response: { 200: View } } }, async (req) =>
    oncall.status(req.query.at),
  );

  app.post<{ Body: Static<typeof OverrideBody> }>(
    '/api/oncall/overrides',
    { config: { permission: 'oncall:manage' }, schema: { body: OverrideBody, response: { 201: View, 400: ErrorReply } } },
    async (req, reply) => {
      const o = await oncall.addOverride(req.body, auditActorOf(req), req.ip);
      return reply.status(201).send(o);
    },
  );

  app.delete<{ Params: Static<typeof IdParams> }>(
    '/api/oncall/overrides/:id',
    { config: { permission: 'oncall:manage' }, schema: { params: IdParams, response: { 200: View, 404: ErrorReply } } },
    async (req) => oncall.endOverride(req.params.id, auditActorOf(req), req.ip),
  );
}
