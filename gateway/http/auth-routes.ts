/**
 * Operator login and sessions: POST /api/auth/login (public, rate limited per address and locked
 * out per account and address), POST /api/auth/logout, GET /api/auth/me; and the admins'
 * account management under /api/users.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ROLES } from '../auth/auth-config.js';
import { auditActorOf } from '../auth/access.js';
import type { OperatorService } from '../auth/operators.js';
import { PERMISSIONS } from '../auth/roles.js';
import { GatewayError } from '../contract/errors.js';
import { ErrorReply } from './schemas.js';

const Username = Type.String({ pattern: '^[a-zA-Z0-9][a-zA-Z0-9._-]{0,63}$' });
const RoleSchema = Type.Union(ROLES.map((r) => Type.Literal(r)));
/** Long enough to resist guessing at the lockout rate; an upper bound keeps scrypt cheap to refuse. */
const NewPassword = Type.String({ minLength: 10, maxLength: 256 });

const LoginBody = Type.Object(
  { username: Type.String({ minLength: 1, maxLength: 64 }), password: Type.String({ minLength: 1, maxLength: 256 }) },
  { additionalProperties: false },
);

export const OperatorViewSchema = Type.Object({
  username: Type.String(),
  displayName: Type.String(),
  role: RoleSchema,
  school: Type.Optional(Type.String()),
  districts: Type.Optional(Type.Array(Type.String())),
  source: Type.Union([Type.Literal('config'), Type.Literal('runtime')]),
  disabled: Type.Boolean(),
  permissions: Type.Array(Type.Union(PERMISSIONS.map((p) => Type.Literal(p)))),
});

const LoginReply = Type.Object({ token: Type.String(), expiresAt: Type.Number(), user: OperatorViewSchema });

const CreateUserBody = Type.Object(
  {
    username: Username,
    displayName: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    role: RoleSchema,
    school: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    districts: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { minItems: 1, maxItems: 100 })),
    password: NewPassword,
  },
  { additionalProperties: false },
);
const PatchUserBody = Type.Object(
  {
    displayName: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    role: Type.Optional(RoleSchema),
    school: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 64 }), Type.Null()])),
    password: Type.Optional(NewPassword),
    disabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
);
const UserParam = Type.Object({ username: Username }, { additionalProperties: false });

const operatorOf = (req: FastifyRequest) => {
  if (!req.operator || !req.sessionId) throw new GatewayError('GW_ERR_UNAUTHENTICATED');
  return { op: req.operator, sid: req.sessionId };
};

export function authRoutes(app: FastifyInstance, deps: { operators: OperatorService; loginMax: number; windowSeconds: number }): void {
  const { operators } = deps;

  app.post<{ Body: Static<typeof LoginBody> }>(
    '/api/auth/login',
    {
      config: { public: true, rateLimit: { max: deps.loginMax, timeWindow: deps.windowSeconds * 1000, keyGenerator: (req: FastifyRequest) => req.ip } },
      schema: { body: LoginBody, response: { 200: LoginReply, 401: ErrorReply, 429: ErrorReply } },
    },
    async (req, reply) => {
      try {
        const { session, operator } = await operators.login(req.body.username, req.body.password, req.ip);
        const token = await reply.jwtSign({ sid: session.id, sub: operator.username });
        return { token, expiresAt: session.expiresAt, user: operators.view(operator) };
      } catch (err) {
        const retry = (err as { retryAfterSeconds?: number }).retryAfterSeconds;
        if (retry !== undefined) void reply.header('retry-after', String(retry));
        throw err;
      }
    },
  );

  app.post('/api/auth/logout', { config: { signedIn: true }, schema: { response: { 204: Type.Null() } } }, async (req, reply) => {
    const { op, sid } = operatorOf(req);
    await operators.logout(sid, op.username, req.ip);
    return reply.status(204).send();
  });

  app.get('/api/auth/me', { config: { signedIn: true }, schema: { response: { 200: OperatorViewSchema } } }, async (req) =>
    operators.view(operatorOf(req).op),
  );

  app.get('/api/users', { config: { permission: 'users:manage' }, schema: { response: { 200: Type.Array(OperatorViewSchema) } } }, async () => operators.list());

  app.post<{ Body: Static<typeof CreateUserBody> }>(
    '/api/users',
    { config: { permission: 'users:manage' }, schema: { body: CreateUserBody, response: { 201: OperatorViewSchema, 400: ErrorReply, 409: ErrorReply } } },
    async (req, reply) => reply.status(201).send(await operators.create(req.body, auditActorOf(req), req.ip)),
  );

  app.patch<{ Params: Static<typeof UserParam>; Body: Static<typeof PatchUserBody> }>(
    '/api/users/:username',
    { config: { permission: 'users:manage' }, schema: { params: UserParam, body: PatchUserBody, response: { 200: OperatorViewSchema, 404: ErrorReply, 409: ErrorReply } } },
    async (req) => operators.update(req.params.username, req.body, auditActorOf(req), req.ip),
  );
}
