/**
 * Verifies MQTT passwords against stored `$7$` hashes (password-hash.ts) for the broker.
 *
 * Two things make a district-wide reconnect cheap without weakening the stored hashes:
 *
 * - At most `concurrency` PBKDF2 jobs run at once. Node's crypto.pbkdf2 runs on the libuv
 *   thread pool (4 threads by default), which the disk persistence (classic-level) and file
 *   I/O share: 19,000 queued hashes would make an alarm's durable write wait behind them.
 *   Waiting callers queue here, in JS, instead.
 * - A successful verification is remembered as HMAC-SHA256(per-process random key,
 *   username ‖ stored hash ‖ password), one entry per account. A reconnect with the same
 *   password costs one HMAC (microseconds) instead of a PBKDF2. Only successes are cached, so
 *   guessing still pays the full PBKDF2 per try; the stored hash is part of the digest, so a
 *   changed secret invalidates the entry; the size is bounded by the number of accounts (each
 *   entry needs a correct password). The cache lives in process memory only: after a restart
 *   the first connect of every device pays the PBKDF2 (measured: ~1.6 s for 19,000 at 101
 *   iterations on 2 cores). Someone who can read process memory would get the HMAC key with
 *   the entries, but could read passwords off the sockets as well.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Counters } from '../core/counters.js';
import { verifySecret } from './password-hash.js';

export interface VerifierStats {
  /** PBKDF2 verifications run (cache misses). */
  hashed: number;
  /** Accepted from the cache without PBKDF2. */
  cached: number;
  /** PBKDF2 jobs holding a slot right now. */
  running: number;
  /** Waiting for a PBKDF2 slot right now. */
  queued: number;
}

export class CredentialVerifier {
  private readonly key = randomBytes(32);
  private readonly remembered = new Map<string, Buffer>();
  private readonly waiting: (() => void)[] = [];
  private running = 0;
  private readonly counts = { hashed: 0, cached: 0 };

  constructor(
    private readonly counters?: Counters,
    /** PBKDF2 jobs at once: half of libuv's default pool of 4, the rest stays free for I/O. */
    private readonly concurrency = 2,
  ) {}

  async verify(username: string, password: Buffer, encoded: string): Promise<boolean> {
    const mac = createHmac('sha256', this.key).update(username).update('\0').update(encoded).update('\0').update(password).digest();
    const known = this.remembered.get(username);
    if (known && timingSafeEqual(known, mac)) {
      this.counts.cached++;
      this.counters?.inc('mqtt.auth.verify.cached');
      return true;
    }
    await this.slot();
    let ok: boolean;
    try {
      this.counts.hashed++;
      this.counters?.inc('mqtt.auth.verify.hashed');
      ok = await verifySecret(password, encoded);
    } finally {
      this.release();
    }
    if (ok) this.remembered.set(username, mac);
    return ok;
  }

  /** Drops what was remembered for an account (e.g. after its secret changed). */
  forget(username: string): void {
    this.remembered.delete(username);
  }

  stats(): VerifierStats {
    return { ...this.counts, running: this.running, queued: this.waiting.length };
  }

  private async slot(): Promise<void> {
    if (this.running < this.concurrency) {
      this.running++;
      return;
    }
    // The releasing job hands its slot over (running stays the same).
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running--;
  }
}
