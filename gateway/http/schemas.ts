/** Shared JSON schemas of the HTTP API (TypeBox), so routes validate and document alike. */
import { Type } from '@sinclair/typebox';
import { DEVICE_KINDS, HEALTH_REASONS } from '../contract/vocabulary.js';
import { ALARM_TYPES } from '../contract/alarm-types.js';

export const ErrorReply = Type.Object({
  statusCode: Type.Integer(),
  code: Type.String(),
  error: Type.String(),
  message: Type.String(),
});

export const Scalar = Type.Union([Type.String(), Type.Number(), Type.Boolean()]);

export const HealthSchema = Type.Object({
  deviceId: Type.String(),
  siteId: Type.String(),
  kind: Type.String(),
  status: Type.Union([Type.Literal('ok'), Type.Literal('degraded'), Type.Literal('offline'), Type.Literal('unknown')]),
  reasons: Type.Array(
    Type.Object({
      code: Type.Union(HEALTH_REASONS.map((r) => Type.Literal(r))),
      detail: Type.Optional(Type.String()),
      since: Type.Number(),
    }),
  ),
  lastSeen: Type.Optional(Type.Number()),
  checkedAt: Type.Number(),
});

export const AlarmEntrySchema = Type.Object({
  at: Type.Number(),
  action: Type.String(),
  by: Type.String(),
  note: Type.Optional(Type.String()),
  data: Type.Optional(Type.Record(Type.String(), Scalar)),
});

export const AlarmSchema = Type.Object({
  id: Type.String(),
  type: Type.Union(ALARM_TYPES.map((t) => Type.Literal(t))),
  severity: Type.String(),
  siteId: Type.String(),
  deviceId: Type.Optional(Type.String()),
  state: Type.String(),
  raisedAt: Type.Number(),
  updatedAt: Type.Number(),
  repeats: Type.Integer(),
  drill: Type.Boolean(),
  summary: Type.String(),
  timeline: Type.Array(AlarmEntrySchema),
});

export const KindSchema = Type.Union(DEVICE_KINDS.map((k) => Type.Literal(k)));
export const IdParam = Type.Object({ id: Type.String({ minLength: 1, maxLength: 128 }) }, { additionalProperties: false });
