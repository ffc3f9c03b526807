/**
 * Telemetry history and availability, from the telemetry store (InfluxDB or embedded):
 * GET /api/devices/:id/telemetry, /api/devices/:id/availability, /api/sites/:id/availability.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { scopeOf } from '../auth/access.js';
import { GatewayError } from '../contract/errors.js';
import type { HttpDeps } from './deps.js';
import { deviceInScope } from './devices-routes.js';
import { ErrorReply, IdParam } from './schemas.js';

const Time = Type.String({ maxLength: 40, description: 'ms since epoch, or an ISO 8601 time' });
const Range = { from: Type.Optional(Time), to: Type.Optional(Time) };
const SeriesQuery = Type.Object(
  {
    field: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.-]+$' }),
    measurement: Type.Optional(Type.Union([Type.Literal('telemetry'), Type.Literal('health'), Type.Literal('event')])),
    every: Type.Optional(Type.String({ pattern: '^\\d+(ms|s|m|h|d)$', description: 'bucket width, e.g. 5m' })),
    ...Range,
  },
  { additionalProperties: false },
);
const RangeQuery = Type.Object(Range, { additionalProperties: false });

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function parseDuration(text: string): number {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(text);
  if (!m) throw new GatewayError('GW_ERR_BAD_REQUEST', `bad duration '${text}'`);
  return Number(m[1]) * (UNIT_MS[m[2] as string] ?? 1);
}

export function parseTime(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isFinite(n)) throw new GatewayError('GW_ERR_BAD_REQUEST', `bad time '${text}'`);
  return n;
}

function range(q: { from?: string; to?: string }, now: number): { from: number; to: number } {
  const to = parseTime(q.to, now);
  const from = parseTime(q.from, to - 86_400_000);
  if (from >= to) throw new GatewayError('GW_ERR_BAD_REQUEST', 'from must be before to');
  return { from, to };
}

export function telemetryRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const store = () => {
    if (!deps.telemetry) throw new GatewayError('GW_ERR_NOT_FOUND', 'no telemetry store configured');
    return deps.telemetry;
  };
  const device = (req: FastifyRequest, id: string) => deviceInScope(deps, scopeOf(req), id);

  app.get<{ Params: Static<typeof IdParam>; Querystring: Static<typeof SeriesQuery> }>(
    '/api/devices/:id/telemetry',
    {
      config: { permission: 'telemetry:read' },
      schema: {
        params: IdParam,
        querystring: SeriesQuery,
        response: {
          200: Type.Object({ deviceId: Type.String(), field: Type.String(), from: Type.Number(), to: Type.Number(), everyMs: Type.Number(), points: Type.Array(Type.Object({ at: Type.Number(), value: Type.Union([Type.Number(), Type.Null()]) })) }),
          400: ErrorReply,
          404: ErrorReply,
        },
      },
    },
    async (req) => {
      const d = device(req, req.params.id);
      const { from, to } = range(req.query, deps.clock.now());
      const everyMs = parseDuration(req.query.every ?? '5m');
      if ((to - from) / everyMs > 10_000) throw new GatewayError('GW_ERR_BAD_REQUEST', 'more than 10000 buckets: widen every or narrow the range');
      // Field names are stored with dots flattened (sim.status → sim_status).
      const field = req.query.field.replaceAll('.', '_');
      await store().flush();
      const points = await store().series({ deviceId: d.id, measurement: req.query.measurement ?? 'telemetry', field, from, to, everyMs });
      return { deviceId: d.id, field, from, to, everyMs, points };
    },
  );

  app.get<{ Params: Static<typeof IdParam>; Querystring: Static<typeof RangeQuery> }>(
    '/api/devices/:id/availability',
    { config: { permission: 'telemetry:read' }, schema: { params: IdParam, querystring: RangeQuery, response: { 200: Type.Object({ deviceId: Type.String(), from: Type.Number(), to: Type.Number(), uptime: Type.Number() }), 400: ErrorReply, 404: ErrorReply } } },
    async (req) => {
      const d = device(req, req.params.id);
      const { from, to } = range(req.query, deps.clock.now());
      await store().flush();
      const result = await store().availability({ deviceIds: [d.id], from, to });
      return { deviceId: d.id, from, to, uptime: result[d.id] ?? 0 };
    },
  );

  app.get<{ Params: Static<typeof IdParam>; Querystring: Static<typeof RangeQuery> }>(
    '/api/sites/:id/availability',
    {
      config: { permission: 'telemetry:read' },
      schema: {
        params: IdParam,
        querystring: RangeQuery,
        response: { 200: Type.Object({ siteId: Type.String(), from: Type.Number(), to: Type.Number(), uptime: Type.Number(), devices: Type.Record(Type.String(), Type.Number()) }), 400: ErrorReply, 404: ErrorReply },
      },
    },
    async (req) => {
      const site = deps.registry.site(req.params.id);
      if (!site || !scopeOf(req).hasSite(site.id)) throw new GatewayError('GW_ERR_UNKNOWN_SITE', req.params.id);
      const { from, to } = range(req.query, deps.clock.now());
      const ids = deps.registry.list({ siteId: site.id }).map((d) => d.id);
      await store().flush();
      const devices = await store().availability({ deviceIds: ids, from, to });
      const values = ids.map((id) => devices[id] ?? 0);
      const uptime = values.length ? values.reduce((a, b) => a + b, 0) / values.length : 0;
      return { siteId: site.id, from, to, uptime, devices };
    },
  );
}
