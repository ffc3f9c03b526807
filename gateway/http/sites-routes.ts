import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { HealthStatus } from '../contract/types.js';
import { scopeOf } from '../auth/access.js';
import type { HttpDeps } from './deps.js';

const STATUS_RANK: Record<HealthStatus, number> = { offline: 0, degraded: 1, unknown: 2, ok: 3 };

const SiteView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  nameEn: Type.Optional(Type.String()),
  kind: Type.Union([Type.Literal('school'), Type.Literal('police')]),
  district: Type.String(),
  contacts: Type.Array(Type.Object({ name: Type.String(), role: Type.String(), phone: Type.Optional(Type.String()), radio: Type.Optional(Type.String()) })),
  location: Type.Optional(Type.Object({ lat: Type.Number(), lon: Type.Number() })),
  timeZone: Type.String(),
  protectionWindows: Type.Array(Type.Object({ days: Type.Array(Type.Integer()), start: Type.String(), end: Type.String(), label: Type.Optional(Type.String()) })),
  devices: Type.Integer(),
  worstStatus: Type.String(),
  openAlarms: Type.Integer(),
});

export function sitesRoutes(app: FastifyInstance, deps: HttpDeps): void {
  // What the dashboard needs of the configuration: names and per-alarm-type instructions.
  app.get(
    '/api/config/ui',
    {
      config: { signedIn: true },
      schema: {
        response: {
          200: Type.Object({
            district: Type.Object({ id: Type.String(), name: Type.String(), nameEn: Type.Optional(Type.String()) }),
            instructions: Type.Record(Type.String(), Type.String()),
          }),
        },
      },
    },
    async () => ({ district: deps.config.district, instructions: deps.config.alarms.instructions }),
  );

  app.get('/api/sites', { config: { permission: 'sites:read' }, schema: { response: { 200: Type.Array(SiteView) } } }, async (req) => {
    const open = deps.alarms.openAlarms();
    const scope = scopeOf(req);
    return deps.registry.sites().filter((site) => scope.hasSite(site.id)).map((site) => {
      const devices = deps.registry.list({ siteId: site.id });
      let worst: HealthStatus = 'ok';
      for (const d of devices) {
        const s = deps.health.get(d.id)?.status ?? 'unknown';
        if (STATUS_RANK[s] < STATUS_RANK[worst]) worst = s;
      }
      return {
        id: site.id,
        name: site.name,
        ...(site.nameEn ? { nameEn: site.nameEn } : {}),
        kind: site.kind ?? ('school' as const),
        district: site.district,
        contacts: site.contacts,
        ...(site.location ? { location: site.location } : {}),
        timeZone: site.timeZone,
        protectionWindows: site.protectionWindows,
        devices: devices.length,
        worstStatus: worst,
        openAlarms: open.filter((a) => a.siteId === site.id).length,
      };
    });
  });
}
