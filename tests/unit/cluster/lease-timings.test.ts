import { describe, expect, it } from 'vitest';
import { leaseTimings } from '../../../gateway/cluster/lease.js';

describe('lease timings', () => {
  it('fit a dead holder\'s takeover (ttl + one retry) inside takeoverSeconds, with three renewals per ttl', () => {
    expect(leaseTimings(10)).toStrictEqual({ ttlMs: 6667, renewEveryMs: 2222, retryEveryMs: 1667, safetyMarginMs: 667 });
    for (const s of [1, 2, 10, 30, 300]) {
      const t = leaseTimings(s);
      expect(t.ttlMs + t.retryEveryMs).toBeLessThan(s * 1000);
      expect(t.renewEveryMs * 3).toBeLessThanOrEqual(t.ttlMs + 1);
      expect(t.safetyMarginMs).toBeLessThan(t.ttlMs - t.renewEveryMs);
    }
  });
});
