/**
 * Cluster mode: views that only the whole cluster can give, gathered from every node.
 *
 * Some things are measured where a device is connected: a button's clock is read off its own
 * messages, on the node its MQTT connection (or DC-09 panel's) landed on through the balancer.
 * A technician asking any node must see every device, so such a route asks every other node
 * that is up (node registry: not silent past takeoverSeconds, with an `httpUrl`) for its own
 * view and merges the answers. The other nodes are asked with the caller's `Authorization`
 * (every node checks the same sessions, so the same school scope applies) and the signed
 * forwarding headers of holder-forward.ts; a request that carries them (`req.forwardedBy`)
 * is answered with the node's own view only: one hop, never a second round.
 *
 * A node that does not answer within `cluster.viewTimeoutSeconds` (5 s), or answers with an
 * error, leaves its part out; the answer says which nodes answered (`nodes`), so a partial
 * view is never mistaken for a whole one. Counted as `cluster.views.answered` and
 * `cluster.views.unanswered`.
 */
import type { FastifyRequest } from 'fastify';
import { errorMessage } from '../contract/errors.js';
import { fetchFailure, forwardedHeaders } from './holder-forward.js';

/** What asking the other nodes needs from the cluster (gateway/cluster/runtime.ts). */
export interface PeersPort {
  /** This node's id. */
  nodeId: string;
  /** The cluster's shared key for forwarded addresses (holder-forward.ts). */
  key: string;
  /** Bound on each node's answer. */
  timeoutMs: number;
  /** The other nodes that are up, with where they serve HTTP. */
  others(): Promise<{ id: string; httpUrl: string }[]>;
}

/** Which nodes a gathered view covers. */
export interface NodeAnswer {
  id: string;
  answered: boolean;
  /** Why a node's part is missing. */
  error?: string;
}

interface Counting {
  inc(name: string): void;
}

/**
 * GETs `req.url` from every other node that is up, in parallel. `accept` checks an answer's body
 * and returns the part to keep (undefined: not an answer of the expected shape).
 */
export async function askPeers<T>(port: PeersPort, req: FastifyRequest, counters: Counting, accept: (body: unknown) => T | undefined): Promise<{ answers: NodeAnswer[]; parts: { node: string; part: T }[] }> {
  let others: { id: string; httpUrl: string }[];
  try {
    others = await port.others();
  } catch (err) {
    counters.inc('cluster.views.unanswered');
    return { answers: [{ id: '(node registry)', answered: false, error: `the other nodes cannot be listed (${errorMessage(err)})` }], parts: [] };
  }
  const headers: Record<string, string> = forwardedHeaders(port, 'GET', req.url, req.ip);
  const auth = req.headers.authorization;
  if (typeof auth === 'string') headers.authorization = auth;
  headers.accept = 'application/json';
  const results = await Promise.all(
    others.map(async (node): Promise<{ answer: NodeAnswer; part?: T }> => {
      try {
        const res = await fetch(new URL(req.url, node.httpUrl), { headers, redirect: 'manual', signal: AbortSignal.timeout(port.timeoutMs) });
        const text = await res.text();
        if (res.status !== 200) return { answer: { id: node.id, answered: false, error: `HTTP ${res.status}: ${text.slice(0, 200)}` } };
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          body = undefined;
        }
        const part = accept(body);
        if (part === undefined) return { answer: { id: node.id, answered: false, error: 'the answer is not a view of the expected shape' } };
        return { answer: { id: node.id, answered: true }, part };
      } catch (err) {
        return { answer: { id: node.id, answered: false, error: fetchFailure(err, port.timeoutMs).detail } };
      }
    }),
  );
  const parts: { node: string; part: T }[] = [];
  for (const r of results) {
    counters.inc(r.answer.answered ? 'cluster.views.answered' : 'cluster.views.unanswered');
    if (r.part !== undefined) parts.push({ node: r.answer.id, part: r.part });
  }
  if (results.some((r) => !r.answer.answered)) {
    req.log.warn({ url: req.url, missing: results.filter((r) => !r.answer.answered).map((r) => r.answer) }, 'cluster view gathered without some nodes');
  }
  return { answers: results.map((r) => r.answer), parts };
}
