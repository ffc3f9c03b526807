/**
 * Cluster views gathered from every node (gateway/http/peer-views.ts), against real HTTP peers on
 * loopback: one that answers, one that answers an error, one whose answer is not a view, one that
 * does not answer within the bound, and one that is not listening. The answering node gets the
 * caller's Authorization and signed forwarding headers; the others are named as missing with why.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trustedForward } from '../../../gateway/http/holder-forward.js';
import { askPeers, type NodeAnswer, type PeersPort } from '../../../gateway/http/peer-views.js';

const KEY = 'cluster-forward-key';

function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Server> {
  const server = createServer(handler);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}
const urlOf = (s: Server) => `http://127.0.0.1:${(s.address() as AddressInfo).port}`;

describe('askPeers', () => {
  const servers: Server[] = [];
  const held: ServerResponse[] = [];
  let app: FastifyInstance;
  const seen: { auth?: string; trusted?: { ip: string; node: string } }[] = [];
  const counts = new Map<string, number>();
  let closedUrl = '';

  beforeAll(async () => {
    const good = await listen((req, res) => {
      seen.push({ auth: req.headers.authorization, trusted: trustedForward(KEY, { method: req.method ?? '', url: req.url ?? '', headers: req.headers }) });
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ clocks: [{ deviceId: 'btn-9' }] }));
    });
    const failing = await listen((_req, res) => res.writeHead(500, { 'content-type': 'application/json' }).end('{"code":"GW_ERR_INTERNAL"}'));
    const garbled = await listen((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"clocks": [tru'));
    const silent = await listen((_req, res) => void held.push(res));
    const gone = await listen(() => undefined);
    closedUrl = urlOf(gone);
    await new Promise((r) => gone.close(r));
    servers.push(good, failing, garbled, silent);
    const port: PeersPort = {
      nodeId: 'node-a',
      key: KEY,
      timeoutMs: 1_000,
      others: async () => [
        { id: 'good', httpUrl: urlOf(good) },
        { id: 'failing', httpUrl: urlOf(failing) },
        { id: 'garbled', httpUrl: urlOf(garbled) },
        { id: 'silent', httpUrl: urlOf(silent) },
        { id: 'gone', httpUrl: closedUrl },
      ],
    };
    app = Fastify();
    const counters = { inc: (name: string) => void counts.set(name, (counts.get(name) ?? 0) + 1) };
    app.get('/api/clock-drift', async (req) => {
      const accept = (b: unknown) => (Array.isArray((b as { clocks?: unknown } | null)?.clocks) ? (b as { clocks: unknown[] }).clocks : undefined);
      return askPeers(port, req, counters, accept);
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
  });

  afterAll(async () => {
    for (const res of held.splice(0)) res.destroy();
    await app?.close();
    for (const s of servers) await new Promise((r) => s.close(r));
  });

  it('keeps the answering nodes\' parts and names the others with the reason, each within the bound', async () => {
    const started = Date.now();
    const res = await fetch(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}/api/clock-drift?x=1`, { headers: { authorization: 'Bearer t0ken' } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { answers: NodeAnswer[]; parts: { node: string; part: unknown[] }[] };
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(body.parts).toEqual([{ node: 'good', part: [{ deviceId: 'btn-9' }] }]);
    const byId = Object.fromEntries(body.answers.map((a) => [a.id, a]));
    expect(byId.good).toEqual({ id: 'good', answered: true });
    expect(byId.failing?.answered).toBe(false);
    expect(byId.failing?.error).toContain('HTTP 500');
    expect(byId.garbled?.error).toBe('the answer is not a view of the expected shape');
    expect(byId.silent?.error).toBe('did not answer within 1 s');
    expect(byId.gone?.error).toContain('cannot be reached');
    expect(byId.gone?.error).toContain('ECONNREFUSED');
    // The caller's token, and this node's signature over the same path: the peer answers for its own part only.
    expect(seen).toEqual([{ auth: 'Bearer t0ken', trusted: { ip: '127.0.0.1', node: 'node-a' } }]);
    expect([counts.get('cluster.views.answered'), counts.get('cluster.views.unanswered')]).toEqual([1, 4]);
  }, 30_000);
});
