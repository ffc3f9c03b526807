/**
 * Who is calling, and may they: bearer tokens (@fastify/jwt, HMAC-SHA256) naming a server-side
 * session, checked on every request before any handler runs. Each route declares
 * `config.permission` (or `config.public`); a route with neither is refused for everyone
 * (deny by default), so a new route cannot ship open by mistake.
 *
 * Browsers cannot set headers on a WebSocket, so `/api/live` also takes the token as a
 * subprotocol `bearer.<token>` beside `campus-live.v1` (the Kubernetes API server does the same).
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fastifyJwt from '@fastify/jwt';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Counters } from '../core/counters.js';
import type { Registry } from '../core/devices/registry.js';
import { GatewayError } from '../contract/errors.js';
import type { Operator, OperatorService } from './operators.js';
import { can, type Permission } from './roles.js';
import { Scope } from './scope.js';

export const LIVE_SUBPROTOCOL = 'campus-live.v1';
const BEARER_PROTOCOL = 'bearer.';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The permission a caller's role needs for this route. */
    permission?: Permission;
    /** Open to anyone (health, login, the dashboard's files, MQTT over WebSocket). */
    public?: boolean;
    /** Open to every logged-in operator whatever the role (logout, who am I). */
    signedIn?: boolean;
    /** Open without a login to callers from these addresses (GET /metrics for Prometheus). */
    publicFrom?: (ip: string) => boolean;
  }
  interface FastifyRequest {
    /** The logged-in operator (set on every non-public route). */
    operator?: Operator;
    sessionId?: string;
    /** What part of the district this caller may see; read it with scopeOf(req). */
    scope?: Scope;
  }
}

declare module '@fastify/jwt' {
  interface FastifyJWT {
    payload: { sid: string; sub: string };
    user: { sid: string; sub: string };
  }
}

/** The token key: from the config, else a random one kept (0600) in the data dir across restarts. */
export function tokenKey(configured: string | undefined, dataDir: string): string {
  if (configured) return configured;
  const file = join(dataDir, 'auth-token-key');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(48).toString('base64url');
  writeFileSync(file, key, { mode: 0o600 });
  chmodSync(file, 0o600);
  return key;
}

function tokenOf(req: FastifyRequest): string | undefined {
  const header = req.headers.authorization;
  if (header) {
    const m = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i.exec(header);
    return m?.[1];
  }
  const protocols = req.headers['sec-websocket-protocol'];
  if (typeof protocols === 'string') {
    const p = protocols.split(',').map((s) => s.trim()).find((s) => s.startsWith(BEARER_PROTOCOL));
    return p?.slice(BEARER_PROTOCOL.length);
  }
  return undefined;
}

/** Picks the subprotocol a WebSocket client offered, never echoing a bearer token back. */
export function selectSubprotocol(protocols: Set<string>): string | false {
  for (const p of protocols) if (!p.startsWith(BEARER_PROTOCOL)) return p;
  return false;
}

export interface AccessDeps {
  operators: OperatorService;
  registry: Registry;
  counters: Counters;
  key: string;
  sessionTtlMinutes: number;
}

export async function registerAccess(app: FastifyInstance, deps: AccessDeps): Promise<void> {
  await app.register(fastifyJwt, {
    secret: deps.key,
    sign: { algorithm: 'HS256', expiresIn: `${deps.sessionTtlMinutes}m` },
    verify: { algorithms: ['HS256'], extractToken: tokenOf },
  });
  app.decorateRequest('operator', undefined);
  app.decorateRequest('sessionId', undefined);
  app.decorateRequest('scope', undefined);

  app.addHook('onRequest', async (req) => {
    const cfg = req.routeOptions.config;
    const api = req.url === '/api' || req.url.startsWith('/api/') || req.url.startsWith('/api?');
    // The dashboard's wildcard file route is public, but it does not make /api/* paths public.
    const known = req.routeOptions.url !== undefined && !(api && req.routeOptions.url === '/*');
    if (known && (cfg.public || cfg.publicFrom?.(req.ip))) return;
    const token = tokenOf(req);
    if (!token) {
      // Unknown /api paths answer 401 too: without a login nobody learns which routes exist.
      if (!known && !api) return;
      throw new GatewayError('GW_ERR_UNAUTHENTICATED');
    }
    let claims: { sid: string; sub: string };
    try {
      claims = await req.jwtVerify<{ sid: string; sub: string }>();
    } catch {
      throw new GatewayError('GW_ERR_UNAUTHENTICATED', 'the session token is invalid or has expired');
    }
    const op = await deps.operators.authenticate(claims.sid);
    if (!op || op.username !== claims.sub) {
      throw new GatewayError('GW_ERR_UNAUTHENTICATED', 'the session has ended (logged out, expired or the account changed)');
    }
    req.operator = op;
    req.sessionId = claims.sid;
    req.scope = Scope.of(op, deps.registry);
    if (!known || cfg.signedIn) return; // the not-found handler answers 404 to a logged-in caller
    if (!cfg.permission || !can(op.role, cfg.permission)) {
      throw new GatewayError('GW_ERR_FORBIDDEN', cfg.permission ? `${op.role} may not ${cfg.permission}` : 'this route is closed');
    }
  });
}

/** The operator's name as shown in alarm timelines and reports. */
export function actorOf(req: FastifyRequest): string {
  return req.operator?.displayName ?? 'anonymous';
}

/** The operator's username, the stable "who" of the audit log. */
export function auditActorOf(req: FastifyRequest): string {
  return req.operator?.username ?? 'anonymous';
}

/** The caller's scope (everything where no operator is attached, e.g. a route test without access control). */
export function scopeOf(req: FastifyRequest): Scope {
  return req.scope ?? Scope.everything();
}
