/**
 * HTTP control and query API of the simulated 110 centre (loopback only):
 *   GET    /messages[?account=…]   recorded messages, oldest first
 *   DELETE /messages               forget them
 *   GET    /status                 mode, ports, counters
 *   POST   /mode {mode, delayMs?}  switch failure mode
 */
import { Type, type Static } from '@sinclair/typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { ALARM_CENTRE_MODES, type AlarmCentreMode } from './alarm-centre-modes.js';

const ModeBody = Type.Object(
  {
    mode: Type.Union(ALARM_CENTRE_MODES.map((m) => Type.Literal(m))),
    delayMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 600_000 })),
  },
  { additionalProperties: false },
);
type ModeBody = Static<typeof ModeBody>;

const MessagesQuery = Type.Object(
  { account: Type.Optional(Type.String({ pattern: '^[0-9A-Fa-f]{3,16}$' })) },
  { additionalProperties: false },
);
type MessagesQuery = Static<typeof MessagesQuery>;

/** What the API reads and drives of the simulated centre (AlarmCentreSimulator). */
export interface CentreApiTarget {
  messages(filter: { account?: string }): unknown[];
  clear(): void;
  status(): { delayMs: number };
  setMode(mode: AlarmCentreMode, delayMs?: number): Promise<void>;
}

/** Builds (does not listen) the API for `sim`; tests may drive it with inject(). */
export function buildHttpApi(sim: CentreApiTarget, log: Logger): FastifyInstance {
  const logger: FastifyBaseLogger = log.child({ sim: 'alarm-centre-http' });
  const app = Fastify({ loggerInstance: logger });

  app.get<{ Querystring: MessagesQuery }>('/messages', { schema: { querystring: MessagesQuery } }, async (req) => ({
    messages: sim.messages(req.query.account !== undefined ? { account: req.query.account } : {}),
  }));

  app.delete('/messages', async (_req, reply) => {
    sim.clear();
    return reply.code(204).send();
  });

  app.get('/status', async () => sim.status());

  app.post<{ Body: ModeBody }>('/mode', { schema: { body: ModeBody } }, async (req) => {
    if (req.body.mode === 'delay' && req.body.delayMs === undefined && sim.status().delayMs === 0) {
      // A delay of nothing would be 'normal' in disguise; say so instead of guessing.
      throw Object.assign(new Error("mode 'delay' needs delayMs"), { statusCode: 400, code: 'GW_ERR_BAD_REQUEST' });
    }
    await sim.setMode(req.body.mode, req.body.delayMs);
    return sim.status();
  });

  return app;
}
