/**
 * Operator password hashing: scrypt from Node's crypto (OpenSSL's implementation), stored as a
 * PHC string `$scrypt$ln=<log2 N>,r=<r>,p=<p>$<salt b64>$<hash b64>` so the cost can be raised
 * later without invalidating old hashes. RFC 7914; parameters per OWASP's password storage
 * cheat sheet (N=2^15, r=8, p=1 → 32 MiB, ~100 ms here).
 */
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const scrypt = (password: string, salt: Buffer, keylen: number, opts: ScryptOptions) =>
  new Promise<Buffer>((resolve, reject) => scryptCb(password, salt, keylen, opts, (err, key) => (err ? reject(err) : resolve(key))));

const b64 = (b: Buffer) => b.toString('base64').replace(/=+$/, '');
const PHC = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]{22,88})\$([A-Za-z0-9+/]{43,172})$/;

export interface ScryptCost {
  ln: number;
  r: number;
  p: number;
}
export const DEFAULT_COST: ScryptCost = { ln: 15, r: 8, p: 1 };

const maxmem = (c: ScryptCost) => 256 * 2 ** c.ln * c.r * c.p;

/** `salt` is for reproducible demo fixtures only; real hashes get 16 random bytes. */
export async function hashPassword(password: string, cost: ScryptCost = DEFAULT_COST, salt: Buffer = randomBytes(16)): Promise<string> {
  const key = await scrypt(password, salt, 32, { N: 2 ** cost.ln, r: cost.r, p: cost.p, maxmem: maxmem(cost) });
  return `$scrypt$ln=${cost.ln},r=${cost.r},p=${cost.p}$${b64(salt)}$${b64(key)}`;
}

/** True if `hash` is a well-formed scrypt PHC string this module can verify. */
export function isPasswordHash(hash: string): boolean {
  const m = PHC.exec(hash);
  return !!m && Number(m[1]) >= 10 && Number(m[1]) <= 20;
}

/** Constant-time check of a password against a PHC string; false (never a throw) for a malformed hash. */
export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  const m = PHC.exec(hash);
  if (!m || !isPasswordHash(hash)) return false;
  const cost = { ln: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
  const expected = Buffer.from(m[5] as string, 'base64');
  const key = await scrypt(password, Buffer.from(m[4] as string, 'base64'), expected.length, {
    N: 2 ** cost.ln,
    r: cost.r,
    p: cost.p,
    maxmem: maxmem(cost),
  });
  return timingSafeEqual(key, expected);
}

/**
 * A hash of a random password, verified against when a username does not exist, so a wrong
 * username costs the same time as a wrong password (no account enumeration by timing).
 */
export function decoyHash(): Promise<string> {
  return hashPassword(randomBytes(12).toString('base64'));
}
