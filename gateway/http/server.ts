/**
 * The HTTP server: the API under /api, the live WebSocket, MQTT over WebSocket, and the
 * built dashboard at /. Errors leave as `{ statusCode, code, error, message }`.
 */
import { existsSync } from 'node:fs';
import { createWebSocketStream } from 'ws';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';
import fastifyWebsocket from '@fastify/websocket';
import { isGatewayError } from '../errors.js';
import { alarmsRoutes } from './alarms-routes.js';
import { broadcastsRoutes } from './broadcasts-routes.js';
import type { HttpDeps } from './deps.js';
import { devicesRoutes } from './devices-routes.js';
import { drillsRoutes } from './drills-routes.js';
import { healthRoutes } from './health-routes.js';
import { liveRoutes } from './live-routes.js';
import { sitesRoutes } from './sites-routes.js';
import { sweepsRoutes } from './sweeps-routes.js';
import { telemetryRoutes } from './telemetry-routes.js';

function levelAtLeastWarn(level: string): string {
  return ['fatal', 'error', 'silent'].includes(level) ? level : 'warn';
}

export async function createHttpServer(deps: HttpDeps): Promise<FastifyInstance> {
  const app = Fastify({
    // fastify types its logger against its own pino copy; ours is the same API. Request
    // logging is left to warn level: one line per dashboard poll would drown the alarms.
    loggerInstance: deps.log.child({ part: 'http' }, { level: levelAtLeastWarn(deps.log.level) }) as unknown as FastifyBaseLogger,
    bodyLimit: deps.config.http.bodyLimit,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
  });

  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (isGatewayError(err)) {
      if (err.statusCode >= 500) req.log.error({ err }, 'request failed');
      return reply.status(err.statusCode).send({ statusCode: err.statusCode, code: err.code, error: err.name, message: err.message });
    }
    if (err.validation) {
      deps.counters.inc('http.rejected.validation');
      return reply
        .status(400)
        .send({ statusCode: 400, code: 'GW_ERR_BAD_REQUEST', error: 'Bad Request', message: `${err.validationContext ?? 'request'}${err.message.replace(/^[a-z]+/, '')}` });
    }
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    if (status >= 500) req.log.error({ err }, 'request failed');
    else deps.counters.inc(`http.rejected.${status}`);
    return reply.status(status).send({
      statusCode: status,
      code: status >= 500 ? 'GW_ERR_INTERNAL' : `GW_ERR_HTTP_${err.code ?? status}`,
      error: status >= 500 ? 'Internal Server Error' : err.name,
      message: status >= 500 ? 'internal error' : err.message,
    });
  });

  app.setNotFoundHandler((req, reply) =>
    reply.status(404).send({ statusCode: 404, code: 'GW_ERR_NOT_FOUND', error: 'Not Found', message: `no route ${req.method} ${req.url.split('?')[0]}` }),
  );

  await app.register(fastifyWebsocket, { options: { maxPayload: 1024 * 1024 } });

  healthRoutes(app, deps);
  sitesRoutes(app, deps);
  devicesRoutes(app, deps);
  alarmsRoutes(app, deps);
  liveRoutes(app, deps);
  telemetryRoutes(app, deps);
  if (deps.broadcasts) broadcastsRoutes(app, { broadcasts: deps.broadcasts });
  if (deps.sweeps) sweepsRoutes(app, deps.sweeps);
  if (deps.drills) drillsRoutes(app, deps, deps.drills);

  const wsPath = deps.config.mqtt.websocketPath;
  if (wsPath) {
    app.get(wsPath, { websocket: true }, (socket) => {
      deps.broker.handleStream(createWebSocketStream(socket));
    });
  }

  if (deps.dashboardDir && existsSync(deps.dashboardDir)) {
    // wildcard: files are looked up per request, so a rebuilt dashboard is served without a restart.
    await app.register(fastifyStatic, { root: deps.dashboardDir, prefix: '/', wildcard: true });
  } else {
    app.get('/', async (_req, reply) =>
      reply
        .type('text/html; charset=utf-8')
        .send('<!doctype html><meta charset="utf-8"><title>校园安全网关</title><p>校园安全网关运行中。控制台尚未构建 (npm run build:dashboard)。API: <a href="/api/health">/api/health</a></p>'),
    );
  }
  return app;
}
