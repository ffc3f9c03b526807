/**
 * The sweep engine and routes built around a running test gateway, as the lead will wire them
 * in app.ts: same registry, health tracker, adapters, SQLite database and audit log; routes on
 * a fresh Fastify listening on an ephemeral loopback port.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import pino from 'pino';
import { systemClock } from '../../../gateway/contract/clock.js';
import type { CheckCapable, SweepExtra } from '../../../gateway/core/sweeps/check.js';
import { SweepEngine } from '../../../gateway/core/sweeps/engine.js';
import { registerErrorHandling } from '../../../gateway/http/error-handler.js';
import { sweepsRoutes } from '../../../gateway/http/sweeps-routes.js';
import { Counters } from '../../../gateway/core/counters.js';
import type { SweepRepository } from '../../../gateway/core/sweeps/types.js';
import type { TestGateway } from '../../helpers/gateway.js';

export interface SweepApi {
  app: FastifyInstance;
  engine: SweepEngine;
  store: SweepRepository;
  baseUrl: string;
  close(): Promise<void>;
}

export async function startSweepApi(
  t: TestGateway,
  opts: { adapters?: ReadonlyMap<string, CheckCapable>; extras?: ReadonlyMap<string, SweepExtra>; maxRunning?: number } = {},
): Promise<SweepApi> {
  const { config } = t.gw.loaded;
  const log = pino({ level: process.env.TEST_LOG ?? 'silent' });
  const store = t.gw.store.sweeps;
  const engine = new SweepEngine(
    {
      registry: t.gw.registry,
      health: t.gw.health,
      adapters: opts.adapters ?? t.gw.adapters,
      recorder: store,
      clock: systemClock,
      log,
      heartbeatTimeout: config.health.heartbeatTimeout,
      district: { id: config.district.id, name: config.district.name, ...(config.district.nameEn ? { nameEn: config.district.nameEn } : {}) },
      ...(opts.extras ? { extras: opts.extras } : {}),
    },
    { ...(opts.maxRunning ? { maxRunning: opts.maxRunning } : {}) },
  );
  await engine.start();
  // Same validation settings and error handling as gateway/http/server.ts.
  const app = Fastify({ ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } } });
  registerErrorHandling(app, new Counters());
  sweepsRoutes(app, { engine, store, audit: (e) => t.gw.store.audit(e) });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    app,
    engine,
    store,
    baseUrl: `http://127.0.0.1:${port}`,
    async close() {
      await engine.stop();
      await app.close();
    },
  };
}

export async function json<T>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

export const post = (url: string, body: unknown) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
