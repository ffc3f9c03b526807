/**
 * GET /api/audit (admins): the append-only, hash-chained audit log, oldest first, paged by
 * `after` (a sequence number); GET /api/audit/verify re-computes the chain and names the first
 * entry that was edited or whose predecessor was deleted.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { AuditLog } from '../core/audit/log.js';

const AuditQuery = Type.Object(
  {
    after: Type.Optional(Type.Integer({ minimum: 0 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 200 })),
    action: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    actor: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  },
  { additionalProperties: false },
);

const AuditEntrySchema = Type.Object({
  seq: Type.Integer(),
  at: Type.Number(),
  actor: Type.String(),
  action: Type.String(),
  target: Type.String(),
  detail: Type.Record(Type.String(), Type.Unknown()),
  ip: Type.Optional(Type.String()),
  prevHash: Type.String(),
  hash: Type.String(),
});

const Verdict = Type.Object({ ok: Type.Boolean(), entries: Type.Integer(), brokenAt: Type.Optional(Type.Integer()) });

export function auditRoutes(app: FastifyInstance, store: AuditLog): void {
  app.get<{ Querystring: Static<typeof AuditQuery> }>(
    '/api/audit',
    { config: { permission: 'audit:read' }, schema: { querystring: AuditQuery, response: { 200: Type.Array(AuditEntrySchema) } } },
    async (req) => {
      const { after, limit = 200, action, actor } = req.query;
      return store.auditEntries({ afterSeq: after ?? 0, limit, ...(action ? { action } : {}), ...(actor ? { actor } : {}) });
    },
  );

  app.get('/api/audit/verify', { config: { permission: 'audit:read' }, schema: { response: { 200: Verdict } } }, async () => {
    const brokenAt = await store.verifyAudit();
    return { ok: brokenAt === undefined, entries: await store.auditCount(), ...(brokenAt !== undefined ? { brokenAt } : {}) };
  });
}
