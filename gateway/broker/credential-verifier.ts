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
 *
 * One address gets a bounded share of the slots (`slotsPerAddress` running, `queuePerAddress`
 * waiting; beyond that verify() refuses at once with GW_ERR_MQTT_HASH_SHARE), and waiting callers are
 * served round-robin by address, not first come first served: a wrong-password flood from one
 * address cannot make another address's devices wait behind it.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { GatewayError } from '../contract/errors.js';
import type { Counters } from '../core/counters.js';
import { verifySecret } from './password-hash.js';

export interface VerifierStats {
  /** PBKDF2 verifications run (cache misses). */
  hashed: number;
  /** Accepted from the cache without PBKDF2. */
  cached: number;
  /** Refused without hashing: the address had used up its share. */
  shed: number;
  /** PBKDF2 jobs holding a slot right now. */
  running: number;
  /** Waiting for a PBKDF2 slot right now. */
  queued: number;
}

/** verify() refused without hashing: the address already holds its share of the slots and queue. */
export const isVerifierBusy = (err: unknown): boolean => err instanceof GatewayError && err.code === 'GW_ERR_MQTT_HASH_SHARE';

export interface VerifierShare {
  /** PBKDF2 jobs one address may run at once. */
  slotsPerAddress: number;
  /** Verifications one address may have waiting; beyond that they are refused. */
  queuePerAddress: number;
}

export class CredentialVerifier {
  private readonly key = randomBytes(32);
  /**
   * Per account, the digest of its last verified password as a 32-character latin1 string: a
   * Buffer per device (typed array, ArrayBuffer and backing store) cost ~140 bytes of heap.
   */
  private readonly remembered = new Map<string, string>();
  /** Waiting callers per address; the map's order is the round-robin order. */
  private readonly waiting = new Map<string, (() => void)[]>();
  private readonly runningBy = new Map<string, number>();
  private running = 0;
  private queued = 0;
  private readonly counts = { hashed: 0, cached: 0, shed: 0 };

  constructor(
    private readonly counters?: Counters,
    /** PBKDF2 jobs at once: half of libuv's default pool of 4, the rest stays free for I/O. */
    private readonly concurrency = 2,
    private readonly share: VerifierShare = { slotsPerAddress: concurrency, queuePerAddress: Number.POSITIVE_INFINITY },
  ) {}

  /** Rejects with GW_ERR_MQTT_HASH_SHARE (isVerifierBusy) when `address` has used up its share (nothing was hashed). */
  async verify(username: string, password: Buffer, encoded: string, address = ''): Promise<boolean> {
    const mac = createHmac('sha256', this.key).update(username).update('\0').update(encoded).update('\0').update(password).digest();
    const known = this.remembered.get(username);
    if (known !== undefined && timingSafeEqual(Buffer.from(known, 'latin1'), mac)) {
      this.counts.cached++;
      this.counters?.inc('mqtt.auth.verify.cached');
      return true;
    }
    await this.slot(address);
    let ok: boolean;
    try {
      this.counts.hashed++;
      this.counters?.inc('mqtt.auth.verify.hashed');
      ok = await verifySecret(password, encoded);
    } finally {
      this.release(address);
    }
    if (ok) this.remembered.set(username, mac.toString('latin1'));
    return ok;
  }

  /** Drops what was remembered for an account (e.g. after its secret changed). */
  forget(username: string): void {
    this.remembered.delete(username);
  }

  stats(): VerifierStats {
    return { hashed: this.counts.hashed, cached: this.counts.cached, shed: this.counts.shed, running: this.running, queued: this.queued };
  }

  private async slot(address: string): Promise<void> {
    const mine = this.runningBy.get(address) ?? 0;
    if (this.running < this.concurrency && mine < this.share.slotsPerAddress && !this.waiting.has(address)) {
      this.take(address);
      return;
    }
    let q = this.waiting.get(address);
    if ((q?.length ?? 0) >= this.share.queuePerAddress) {
      this.counts.shed++;
      this.counters?.inc('mqtt.auth.verify.shed');
      throw new GatewayError('GW_ERR_MQTT_HASH_SHARE', address);
    }
    if (!q) {
      q = [];
      this.waiting.set(address, q);
    }
    const queue = q;
    this.queued++;
    // The slot is taken for us (take) before we are woken.
    await new Promise<void>((resolve) => queue.push(resolve));
  }

  private take(address: string): void {
    this.running++;
    this.runningBy.set(address, (this.runningBy.get(address) ?? 0) + 1);
  }

  private release(address: string): void {
    this.running--;
    const left = (this.runningBy.get(address) ?? 1) - 1;
    if (left > 0) this.runningBy.set(address, left);
    else this.runningBy.delete(address);
    this.dispatch();
  }

  /** Hands free slots to waiting addresses in turn, each within its share. */
  private dispatch(): void {
    while (this.running < this.concurrency) {
      let picked: string | undefined;
      for (const [address] of this.waiting) {
        if ((this.runningBy.get(address) ?? 0) < this.share.slotsPerAddress) {
          picked = address;
          break;
        }
      }
      if (picked === undefined) return;
      const q = this.waiting.get(picked) as (() => void)[];
      const next = q.shift() as () => void;
      this.waiting.delete(picked);
      if (q.length > 0) this.waiting.set(picked, q); // to the back of the round
      this.queued--;
      this.take(picked);
      next();
    }
  }
}
