/**
 * How the HTTP API answers what it refuses: every coded error (contract/errors.ts) by its
 * declared status as `{ statusCode, code, error, message }`, validation failures as
 * GW_ERR_BAD_REQUEST, unknown routes as GW_ERR_NOT_FOUND, anything else as GW_ERR_INTERNAL
 * (logged, never shown). Routes throw; none maps errors by hand.
 */
import type { FastifyError, FastifyInstance } from 'fastify';
import { isGatewayError } from '../contract/errors.js';
import type { Counters } from '../core/counters.js';

export function registerErrorHandling(app: FastifyInstance, counters: Pick<Counters, 'inc'>): void {
  // Every refused request is counted once under http.rejected.<why> (on /api/health): by the
  // error handlers below, or, for a route that answers an error itself, by its status.
  const counted = new WeakSet<object>();
  const reject = (req: object, why: string) => {
    counted.add(req);
    counters.inc(`http.rejected.${why}`);
  };
  app.addHook('onResponse', async (req, reply) => {
    if (reply.statusCode >= 400 && reply.statusCode < 500 && !counted.has(req)) counters.inc(`http.rejected.${reply.statusCode}`);
  });
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (isGatewayError(err)) {
      if (err.statusCode >= 500) req.log.error({ err }, 'request failed');
      else reject(req, err.code);
      if (err.retryAfterSeconds !== undefined) void reply.header('retry-after', String(Math.max(1, Math.ceil(err.retryAfterSeconds))));
      return reply.status(err.statusCode).send({ statusCode: err.statusCode, code: err.code, error: err.name, message: err.message });
    }
    if (err.validation) {
      reject(req, 'validation');
      return reply
        .status(400)
        .send({ statusCode: 400, code: 'GW_ERR_BAD_REQUEST', error: 'Bad Request', message: `${err.validationContext ?? 'request'}${err.message.replace(/^[a-z]+/, '')}` });
    }
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    if (status >= 500) req.log.error({ err }, 'request failed');
    else reject(req, String(err.code ?? status));
    return reply.status(status).send({
      statusCode: status,
      code: status >= 500 ? 'GW_ERR_INTERNAL' : `GW_ERR_HTTP_${err.code ?? status}`,
      error: status >= 500 ? 'Internal Server Error' : err.name,
      message: status >= 500 ? 'internal error' : err.message,
    });
  });

  app.setNotFoundHandler((req, reply) => {
    reject(req, 'no-route');
    return reply.status(404).send({ statusCode: 404, code: 'GW_ERR_NOT_FOUND', error: 'Not Found', message: `no route ${req.method} ${req.url.split('?')[0]}` });
  });
}
