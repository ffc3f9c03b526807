/**
 * Server side of HTTP Digest access authentication (RFC 2617 §3.2, MD5), used by the simulated
 * camera for RTSP (RFC 2326 §D.2 reuses HTTP authentication) and for the snapshot URI, as
 * real cameras do. ffmpeg answers these challenges from the user:password in the URL.
 */
import { createHash, randomBytes } from 'node:crypto';

export interface Credentials {
  username: string;
  password: string;
}

function md5(s: string): string {
  return createHash('md5').update(s).digest('hex');
}

/** Parses `Digest k="v", k2=v2` into its parameters (RFC 2617 §3.2.2). */
export function parseAuthParams(header: string): Map<string, string> {
  const params = new Map<string, string>();
  const re = /([a-zA-Z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g;
  for (const m of header.replace(/^\s*\w+\s+/, '').matchAll(re)) {
    const key = m[1];
    if (key) params.set(key.toLowerCase(), m[2] ?? m[3] ?? '');
  }
  return params;
}

/** Issues nonces and checks Authorization headers for one realm. */
export class DigestAuthenticator {
  private readonly nonces = new Set<string>();

  constructor(private readonly realm: string) {}

  /** A fresh `WWW-Authenticate` value (RFC 2617 §3.2.1). Remembers at most 1,000 nonces. */
  challenge(): string {
    const nonce = randomBytes(12).toString('hex');
    this.nonces.add(nonce);
    if (this.nonces.size > 1000) {
      const oldest = this.nonces.values().next().value;
      if (oldest !== undefined) this.nonces.delete(oldest);
    }
    return `Digest realm="${this.realm}", nonce="${nonce}", algorithm=MD5`;
  }

  /** True when `header` proves knowledge of `creds` for this method (RFC 2617 §3.2.2.1). */
  verify(header: string | undefined, method: string, creds: Credentials): boolean {
    if (!header || !/^\s*digest\s/i.test(header)) return false;
    const p = parseAuthParams(header);
    const nonce = p.get('nonce');
    const uri = p.get('uri');
    const response = p.get('response');
    if (!nonce || !uri || !response || !this.nonces.has(nonce)) return false;
    if (p.get('username') !== creds.username || p.get('realm') !== this.realm) return false;
    const ha1 = md5(`${creds.username}:${this.realm}:${creds.password}`);
    const ha2 = md5(`${method}:${uri}`);
    const qop = p.get('qop');
    const expected =
      qop === 'auth' ? md5(`${ha1}:${nonce}:${p.get('nc') ?? ''}:${p.get('cnonce') ?? ''}:auth:${ha2}`) : md5(`${ha1}:${nonce}:${ha2}`);
    return expected === response.toLowerCase();
  }
}
