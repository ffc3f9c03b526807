/**
 * Device and MQTT-user password hashes in mosquitto 2.x's password-file format, so operators
 * can produce them with the real `mosquitto_passwd` and move them between brokers:
 *
 *   $7$<iterations>$<salt, 12 bytes, base64>$<PBKDF2-HMAC-SHA512(password, salt, iterations, 64 bytes), base64>
 *
 * Learned from eclipse/mosquitto (2.0.x): src/password_mosq.h (pw_sha512_pbkdf2 = 7,
 * SALT_LEN 12, PW_DEFAULT_ITERATIONS 101), src/password_mosq.c pw__hash (PKCS5_PBKDF2_HMAC over
 * the password bytes, sha512, 64-byte output), apps/mosquitto_passwd/mosquitto_passwd.c
 * output_new_password ("%s:$%d$%d$%s$%s") and src/security_default.c unpwd__decode_passwords
 * (mosquitto refuses a salt that does not decode to exactly 12 bytes or a hash that is not 64).
 * Base64 is OpenSSL's BIO_f_base64 without newlines: the standard alphabet with padding.
 *
 * The unstretched `$6$` form (one SHA-512, mosquitto 1.x) is refused on purpose.
 */
import { createHash, pbkdf2, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

export const PBKDF2_ID = 7;
export const SALT_BYTES = 12;
export const HASH_BYTES = 64;
/**
 * mosquitto_passwd's default. Measured here (bench figure in the report of issue #4): 0.077 ms
 * per verify on one core, 19,000 cold verifies in ~1.6 s on the 2 shared cores, against ~15 s
 * for aedes to accept 19,500 connections; 1,000 iterations would be ~14 s and dominate a
 * district-wide reconnect. Device secrets are meant to be random (hash-device-secret
 * --generate gives 128 bits), for which stretching adds little.
 */
export const DEFAULT_ITERATIONS = 101;
/** Refused above this: one bad hash must not let a reconnect storm pin the CPU for minutes. */
export const MAX_ITERATIONS = 1_000_000;

/** JSON-schema pattern for a `$7$` hash (12-byte salt = 16 base64 chars, 64-byte hash = 88). */
export const MOSQUITTO_HASH_PATTERN = '^\\$7\\$[1-9][0-9]{0,6}\\$[A-Za-z0-9+/]{16}\\$[A-Za-z0-9+/]{86}==$';
const HASH_RE = new RegExp(MOSQUITTO_HASH_PATTERN);

export interface MosquittoHash {
  iterations: number;
  salt: Buffer;
  hash: Buffer;
}

/** Parses a `$7$…` string; undefined when it is not one mosquitto 2.x would accept. */
export function parseMosquittoHash(encoded: string): MosquittoHash | undefined {
  if (!HASH_RE.test(encoded)) return undefined;
  const [, , iter, salt, hash] = encoded.split('$') as [string, string, string, string, string];
  const iterations = Number(iter);
  if (iterations > MAX_ITERATIONS) return undefined;
  return { iterations, salt: Buffer.from(salt, 'base64'), hash: Buffer.from(hash, 'base64') };
}

export function formatMosquittoHash(h: MosquittoHash): string {
  return `$${PBKDF2_ID}$${h.iterations}$${h.salt.toString('base64')}$${h.hash.toString('base64')}`;
}

/** Why a string is not an acceptable hash, for config errors (`path: message`). */
export function hashProblem(encoded: string): string | undefined {
  if (encoded.startsWith('$6$')) return 'a $6$ hash is one unstretched SHA-512 (mosquitto 1.x): regenerate it with mosquitto_passwd 2.x or hash-device-secret';
  if (!HASH_RE.test(encoded)) return 'must be a mosquitto 2.x hash: $7$<iterations>$<12-byte salt, base64>$<64-byte PBKDF2-SHA512, base64>';
  if (!parseMosquittoHash(encoded)) return `iterations above ${MAX_ITERATIONS}`;
  return undefined;
}

export interface HashOptions {
  iterations?: number;
  /** 12 bytes; random when omitted. */
  salt?: Buffer;
}

function saltOf(opts: HashOptions): Buffer {
  const salt = opts.salt ?? randomBytes(SALT_BYTES);
  if (salt.length !== SALT_BYTES) throw new RangeError(`salt must be ${SALT_BYTES} bytes (mosquitto refuses others)`);
  return salt;
}

const toBytes = (secret: string | Buffer) => (Buffer.isBuffer(secret) ? secret : Buffer.from(secret, 'utf8'));

/** Hashes a secret without blocking the event loop (libuv thread pool). */
export async function hashSecret(secret: string | Buffer, opts: HashOptions = {}): Promise<string> {
  const iterations = opts.iterations ?? DEFAULT_ITERATIONS;
  const salt = saltOf(opts);
  const hash = await new Promise<Buffer>((resolve, reject) =>
    pbkdf2(toBytes(secret), salt, iterations, HASH_BYTES, 'sha512', (err, key) => (err ? reject(err) : resolve(key))),
  );
  return formatMosquittoHash({ iterations, salt, hash });
}

/** Synchronous form, only for configuration loading (before anything listens). */
export function hashSecretSync(secret: string | Buffer, opts: HashOptions = {}): string {
  const iterations = opts.iterations ?? DEFAULT_ITERATIONS;
  const salt = saltOf(opts);
  return formatMosquittoHash({ iterations, salt, hash: pbkdf2Sync(toBytes(secret), salt, iterations, HASH_BYTES, 'sha512') });
}

/** Constant-time check of a password against a `$7$` hash; false for an unparseable hash. */
export async function verifySecret(password: string | Buffer, encoded: string): Promise<boolean> {
  const h = parseMosquittoHash(encoded);
  if (!h) return false;
  const derived = await new Promise<Buffer>((resolve, reject) =>
    pbkdf2(toBytes(password), h.salt, h.iterations, HASH_BYTES, 'sha512', (err, key) => (err ? reject(err) : resolve(key))),
  );
  return timingSafeEqual(derived, h.hash);
}

/** A stable 12-byte salt derived from an id: demo configurations regenerate byte for byte. */
export function derivedSalt(id: string): Buffer {
  return createHash('sha256').update(`demo-salt:${id}`).digest().subarray(0, SALT_BYTES);
}
