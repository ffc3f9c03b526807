/**
 * The HTTP server: the API under /api, the live WebSocket, MQTT over WebSocket, and the
 * built dashboard at /, over HTTPS when http.tls is set (https.ts). Errors leave as
 * `{ statusCode, code, error, message }`.
 */
import { existsSync } from 'node:fs';
import { createWebSocketStream } from 'ws';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type RouteOptions } from 'fastify';
import fastifyHelmet from '@fastify/helmet';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import fastifyWebsocket from '@fastify/websocket';
import { registerAccess, selectSubprotocol, tokenKey } from '../auth/access.js';
import { GatewayError } from '../contract/errors.js';
import { auditRoutes } from './audit-routes.js';
import { authRoutes } from './auth-routes.js';
import { alarmsRoutes } from './alarms-routes.js';
import { broadcastsRoutes } from './broadcasts-routes.js';
import { camerasRoutes } from './cameras-routes.js';
import type { HttpDeps } from './deps.js';
import { devicesRoutes } from './devices-routes.js';
import { diagnosticsRoutes } from './diagnostics-routes.js';
import { registerErrorHandling } from './error-handler.js';
import { drillsRoutes } from './drills-routes.js';
import { oncallRoutes } from './oncall-routes.js';
import { clusterRoutes } from './cluster-routes.js';
import { healthRoutes } from './health-routes.js';
import { registerHolderForwarding } from './holder-forward.js';
import { httpsContext } from './https.js';
import { liveRoutes } from './live-routes.js';
import { metricsRoutes } from './metrics-routes.js';
import { simulatorsRoutes } from './simulators-routes.js';
import { sitesRoutes } from './sites-routes.js';
import { sweepsRoutes } from './sweeps-routes.js';
import { telemetryRoutes } from './telemetry-routes.js';

/** A route as registered: what access control and the route tests read. */
export interface RouteEntry {
  method: string;
  url: string;
  permission?: string;
  public: boolean;
  signedIn: boolean;
  websocket: boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route registered on this server (HEAD routes left out). */
    routeTable: readonly RouteEntry[];
  }
}

function levelAtLeastWarn(level: string): string {
  return ['fatal', 'error', 'silent'].includes(level) ? level : 'warn';
}

/** http.trustProxy for fastify: a hop count becomes "the first n hops" (what fastify does at run time, typed). */
function trustProxyOption(tp: boolean | string[] | number): boolean | string[] | ((address: string, hop: number) => boolean) {
  return typeof tp === 'number' ? (_address, hop) => hop < tp : tp;
}

export async function createHttpServer(deps: HttpDeps): Promise<FastifyInstance> {
  const tls = deps.config.http.tls;
  if (tls && !deps.tls) throw new Error('http.tls is configured but its files were not read (readHttpTlsFiles)');
  const app = Fastify({
    // HTTPS when http.tls is configured (files read and checked by build() before anything started).
    // Typed away: fastify's types would make this an https-typed instance, while every route
    // and plugin here is written against the one default server type (the API is the same).
    ...((deps.tls ? { https: httpsContext(deps.tls) } : {}) as Record<never, never>),
    // Behind a reverse proxy: whose X-Forwarded-* headers to believe (req.ip, req.protocol).
    trustProxy: trustProxyOption(deps.config.http.trustProxy),
    // fastify types its logger against its own pino copy; ours is the same API. Request
    // logging is left to warn level: one line per dashboard poll would drown the alarms.
    loggerInstance: deps.log.child({ part: 'http' }, { level: levelAtLeastWarn(deps.log.level) }) as unknown as FastifyBaseLogger,
    bodyLimit: deps.config.http.bodyLimit,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
    // The router's own refusals (a malformed URL, a path parameter over 100 characters) leave
    // in the gateway's error shape too, counted like any other reject.
    frameworkErrors: (err, _req, reply) => {
      const status = err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 414 : 400;
      deps.counters.inc(`http.rejected.${err.code}`);
      void (reply as FastifyReply).status(status).send({ statusCode: status, code: `GW_ERR_HTTP_${err.code}`, error: status === 414 ? 'URI Too Long' : 'Bad Request', message: err.message });
    },
  });

  // Route options are read when asked for: a plugin's own onRoute hook may still amend them.
  const registered: RouteOptions[] = [];
  app.addHook('onRoute', (r) => {
    registered.push(r);
    // An API route that takes no query parameters refuses unknown ones, like every schema here.
    if (r.url.startsWith('/api/') && !r.schema?.querystring) r.schema = { ...r.schema, querystring: { type: 'object', additionalProperties: false } };
  });
  // Cluster mode: routes needing the singleton duties go to the node holding them (holder-forward.ts).
  if (deps.holder) registerHolderForwarding(app, deps.holder, deps.counters);

  app.decorate('routeTable', {
    getter: (): RouteEntry[] =>
      registered.flatMap((r) =>
        [r.method]
          .flat()
          .filter((m) => m !== 'HEAD')
          .map((method) => ({
            method,
            url: r.url,
            ...(r.config?.permission ? { permission: r.config.permission } : {}),
            public: r.config?.public === true,
            signedIn: r.config?.signedIn === true,
            websocket: r.websocket === true,
          })),
      ),
  });

  // Ajv coerces a query string such as `1e999` or `-Infinity` to ±Infinity and then lets it
  // through `type: integer` and `minimum`/`maximum` (found by tests/fuzz/http-routes.test.ts):
  // refuse non-finite numbers after validation, before any handler sees them.
  app.addHook('preHandler', async (req) => {
    for (const [part, values] of [['querystring', req.query], ['params', req.params]] as const) {
      if (!values || typeof values !== 'object') continue;
      for (const [key, value] of Object.entries(values)) {
        if ([value].flat().some((v) => typeof v === 'number' && !Number.isFinite(v))) {
          throw new GatewayError('GW_ERR_BAD_REQUEST', `${part}/${key} must be a finite number`);
        }
      }
    }
  });

  registerErrorHandling(app, deps.counters);

  // Security headers. The dashboard is served from this origin only; no inline scripts. Over
  // plain HTTP (a police LAN) browsers are never asked to upgrade; with http.tls they are told
  // to keep to HTTPS (HSTS, this host only: the gateway does not speak for its parent domain).
  await app.register(fastifyHelmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:', 'blob:'],
        mediaSrc: ["'self'", 'data:', 'blob:'],
        connectSrc: ["'self'", 'ws:', 'wss:'],
        objectSrc: ["'none'"],
        frameAncestors: ["'none'"],
        upgradeInsecureRequests: null,
      },
    },
    strictTransportSecurity: tls && tls.hstsMaxAgeSeconds > 0 ? { maxAge: tls.hstsMaxAgeSeconds, includeSubDomains: false } : false,
  });
  // Per operator once logged in, per address before: runs after access control (preHandler).
  const rl = deps.config.http.rateLimit;
  await app.register(fastifyRateLimit, {
    global: true,
    hook: 'preHandler',
    max: rl.max,
    timeWindow: rl.windowSeconds * 1000,
    keyGenerator: (req) => (req.operator ? `op:${req.operator.username}` : `ip:${req.ip}`),
    errorResponseBuilder: (_req, ctx) => new GatewayError('GW_ERR_RATE_LIMITED', `retry in ${ctx.after}`),
  });
  await app.register(fastifyWebsocket, { options: { maxPayload: 1024 * 1024, handleProtocols: selectSubprotocol } });
  await registerAccess(app, {
    operators: deps.operators,
    registry: deps.registry,
    counters: deps.counters,
    key: deps.config.auth.tokenSecret ?? deps.tokenKey ?? tokenKey(undefined, deps.config.dataDir),
    sessionTtlMinutes: deps.config.auth.sessionTtlMinutes,
  });

  authRoutes(app, { operators: deps.operators, loginMax: rl.loginMax, windowSeconds: rl.windowSeconds });
  auditRoutes(app, deps.store);
  healthRoutes(app, deps);
  clusterRoutes(app, deps);
  metricsRoutes(app, deps);
  diagnosticsRoutes(app, deps);
  sitesRoutes(app, deps);
  devicesRoutes(app, deps);
  alarmsRoutes(app, deps);
  liveRoutes(app, deps);
  telemetryRoutes(app, deps);
  camerasRoutes(app, deps);
  if (deps.broadcasts) broadcastsRoutes(app, { broadcasts: deps.broadcasts });
  if (deps.sweeps) sweepsRoutes(app, deps.sweeps);
  if (deps.drills) drillsRoutes(app, deps, deps.drills);
  if (deps.oncall) oncallRoutes(app, deps.oncall);
  if (deps.simulators) simulatorsRoutes(app, deps, deps.simulators);

  const wsPath = deps.config.mqtt.websocketPath;
  if (wsPath) {
    // MQTT over WebSocket: the broker authenticates the device (CONNECT credentials).
    app.get(wsPath, { websocket: true, config: { public: true } }, (socket, req) => {
      deps.broker.handleStream(createWebSocketStream(socket), req.ip);
    });
  }

  if (deps.dashboardDir && existsSync(deps.dashboardDir)) {
    // wildcard: files are looked up per request, so a rebuilt dashboard is served without a restart.
    // The dashboard's files are public (the login screen is one of them); the data is not.
    const root = deps.dashboardDir;
    await app.register(async (files) => {
      files.addHook('onRoute', (route) => {
        route.config = { ...route.config, public: true };
      });
      await files.register(fastifyStatic, { root, prefix: '/', wildcard: true });
    });
  } else {
    app.get('/', { config: { public: true } }, async (_req, reply) =>
      reply
        .type('text/html; charset=utf-8')
        .send('<!doctype html><meta charset="utf-8"><title>校园安全网关</title><p>校园安全网关运行中。控制台尚未构建 (npm run build:dashboard)。API: <a href="/api/health">/api/health</a></p>'),
    );
  }
  return app;
}
