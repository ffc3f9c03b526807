/**
 * A named lease in PostgreSQL with a fencing token: which node runs a singleton duty (the 110
 * link, the SMPP bind, the radio box, Modbus polling, camera checks, schedules).
 *
 * - acquire, renew and release are one SQL statement each, atomic in the database;
 * - `until` is computed by the database's clock (clock_timestamp()), never a node's;
 * - every acquisition increases `token`, even by the same holder after a gap: whoever held the
 *   lease before cannot be told apart from a stale writer, so its writes are refused once they
 *   are checked against the current token (`fenceCondition`). This is the fencing token of
 *   Kleppmann's "How to do distributed locking" (2016): a lease alone cannot stop a paused
 *   holder from writing after its lease ran out; a token the storage checks can;
 * - a holder believes it holds the lease until (local monotonic send time of the last successful
 *   renewal + the time the database said was left) − a safety margin: that is never later than
 *   `until`, whatever the network delay, since the database read its clock after the send;
 * - the row is never deleted (release only ends `until` now), so the token never goes back.
 *
 * Timing from `cluster.takeoverSeconds` (leaseTimings): the lease lives 2/3 of it past each
 * renewal, is renewed every third of that, and contenders try every 1/6, so a dead holder's
 * duty moves within ttl + retry = 5/6 of takeoverSeconds (plus one query).
 */
import { performance } from 'node:perf_hooks';
import type pg from 'pg';
import type { Logger } from 'pino';

export interface LeaseTimings {
  /** How long the lease lives past each acquisition or renewal (database time). */
  ttlMs: number;
  /** A holder renews this often. */
  renewEveryMs: number;
  /** A node that does not hold the lease tries to take it this often. */
  retryEveryMs: number;
  /** A holder stops believing it holds the lease this long before the database's `until`. */
  safetyMarginMs: number;
}

export function leaseTimings(takeoverSeconds: number): LeaseTimings {
  const takeoverMs = takeoverSeconds * 1000;
  const ttlMs = Math.round((takeoverMs * 2) / 3);
  return {
    ttlMs,
    renewEveryMs: Math.round(ttlMs / 3),
    retryEveryMs: Math.round(takeoverMs / 6),
    safetyMarginMs: Math.min(1000, Math.round(ttlMs / 10)),
  };
}

/** The lease row as the database holds it (for GET /api/cluster). */
export interface LeaseRecord {
  name: string;
  holder: string;
  token: number;
  /** Epoch ms, database clock. */
  until: number;
  /** Whether `until` had not yet passed when read (database clock). */
  live: boolean;
}

export type LeaseListener = (event: { held: boolean; token: number }) => void;

export interface LeaseDeps {
  pool: pg.Pool;
  name: string;
  /** This process; unique per process (a restarted node takes the lease with a new token anyway). */
  holder: string;
  timings: LeaseTimings;
  log?: Logger;
  /** Monotonic milliseconds; performance.now by default. */
  now?: () => number;
}

/** The fencing condition of a write (SQL of the PostgreSQL store). */
export { fenceCondition } from '../store/pg/fence.js';

const RETURNING = `RETURNING token::text AS token, (extract(epoch FROM (until - clock_timestamp())) * 1000)::float8 AS remaining_ms`;

// Free, expired, or held under this holder's name by an earlier process: taken, token + 1.
const ACQUIRE = `
INSERT INTO leases AS l (name, holder, token, until, acquired_at, renewed_at)
VALUES ($1, $2, 1, clock_timestamp() + $3 * interval '1 millisecond', clock_timestamp(), clock_timestamp())
ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, token = l.token + 1, until = EXCLUDED.until,
  acquired_at = EXCLUDED.acquired_at, renewed_at = EXCLUDED.renewed_at
WHERE l.until <= clock_timestamp() OR l.holder = EXCLUDED.holder
${RETURNING}`;

// Only the same holder with the same token, before `until`: a renewal after a gap is refused
// (the next attempt acquires with a new token).
const RENEW = `
UPDATE leases SET until = clock_timestamp() + $4 * interval '1 millisecond', renewed_at = clock_timestamp()
WHERE name = $1 AND holder = $2 AND token = $3 AND until > clock_timestamp()
${RETURNING}`;

const RELEASE = `UPDATE leases SET until = clock_timestamp() WHERE name = $1 AND holder = $2 AND token = $3 AND until > clock_timestamp()`;

interface Row {
  token: string;
  remaining_ms: number;
}

export class Lease {
  private token?: number;
  /** Local monotonic time until which this process may act as holder. */
  private validUntil = 0;
  private running = false;
  private inFlight?: Promise<void>;
  private tickTimer?: NodeJS.Timeout;
  private expiryTimer?: NodeJS.Timeout;
  private readonly listeners: LeaseListener[] = [];
  private readonly now: () => number;

  constructor(private readonly deps: LeaseDeps) {
    this.now = deps.now ?? (() => performance.now());
  }

  get name(): string {
    return this.deps.name;
  }

  /** True only while the last successful acquisition or renewal vouches for it (minus the margin). */
  isHeld(): boolean {
    return this.token !== undefined && this.now() < this.validUntil;
  }

  /** The fencing token while held; undefined otherwise. */
  currentToken(): number | undefined {
    return this.isHeld() ? this.token : undefined;
  }

  /** Called on every change: held with its token, or lost. Returns an unsubscribe. */
  onChange(listener: LeaseListener): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /** Takes the lease if it is free or expired; resolves with the new token, or undefined. */
  async tryAcquire(): Promise<number | undefined> {
    const sentAt = this.now();
    const res = await this.deps.pool.query<Row>({ text: ACQUIRE, values: [this.deps.name, this.deps.holder, this.deps.timings.ttlMs], query_timeout: this.deps.timings.ttlMs } as pg.QueryConfig);
    const row = res.rows[0];
    if (!row) return undefined;
    const previous = this.token;
    if (previous !== undefined && previous !== Number(row.token)) this.lose('replaced');
    this.hold(Number(row.token), sentAt, row.remaining_ms);
    return this.token;
  }

  /** Extends the lease; false (and lost) when it was no longer ours. */
  async renew(): Promise<boolean> {
    const token = this.token;
    if (token === undefined) return false;
    const sentAt = this.now();
    const res = await this.deps.pool.query<Row>({
      text: RENEW,
      values: [this.deps.name, this.deps.holder, token, this.deps.timings.ttlMs],
      query_timeout: this.deps.timings.ttlMs,
    } as pg.QueryConfig);
    const row = res.rows[0];
    if (this.token !== token) return false;
    if (!row) {
      this.lose('renewal refused');
      return false;
    }
    this.hold(token, sentAt, row.remaining_ms);
    return true;
  }

  /** Gives the lease up now (another node may take it at once); the token stays in the row. */
  async release(): Promise<void> {
    const token = this.token;
    if (token === undefined) return;
    this.lose('released');
    await this.deps.pool.query(RELEASE, [this.deps.name, this.deps.holder, token]);
  }

  /** Keeps trying to acquire, and renews while held, until stop(). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  /** Stops the loop and releases the lease if held (listeners hear `held: false` first). */
  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.tickTimer);
    await this.inFlight;
    clearTimeout(this.expiryTimer);
    await this.release().catch((err: Error) => this.deps.log?.warn({ err, lease: this.deps.name }, 'lease release failed; it expires by itself'));
  }

  /** The row as stored, read with the database's clock. */
  static async read(pool: pg.Pool, name: string): Promise<LeaseRecord | undefined> {
    const res = await pool.query<{ holder: string; token: string; until_ms: number; live: boolean }>(
      `SELECT holder, token::text AS token, (extract(epoch FROM until) * 1000)::float8 AS until_ms, until > clock_timestamp() AS live FROM leases WHERE name = $1`,
      [name],
    );
    const r = res.rows[0];
    return r ? { name, holder: r.holder, token: Number(r.token), until: Math.round(r.until_ms), live: r.live } : undefined;
  }

  private schedule(ms: number): void {
    if (!this.running) return;
    clearTimeout(this.tickTimer);
    this.tickTimer = setTimeout(() => {
      this.inFlight = this.tick().finally(() => {
        this.inFlight = undefined;
        const { renewEveryMs, retryEveryMs } = this.deps.timings;
        this.schedule(this.isHeld() ? renewEveryMs : retryEveryMs);
      });
    }, ms);
  }

  private async tick(): Promise<void> {
    try {
      if (this.isHeld()) await this.renew();
      else await this.tryAcquire();
    } catch (err) {
      // Database unreachable or slow: keep believing only until validUntil (the expiry timer).
      this.deps.log?.warn({ err, lease: this.deps.name, held: this.isHeld() }, 'lease query failed');
    }
  }

  private hold(token: number, sentAt: number, remainingMs: number): void {
    const wasHeld = this.isHeld() && this.token === token;
    this.token = token;
    this.validUntil = sentAt + remainingMs - this.deps.timings.safetyMarginMs;
    const left = this.validUntil - this.now();
    if (left <= 0) {
      // The answer came back too late to act on: as good as not held.
      this.lose('expired before the answer arrived');
      return;
    }
    this.armExpiry(token, left);
    if (!wasHeld) {
      this.deps.log?.info({ lease: this.deps.name, token }, 'lease acquired');
      this.emit({ held: true, token });
    }
  }

  /**
   * Loses the lease once validUntil passes without a renewal. Node's timers count whole
   * milliseconds (libuv's clock and the delay are both truncated), so a timer may fire up to ~2 ms
   * before now() reaches validUntil (measured: 2,000 timers of 5–8 ms, the earliest 1.9 ms
   * early). It then waits again for what is left. Without that, a holder whose timer fired early
   * with the database down kept its token and never told its listeners the lease was lost (the
   * lease test "PostgreSQL down" failed so, twice in full runs).
   */
  private armExpiry(token: number, leftMs: number): void {
    clearTimeout(this.expiryTimer);
    this.expiryTimer = setTimeout(() => {
      if (this.token !== token) return;
      const left = this.validUntil - this.now();
      if (left > 0) this.armExpiry(token, left);
      else this.lose('not renewed in time');
    }, leftMs + 1);
  }

  private lose(why: string): void {
    const token = this.token;
    if (token === undefined) return;
    this.token = undefined;
    this.validUntil = 0;
    clearTimeout(this.expiryTimer);
    if (why === 'released') this.deps.log?.info({ lease: this.deps.name, token }, 'lease released');
    else this.deps.log?.warn({ lease: this.deps.name, token, why }, 'lease lost');
    this.emit({ held: false, token });
  }

  private emit(event: { held: boolean; token: number }): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch (err) {
        this.deps.log?.error({ err, lease: this.deps.name }, 'lease listener failed');
      }
    }
  }
}
