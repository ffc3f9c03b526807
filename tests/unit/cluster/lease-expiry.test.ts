/**
 * A holder whose renewals fail loses the lease once it stops being vouched for, even when Node's
 * expiry timer fires before the lease's own clock says so. Node's timers count whole milliseconds
 * and fire up to ~2 ms early against performance.now(); here the lease's clock (deps.now) is
 * moved back 40 ms after the acquisition, the same situation made large enough to be certain.
 * Before the fix, that timer did nothing and the holder never heard it had lost the lease.
 */
import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { Lease, leaseTimings } from '../../../gateway/cluster/lease.js';

/** Acquisition answers with a lease good for `remainingMs`; every later query fails (the database is down). */
function poolDownAfterAcquire(remainingMs: number): { pool: pg.Pool; queries: () => number } {
  let n = 0;
  const pool = {
    query: async () => {
      n++;
      if (n === 1) return { rows: [{ token: '7', remaining_ms: remainingMs }] };
      throw new Error('connect ECONNREFUSED');
    },
  } as unknown as pg.Pool;
  return { pool, queries: () => n };
}

describe('lease expiry', () => {
  it('is lost once its time has passed by its own clock, also when the timer fires early', async () => {
    const timings = leaseTimings(1.5); // safety margin 100 ms
    const { pool } = poolDownAfterAcquire(300);
    let skew = 0;
    const lease = new Lease({ pool, name: '110-link', holder: 'node-a', timings, now: () => performance.now() + skew });
    const events: { held: boolean; token: number; at: number }[] = [];
    lease.onChange((e) => events.push({ ...e, at: performance.now() }));

    const acquiredAt = performance.now();
    expect(await lease.tryAcquire()).toBe(7);
    expect(lease.isHeld()).toBe(true);
    // The lease's clock falls 40 ms behind the timer's: the expiry timer fires while the lease still counts as held.
    skew = -40;
    const lost = await new Promise<{ at: number }>((resolve, reject) => {
      const give = setTimeout(() => reject(new Error(`not lost within 2 s: ${JSON.stringify(events)}`)), 2000);
      lease.onChange((e) => {
        if (e.held) return;
        clearTimeout(give);
        resolve({ at: performance.now() });
      });
    });
    // Lost when its own clock reached validUntil (200 ms after the acquisition, +40 ms of skew), not later.
    expect(lost.at - acquiredAt).toBeGreaterThanOrEqual(200);
    expect(lost.at - acquiredAt).toBeLessThan(1000);
    expect(lease.isHeld()).toBe(false);
    expect(events.map((e) => [e.held, e.token])).toStrictEqual([
      [true, 7],
      [false, 7],
    ]);
  });
});
