/**
 * REGISTER (GB/T 28181-2016 §9.1.2, RFC 3261 §10.3) with digest authentication (§9.1.2.1):
 * a REGISTER without credentials is challenged (401, WWW-Authenticate with a fresh nonce);
 * credentials that do not verify are refused with 403, counted, and answered exactly as for an
 * id the gateway does not know (the same 401 first, the same 403 after, the same hashing work
 * against a decoy password), so a device cannot learn which ids exist. A verified REGISTER binds
 * the device to where it came from for Expires seconds (Expires: 0 removes the binding), and its
 * 200 OK carries the time in a Date header (§9.10.1 校时).
 */
import type { Clock } from '../../gateway/contract/clock.js';
import { credentialsOf, digestResponse, NonceBook, parseDigest, sameDigest } from './digest.js';
import { isGbId } from './gb-id.js';
import { formatLocalTime } from './local-time.js';
import { parseNameAddr } from './sip-headers.js';
import { header, type SipRequest } from './sip-message.js';
import type { SipPeer, SipTransport } from './sip-transport.js';

export interface Registration {
  gbId: string;
  peer: SipPeer;
  /** The Contact URI the device registered (where its requests are addressed). */
  contact: string;
  registeredAt: number;
  expiresAt: number;
  lastKeepalive: number;
  /** Keepalives missed past the allowed count: the device and its channels are offline. */
  lost: boolean;
}

export interface RegistrarOptions {
  realm: string;
  clock: Clock;
  transport: SipTransport;
  minExpires: number;
  maxExpires: number;
  timeZone: () => string;
  /** The device's digest password, undefined for ids the gateway does not accept. */
  password(gbId: string): string | undefined;
  onRegistered(reg: Registration, fresh: boolean): void;
  onUnregistered(reg: Registration): void;
  onAuthFailed(gbId: string, known: boolean, why: string, peer: SipPeer): void;
}

// Hashed in place of a password for ids the gateway does not know: same work, same answer.
const DECOY = 'decoy-password-not-a-secret';
const NONCE_LIFETIME_MS = 5 * 60_000;

export class Registrar {
  readonly registrations = new Map<string, Registration>();
  private readonly nonces = new NonceBook(NONCE_LIFETIME_MS);

  constructor(private readonly opts: RegistrarOptions) {}

  handle(req: SipRequest, peer: SipPeer): void {
    const { transport, clock } = this.opts;
    let gbId: string | undefined;
    try {
      gbId = parseNameAddr(header(req, 'to') ?? header(req, 'from') ?? '').user;
    } catch {
      gbId = undefined;
    }
    // A malformed id is refused for its form; it says nothing about which ids exist.
    if (!gbId || !isGbId(gbId)) {
      transport.respond(req, peer, 400, 'Bad Request', [{ name: 'Warning', value: '399 campus-gateway "a 20-digit GB/T 28181 id is expected in To"' }]);
      return;
    }
    const authorization = header(req, 'authorization');
    if (!authorization) {
      this.challenge(req, peer, false);
      return;
    }
    const fields = parseDigest(authorization);
    const creds = fields ? credentialsOf(fields) : undefined;
    const secret = this.opts.password(gbId);
    const known = secret !== undefined;
    const now = clock.now();
    const nonce = creds ? this.nonces.check(creds.nonce, now) : 'bad';
    if (creds && nonce === 'stale') {
      this.challenge(req, peer, true);
      return;
    }
    // The work is the same whatever failed: compute the digest, then decide.
    const expected = creds ? digestResponse(creds, 'REGISTER', secret ?? DECOY) : '';
    const matches = creds ? sameDigest(expected, creds.response) : false;
    const ok =
      creds !== undefined &&
      known &&
      nonce === 'ok' &&
      creds.username === gbId &&
      creds.realm === this.opts.realm &&
      (creds.algorithm === undefined || creds.algorithm.toUpperCase() === 'MD5') &&
      matches;
    if (!ok) {
      const why = !creds ? 'unreadable Authorization' : !known ? 'unknown id' : nonce !== 'ok' ? 'nonce not ours' : creds.username !== gbId ? 'username is not the registering id' : creds.realm !== this.opts.realm ? 'wrong realm' : 'wrong password';
      this.opts.onAuthFailed(gbId, known, why, peer);
      transport.respond(req, peer, 403, 'Forbidden');
      return;
    }
    this.bind(req, peer, gbId, now);
  }

  /** Forgets a binding whose time ran out; true when one did. */
  expire(gbId: string): Registration | undefined {
    const reg = this.registrations.get(gbId);
    if (!reg) return undefined;
    this.registrations.delete(gbId);
    return reg;
  }

  private challenge(req: SipRequest, peer: SipPeer, stale: boolean): void {
    const nonce = this.opts.clock.now();
    const value = `Digest realm="${this.opts.realm}", nonce="${this.nonces.issue(nonce)}", algorithm=MD5, qop="auth"${stale ? ', stale=true' : ''}`;
    this.opts.transport.respond(req, peer, 401, 'Unauthorized', [{ name: 'WWW-Authenticate', value }]);
  }

  private bind(req: SipRequest, peer: SipPeer, gbId: string, now: number): void {
    const { transport, minExpires, maxExpires } = this.opts;
    const contactValue = header(req, 'contact');
    let contact = `sip:${gbId}@${peer.address}:${peer.port}`;
    let contactExpires: number | undefined;
    if (contactValue && contactValue.trim() !== '*') {
      try {
        const c = parseNameAddr(contactValue);
        contact = c.uri;
        if (c.params.expires !== undefined && /^\d+$/.test(c.params.expires)) contactExpires = Number(c.params.expires);
      } catch {
        // keep the source address
      }
    }
    const rawExpires = header(req, 'expires');
    // RFC 3261 §10.2.1.1: the Contact's expires parameter, else Expires, else 3600.
    const requested = contactExpires ?? (rawExpires !== undefined && /^\d{1,10}$/.test(rawExpires.trim()) ? Number(rawExpires.trim()) : 3600);
    const dateHeader = { name: 'Date', value: formatLocalTime(now, this.opts.timeZone()) };
    if (requested === 0) {
      const reg = this.registrations.get(gbId);
      this.registrations.delete(gbId);
      transport.respond(req, peer, 200, 'OK', [{ name: 'Contact', value: `<${contact}>;expires=0` }, { name: 'Expires', value: '0' }, dateHeader]);
      if (reg) this.opts.onUnregistered(reg);
      return;
    }
    if (requested < minExpires) {
      transport.respond(req, peer, 423, 'Interval Too Brief', [{ name: 'Min-Expires', value: String(minExpires) }]);
      return;
    }
    const expires = Math.min(requested, maxExpires);
    const previous = this.registrations.get(gbId);
    const reg: Registration = {
      gbId,
      peer,
      contact,
      registeredAt: previous?.registeredAt ?? now,
      expiresAt: now + expires * 1000,
      lastKeepalive: now,
      lost: false,
    };
    this.registrations.set(gbId, reg);
    transport.respond(req, peer, 200, 'OK', [{ name: 'Contact', value: `<${contact}>;expires=${expires}` }, { name: 'Expires', value: String(expires) }, dateHeader]);
    this.opts.onRegistered(reg, previous === undefined);
  }
}
