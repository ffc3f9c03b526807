/**
 * JSON schemas (TypeBox) of the sweep model, shared by the config schema, the HTTP routes
 * (validation and serialization) and the CLI (checking what a gateway answers).
 */
import { Type, type Static } from '@sinclair/typebox';
import { DEVICE_KINDS, HEALTH_REASONS } from '../../contract/vocabulary.js';

const Ident = Type.String({ minLength: 1, maxLength: 128 });
const Scalar = Type.Union([Type.String(), Type.Number(), Type.Boolean()]);
const Status = Type.Union([Type.Literal('ok'), Type.Literal('degraded'), Type.Literal('offline'), Type.Literal('unknown')]);
const Reason = Type.Union(HEALTH_REASONS.map((r) => Type.Literal(r)));
export const SweepKindSchema = Type.Union(DEVICE_KINDS.map((k) => Type.Literal(k)));

export const SweepSelectionSchema = Type.Object(
  {
    district: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    sites: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 2000 })),
    kinds: Type.Optional(Type.Array(SweepKindSchema, { maxItems: DEVICE_KINDS.length })),
    devices: Type.Optional(Type.Array(Ident, { maxItems: 5000 })),
  },
  { additionalProperties: false },
);

export const SweepTuningSchema = {
  concurrency: Type.Optional(Type.Integer({ minimum: 1, maximum: 256 })),
  timeoutMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 600_000 })),
  extras: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 16 })),
};

export const SweepResultSchema = Type.Object({
  deviceId: Type.String(),
  siteId: Type.String(),
  kind: SweepKindSchema,
  status: Status,
  reasons: Type.Array(Type.Object({ code: Reason, detail: Type.Optional(Type.String()) })),
  evidence: Type.Record(Type.String(), Scalar),
  method: Type.Union([Type.Literal('active'), Type.Literal('passive')]),
  lastSeen: Type.Optional(Type.Number()),
  startedAt: Type.Number(),
  durationMs: Type.Number(),
});

export const SweepSummarySchema = Type.Object({
  total: Type.Integer(),
  done: Type.Integer(),
  ok: Type.Integer(),
  failing: Type.Integer(),
  byStatus: Type.Object({ ok: Type.Integer(), degraded: Type.Integer(), offline: Type.Integer(), unknown: Type.Integer() }),
  sites: Type.Object({ total: Type.Integer(), failing: Type.Integer() }),
  bySite: Type.Array(
    Type.Object({
      siteId: Type.String(),
      total: Type.Integer(),
      ok: Type.Integer(),
      failing: Type.Integer(),
      reasons: Type.Record(Type.String(), Type.Integer()),
    }),
  ),
  byReason: Type.Array(Type.Object({ code: Reason, devices: Type.Integer(), sites: Type.Integer() })),
});

export const ReportLinkSchema = Type.Object({
  seq: Type.Integer(),
  sweepId: Type.String(),
  sealedAt: Type.Number(),
  contentHash: Type.String(),
  prevHash: Type.String(),
  hash: Type.String(),
});

export const SweepStateSchema = Type.Union([Type.Literal('running'), Type.Literal('done'), Type.Literal('cancelled')]);

/** A sweep as the API shows it (results only on GET /api/sweeps/:id). */
export const SweepViewSchema = Type.Object({
  id: Type.String(),
  name: Type.Optional(Type.String()),
  trigger: Type.String(),
  state: SweepStateSchema,
  createdAt: Type.Number(),
  finishedAt: Type.Optional(Type.Number()),
  selection: SweepSelectionSchema,
  options: Type.Object({ concurrency: Type.Integer(), timeoutMs: Type.Integer(), extras: Type.Array(Type.String()) }),
  progress: Type.Object({ done: Type.Integer(), total: Type.Integer() }),
  summary: Type.Optional(SweepSummarySchema),
  cancelReason: Type.Optional(Type.String()),
  report: Type.Optional(ReportLinkSchema),
  results: Type.Optional(Type.Array(SweepResultSchema)),
});
export type SweepView = Static<typeof SweepViewSchema>;

export const ChainVerdictSchema = Type.Object({
  ok: Type.Boolean(),
  checked: Type.Integer(),
  head: Type.String(),
  firstBroken: Type.Optional(
    Type.Object({
      seq: Type.Integer(),
      sweepId: Type.String(),
      reason: Type.Union(
        ['content-changed', 'link-hash-mismatch', 'prev-hash-mismatch', 'sequence-gap', 'content-missing'].map((r) => Type.Literal(r)),
      ),
      detail: Type.String(),
    }),
  ),
});
