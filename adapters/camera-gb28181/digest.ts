/**
 * HTTP Digest for SIP REGISTER (RFC 3261 §22.4 over RFC 2617 §3.2, MD5): GB/T 28181-2016 §9.1.2.1
 * registers with it. Nonces are stateless (a time stamp with an HMAC of it under a key that lives
 * as long as the adapter), so a challenge needs no memory per device and cannot be forged.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export interface DigestCredentials {
  username: string;
  realm: string;
  nonce: string;
  uri: string;
  response: string;
  algorithm?: string;
  qop?: string;
  nc?: string;
  cnonce?: string;
  opaque?: string;
}

const md5 = (s: string): string => createHash('md5').update(s, 'utf8').digest('hex');

/** Parses `Digest k=v, k="v", …` (RFC 2617 §3.2.2); undefined when it is not a Digest header. */
export function parseDigest(value: string): Record<string, string> | undefined {
  const m = /^\s*Digest\s+([\s\S]*)$/i.exec(value);
  if (!m) return undefined;
  const out: Record<string, string> = {};
  const re = /([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*(?:,|$)/g;
  const text = m[1] as string;
  let last = 0;
  for (let g = re.exec(text); g; g = re.exec(text)) {
    if (g.index !== last && text.slice(last, g.index).trim() !== '') return undefined;
    out[(g[1] as string).toLowerCase()] = g[2] !== undefined ? g[2].replace(/\\(.)/g, '$1') : (g[3] ?? '');
    last = re.lastIndex;
    if (g[0] === '') break;
  }
  return out;
}

/** The credentials an Authorization header carries, when it has every field RFC 2617 requires. */
export function credentialsOf(fields: Record<string, string>): DigestCredentials | undefined {
  const { username, realm, nonce, uri, response } = fields;
  if (username === undefined || realm === undefined || nonce === undefined || uri === undefined || response === undefined) return undefined;
  return {
    username,
    realm,
    nonce,
    uri,
    response,
    ...(fields.algorithm !== undefined ? { algorithm: fields.algorithm } : {}),
    ...(fields.qop !== undefined ? { qop: fields.qop } : {}),
    ...(fields.nc !== undefined ? { nc: fields.nc } : {}),
    ...(fields.cnonce !== undefined ? { cnonce: fields.cnonce } : {}),
    ...(fields.opaque !== undefined ? { opaque: fields.opaque } : {}),
  };
}

/** RFC 2617 §3.2.2.1 request-digest for `method`, MD5, qop "auth" or none. */
export function digestResponse(c: Omit<DigestCredentials, 'response'>, method: string, password: string): string {
  const ha1 = md5(`${c.username}:${c.realm}:${password}`);
  const ha2 = md5(`${method}:${c.uri}`);
  if (c.qop === 'auth') return md5(`${ha1}:${c.nonce}:${c.nc ?? ''}:${c.cnonce ?? ''}:auth:${ha2}`);
  return md5(`${ha1}:${c.nonce}:${ha2}`);
}

/** An Authorization value for a client (the simulator's side of RFC 2617 §3.2.2). */
export function authorizationHeader(challenge: Record<string, string>, opts: { username: string; password: string; method: string; uri: string; cnonce: string; nc?: number }): string {
  const realm = challenge.realm ?? '';
  const nonce = challenge.nonce ?? '';
  const qop = (challenge.qop ?? '').split(',').map((q) => q.trim()).includes('auth') ? 'auth' : undefined;
  const nc = (opts.nc ?? 1).toString(16).padStart(8, '0');
  const base = { username: opts.username, realm, nonce, uri: opts.uri, ...(qop ? { qop, nc, cnonce: opts.cnonce } : {}) };
  const response = digestResponse(base, opts.method, opts.password);
  const parts = [`username="${opts.username}"`, `realm="${realm}"`, `nonce="${nonce}"`, `uri="${opts.uri}"`, `response="${response}"`, 'algorithm=MD5'];
  if (qop) parts.push(`cnonce="${opts.cnonce}"`, `qop=${qop}`, `nc=${nc}`);
  if (challenge.opaque !== undefined) parts.push(`opaque="${challenge.opaque}"`);
  return `Digest ${parts.join(', ')}`;
}

/** Issues and checks the registrar's nonces. */
export class NonceBook {
  private readonly key = randomBytes(32);

  constructor(private readonly lifetimeMs: number) {}

  issue(now: number): string {
    const ts = Math.floor(now).toString(16);
    return `${ts}${this.mac(ts)}`;
  }

  /** 'ok', 'stale' (ours, but too old: RFC 2617 §3.2.1 stale=true), or 'bad'. */
  check(nonce: string, now: number): 'ok' | 'stale' | 'bad' {
    const m = /^([0-9a-f]{1,13})([0-9a-f]{32})$/.exec(nonce);
    if (!m) return 'bad';
    const expected = Buffer.from(this.mac(m[1] as string), 'hex');
    const got = Buffer.from(m[2] as string, 'hex');
    if (!timingSafeEqual(expected, got)) return 'bad';
    const age = now - parseInt(m[1] as string, 16);
    return age >= 0 && age <= this.lifetimeMs ? 'ok' : 'stale';
  }

  private mac(ts: string): string {
    return createHmac('sha256', this.key).update(ts).digest('hex').slice(0, 32);
  }
}

/** Compares two hex digests in constant time (lengths first: a wrong length is simply wrong). */
export function sameDigest(a: string, b: string): boolean {
  const x = Buffer.from(a.toLowerCase(), 'utf8');
  const y = Buffer.from(b.toLowerCase(), 'utf8');
  if (x.length !== y.length) {
    timingSafeEqual(x, x);
    return false;
  }
  return timingSafeEqual(x, y);
}
