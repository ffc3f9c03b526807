/**
 * Cluster mode: requests that need the singleton duties, carried out by the node that holds them.
 *
 * Behind the balancer an operator's request lands on any node, but a barrier command, a sweep,
 * a broadcast or a camera's picture needs the adapters and engines that run only on the lease
 * holder (gateway/cluster/duties.ts). A route marked `config.holder` is, on any other node,
 * forwarded to the holder's `httpUrl` (node registry + lease): same method, path, body and
 * `Authorization` (every node checks the same session tokens), and the holder's answer is
 * returned as it is (status, body, headers). The answer bound is `cluster.forwardTimeoutSeconds`;
 * no live holder, a holder that refuses the connection or does not answer in time, and a
 * forwarded request reaching a node that no longer holds the duties (one hop only) answer 503
 * GW_ERR_HOLDER_UNAVAILABLE with Retry-After. Counted as `cluster.forward.<outcome>`.
 *
 * The caller's address (for the audit log) travels as `x-gateway-forwarded-for`, with the
 * forwarding node (`-by`), the time (`-at`) and an HMAC-SHA256 over method, path, address, node
 * and time (`-sig`) under a key every node of the cluster shares (cluster_secrets `forward-key`
 * in PostgreSQL). A node takes the address only when the signature is right and the time within
 * a minute of its own; otherwise it keeps the socket's address and counts
 * `cluster.forward.untrusted`. Nothing else (no X-Forwarded-For, no address list) is believed.
 *
 * Camera live view is a WebSocket: the forwarding node opens the same WebSocket to the holder
 * before upgrading the viewer (so a refusal is still the holder's HTTP status and body) and
 * relays the frames (openHolderSocket, pipeSockets).
 *
 * Every answer names the node that served it in `x-gateway-node` (a forwarded one keeps the
 * holder's and adds `x-gateway-via`, the node it passed through).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerHookHandler } from 'fastify';
import { WebSocket, type RawData } from 'ws';
import { errorMessage, GatewayError } from '../contract/errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Needs the singleton duties: in cluster mode a node that does not hold them forwards it to the one that does. */
    holder?: boolean;
  }
  interface FastifyRequest {
    /** Cluster mode: the node that forwarded this request (its signature checked). */
    forwardedBy?: string;
  }
}

/** What forwarding needs from the cluster (gateway/cluster/runtime.ts). */
export interface HolderPort {
  /** This node's id. */
  nodeId: string;
  /** True while this node holds the singleton duties. */
  isHolder(): boolean;
  /** The holder now, by the database. */
  holder(): Promise<{ id: string; httpUrl: string } | undefined>;
  /** The cluster's shared key for forwarded addresses. */
  key: string;
  /** Bound on the holder's answer (and on a WebSocket's opening). */
  timeoutMs: number;
  /** Retry-After of a 503: a new holder takes over within this. */
  retryAfterSeconds: number;
}

interface Counting {
  inc(name: string): void;
}

export const NODE_HEADER = 'x-gateway-node';
export const VIA_HEADER = 'x-gateway-via';
const FWD_FOR = 'x-gateway-forwarded-for';
const FWD_BY = 'x-gateway-forwarded-by';
const FWD_AT = 'x-gateway-forwarded-at';
const FWD_SIG = 'x-gateway-forwarded-sig';
/** A forwarded request's signature older (or newer) than this is not believed. */
const SIGNATURE_WINDOW_MS = 60_000;
/** Headers of the caller passed on to the holder (the rest are the forwarding node's business). */
const PASSED_ON = ['authorization', 'content-type', 'accept', 'accept-language', 'user-agent'];
/** Headers of the holder's answer not passed back: hop-by-hop, or no longer true of the body fetch() decoded. */
const NOT_PASSED_BACK = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'content-encoding', 'date']);

function signature(key: string, method: string, url: string, ip: string, node: string, at: string): string {
  return createHmac('sha256', key).update([method, url, ip, node, at].join('\n')).digest('base64url');
}

/** The headers naming the caller's address, signed by this node. */
export function forwardedHeaders(port: Pick<HolderPort, 'key' | 'nodeId'>, method: string, url: string, ip: string, now = Date.now()): Record<string, string> {
  const at = String(now);
  return { [FWD_FOR]: ip, [FWD_BY]: port.nodeId, [FWD_AT]: at, [FWD_SIG]: signature(port.key, method, url, ip, port.nodeId, at) };
}

/** The caller's address a request's forwarding headers name, if signed by a node of this cluster lately; else undefined. */
export function trustedForward(key: string, req: { method: string; url: string; headers: Record<string, string | string[] | undefined> }, now = Date.now()): { ip: string; node: string } | undefined {
  const h = (name: string) => {
    const v = req.headers[name];
    return typeof v === 'string' ? v : undefined;
  };
  const ip = h(FWD_FOR);
  const node = h(FWD_BY);
  const at = h(FWD_AT);
  const sig = h(FWD_SIG);
  if (!ip || !node || !at || !sig) return undefined;
  if (!Number.isFinite(Number(at)) || Math.abs(now - Number(at)) > SIGNATURE_WINDOW_MS) return undefined;
  const want = Buffer.from(signature(key, req.method, req.url, ip, node, at));
  const got = Buffer.from(sig);
  return want.length === got.length && timingSafeEqual(want, got) ? { ip, node } : undefined;
}

/** Why a request to another node failed: past `timeoutMs` (fetch's TimeoutError), or not reachable (its cause: refused, TLS, …). */
export function fetchFailure(err: unknown, timeoutMs: number): { timedOut: boolean; detail: string } {
  const timedOut = err instanceof DOMException && err.name === 'TimeoutError';
  return { timedOut, detail: timedOut ? `did not answer within ${Math.round(timeoutMs / 1000)} s` : `cannot be reached (${errorMessage((err as Error).cause ?? err)})` };
}

function unavailable(port: HolderPort, detail: string, cause?: unknown): GatewayError {
  return new GatewayError('GW_ERR_HOLDER_UNAVAILABLE', detail, { retryAfterSeconds: port.retryAfterSeconds, ...(cause ? { cause } : {}) });
}

/**
 * The holder to forward to, or undefined when this node serves the request itself. Throws
 * GW_ERR_HOLDER_UNAVAILABLE when there is none to forward to.
 */
async function holderFor(port: HolderPort, req: FastifyRequest, counters: Counting): Promise<{ id: string; httpUrl: string } | undefined> {
  if (port.isHolder()) return undefined;
  if (req.forwardedBy !== undefined) {
    // The holder changed while the request travelled: one hop only, the caller tries again.
    counters.inc('cluster.forward.not-holder');
    throw unavailable(port, `forwarded by ${req.forwardedBy} to ${port.nodeId}, which no longer holds them`);
  }
  let holder: { id: string; httpUrl: string } | undefined;
  try {
    holder = await port.holder();
  } catch (err) {
    counters.inc('cluster.forward.no-holder');
    throw unavailable(port, `the lease cannot be read (${errorMessage(err)})`, err);
  }
  if (!holder || holder.id === port.nodeId) {
    counters.inc('cluster.forward.no-holder');
    throw unavailable(port, holder ? 'this node is taking them over or giving them up' : 'no node holds them now');
  }
  return holder;
}

/**
 * Cluster mode: trusts signed forwarding headers, names the serving node on every answer, and
 * forwards every route marked `config.holder` (HTTP; the camera WebSocket uses openHolderSocket).
 * Register before access control and before the routes.
 */
export function registerHolderForwarding(app: FastifyInstance, port: HolderPort, counters: Counting): void {
  app.decorateRequest('forwardedBy', undefined);
  app.addHook('onRequest', async (req) => {
    if (req.headers[FWD_SIG] === undefined) return;
    const trusted = trustedForward(port.key, req);
    if (!trusted) {
      counters.inc('cluster.forward.untrusted');
      return;
    }
    // The audit (and rate limits before login) see the caller, not the forwarding node.
    Object.defineProperty(req, 'ip', { value: trusted.ip, configurable: true, enumerable: true });
    req.forwardedBy = trusted.node;
  });
  app.addHook('onSend', async (_req, reply, payload) => {
    if (!reply.hasHeader(NODE_HEADER)) void reply.header(NODE_HEADER, port.nodeId);
    return payload;
  });
  const forward: preHandlerHookHandler = async function (req, reply) {
    return forwardHttp(port, counters, req, reply);
  };
  app.addHook('onRoute', (route) => {
    if (route.config?.holder !== true || route.websocket) return;
    route.preHandler = [forward, ...[route.preHandler ?? []].flat()];
  });
}

async function forwardHttp(port: HolderPort, counters: Counting, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
  const holder = await holderFor(port, req, counters);
  if (!holder) return undefined;
  const headers: Record<string, string> = forwardedHeaders(port, req.method, req.url, req.ip);
  for (const name of PASSED_ON) {
    const v = req.headers[name];
    if (typeof v === 'string') headers[name] = v;
  }
  const hasBody = req.body !== undefined && req.method !== 'GET' && req.method !== 'HEAD';
  if (hasBody) headers['content-type'] = 'application/json';
  let res: Response;
  let body: Buffer;
  try {
    res = await fetch(new URL(req.url, holder.httpUrl), {
      method: req.method,
      headers,
      ...(hasBody ? { body: JSON.stringify(req.body) } : {}),
      redirect: 'manual',
      signal: AbortSignal.timeout(port.timeoutMs),
    });
    body = Buffer.from(await res.arrayBuffer());
  } catch (err) {
    const failure = fetchFailure(err, port.timeoutMs);
    counters.inc(failure.timedOut ? 'cluster.forward.timeout' : 'cluster.forward.unreachable');
    req.log.warn({ holder: holder.id, url: req.url, err: errorMessage(err) }, 'request for the duty holder not carried out');
    throw unavailable(port, `${holder.id} ${failure.detail}`, err);
  }
  counters.inc('cluster.forward.ok');
  for (const [name, value] of res.headers) if (!NOT_PASSED_BACK.has(name)) void reply.header(name, value);
  if (!res.headers.has(NODE_HEADER)) void reply.header(NODE_HEADER, holder.id);
  void reply.header(VIA_HEADER, port.nodeId);
  return reply.status(res.status).send(body);
}

/**
 * The camera WebSocket on a node that does not hold the duties: opens the same WebSocket to the
 * holder before the viewer is upgraded. Resolves with the holder's socket once open; undefined
 * when this node serves it itself, or when the holder refused it (its status and body are then
 * sent to the viewer here, as the holder answered). Throws GW_ERR_HOLDER_UNAVAILABLE.
 */
export async function openHolderSocket(port: HolderPort, counters: Counting, req: FastifyRequest, reply: FastifyReply): Promise<WebSocket | undefined> {
  const holder = await holderFor(port, req, counters);
  if (!holder) return undefined;
  const protocols = String(req.headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
  const url = new URL(req.url, holder.httpUrl);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  const upstream = new WebSocket(url, protocols, { headers: forwardedHeaders(port, 'GET', req.url, req.ip), handshakeTimeout: port.timeoutMs });
  // The holder speaks at once (the live view's header, maybe in the same packet as the
  // handshake): kept from the start until the viewer is upgraded and piped.
  const early: { data: RawData; isBinary: boolean }[] = [];
  const keep = (data: RawData, isBinary: boolean) => early.push({ data, isBinary });
  upstream.on('message', keep);
  pending.set(upstream, () => {
    upstream.off('message', keep);
    return early;
  });
  type Opened = { open: true } | { open: false; status: number; headers: IncomingMessage['headers']; body: Buffer };
  let outcome: Opened;
  try {
    outcome = await new Promise<Opened>((resolve, reject) => {
      upstream.once('open', () => resolve({ open: true }));
      upstream.once('error', reject);
      upstream.once('unexpected-response', (request, res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          resolve({ open: false, status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) });
          request.destroy();
        });
        res.on('error', reject);
      });
    });
  } catch (err) {
    upstream.terminate();
    const timedOut = /timed out/i.test(errorMessage(err));
    counters.inc(timedOut ? 'cluster.forward.timeout' : 'cluster.forward.unreachable');
    throw unavailable(port, timedOut ? `${holder.id} did not answer within ${Math.round(port.timeoutMs / 1000)} s` : `${holder.id} cannot be reached (${errorMessage(err)})`, err);
  }
  counters.inc('cluster.forward.ok');
  if (outcome.open) return upstream;
  for (const [name, value] of Object.entries(outcome.headers)) if (value !== undefined && !NOT_PASSED_BACK.has(name)) void reply.header(name, value);
  if (outcome.headers[NODE_HEADER] === undefined) void reply.header(NODE_HEADER, holder.id);
  void reply.header(VIA_HEADER, port.nodeId);
  await reply.status(outcome.status).send(outcome.body);
  return undefined;
}

/** Messages a holder's socket sent before its viewer was piped to it. */
const pending = new WeakMap<WebSocket, () => { data: RawData; isBinary: boolean }[]>();

/** Relays the holder's frames to the viewer (and the viewer's to the holder) until either closes. */
export function pipeSockets(viewer: WebSocket, upstream: WebSocket, counters: Counting, maxBuffered = 8 * 1024 * 1024): void {
  const early = pending.get(upstream)?.() ?? [];
  pending.delete(upstream);
  for (const m of early) viewer.send(m.data, { binary: m.isBinary });
  upstream.on('message', (data, isBinary) => {
    if (viewer.readyState !== WebSocket.OPEN) return;
    // A viewer that cannot keep up is dropped (it reconnects), as on the holder.
    if (viewer.bufferedAmount > maxBuffered) {
      counters.inc('cluster.forward.ws-dropped-slow');
      viewer.terminate();
      return;
    }
    viewer.send(data, { binary: isBinary });
  });
  viewer.on('message', (data, isBinary) => {
    if (upstream.readyState === WebSocket.OPEN) upstream.send(data, { binary: isBinary });
  });
  // Codes that cannot be sent (1005 "none", 1006 "abnormal", …) become 1000; others pass as they came.
  const sendable = (code: number) => ((code >= 1000 && code <= 1014 && ![1004, 1005, 1006].includes(code)) || (code >= 3000 && code <= 4999) ? code : 1000);
  upstream.on('close', (code, reason) => {
    if (viewer.readyState === WebSocket.OPEN || viewer.readyState === WebSocket.CONNECTING) viewer.close(sendable(code), reason);
  });
  viewer.on('close', (code, reason) => {
    if (upstream.readyState === WebSocket.OPEN) upstream.close(sendable(code), reason);
    else upstream.terminate();
  });
  upstream.on('error', () => viewer.terminate());
  viewer.on('error', () => upstream.terminate());
}
