import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Device, Health } from '../core/types.js';
import { GatewayError } from '../errors.js';
import type { HttpDeps } from './deps.js';
import { ErrorReply, HealthSchema, IdParam, KindSchema } from './schemas.js';

const ListQuery = Type.Object(
  {
    site: Type.Optional(Type.String({ maxLength: 64 })),
    kind: Type.Optional(KindSchema),
    status: Type.Optional(Type.Union(['ok', 'degraded', 'offline', 'unknown', 'not-ok'].map((s) => Type.Literal(s)))),
    reason: Type.Optional(Type.String({ maxLength: 64 })),
  },
  { additionalProperties: false },
);

const DeviceView = Type.Object({
  id: Type.String(),
  siteId: Type.String(),
  kind: Type.String(),
  adapter: Type.String(),
  name: Type.String(),
  options: Type.Record(Type.String(), Type.Unknown()),
  health: HealthSchema,
});

const SECRET_KEY = /pass|secret|token|key|iccid|msisdn/i;

/** A device as the API shows it: its secret never, option values that look secret redacted. */
export function deviceView(device: Device, health: Health | undefined, now: number) {
  const options: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(device.options)) options[k] = SECRET_KEY.test(k) ? '***' : v;
  return {
    id: device.id,
    siteId: device.siteId,
    kind: device.kind,
    adapter: device.adapter,
    name: device.name,
    options,
    health: health ?? { deviceId: device.id, siteId: device.siteId, kind: device.kind, status: 'unknown' as const, reasons: [], checkedAt: now },
  };
}

export function devicesRoutes(app: FastifyInstance, deps: HttpDeps): void {
  app.get<{ Querystring: Static<typeof ListQuery> }>(
    '/api/devices',
    { schema: { querystring: ListQuery, response: { 200: Type.Array(DeviceView) } } },
    async (req) => {
      const { site, kind, status, reason } = req.query;
      const now = deps.clock.now();
      return deps.registry
        .list({ ...(site ? { siteId: site } : {}), ...(kind ? { kind } : {}) })
        .map((d) => deviceView(d, deps.health.get(d.id), now))
        .filter((v) => !status || (status === 'not-ok' ? v.health.status !== 'ok' : v.health.status === status))
        .filter((v) => !reason || v.health.reasons.some((r) => r.code === reason));
    },
  );

  app.get<{ Params: Static<typeof IdParam> }>(
    '/api/devices/:id',
    { schema: { params: IdParam, response: { 200: DeviceView, 404: ErrorReply } } },
    async (req) => {
      const device = deps.registry.get(req.params.id);
      if (!device) throw new GatewayError('GW_ERR_UNKNOWN_DEVICE', req.params.id);
      return deviceView(device, deps.health.get(device.id), deps.clock.now());
    },
  );
}
