/**
 * The re-read at the receiving end of a NOTIFY (gateway/cluster/announce.ts): a read that fails
 * is tried again and counted once it succeeds; one that fails every try is logged and counted;
 * a stopping node gives up quietly. (Sending, on a real PostgreSQL: tests/integration/cluster/announce.test.ts.)
 */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createAnnouncer, tryAgainWhileFailing } from '../../../gateway/cluster/announce.js';
import { Counters } from '../../../gateway/core/counters.js';

const pool = { query: async () => undefined };

function failing(times: number): { read: () => Promise<void>; calls: () => number } {
  let calls = 0;
  return {
    read: async () => {
      calls++;
      if (calls <= times) throw new Error(`read ${calls} failed`);
    },
    calls: () => calls,
  };
}

describe('re-reading what a NOTIFY named', () => {
  it('tries a failed read again, and counts that it had to', async () => {
    const counters = new Counters();
    const announcer = createAnnouncer({ pool, log: pino({ level: 'silent' }), counters, waitsMs: [5, 5, 5] });
    const read = failing(2);
    expect(await announcer.reread({ drillId: 'd1' }, read.read)).toBe(true);
    expect(read.calls()).toBe(3);
    expect(counters.get('cluster.reread.retried')).toBe(1);
    expect(counters.get('cluster.reread.lost')).toBe(0);
  });

  it('logs and counts a read that fails every try, without throwing', async () => {
    const counters = new Counters();
    const lines: string[] = [];
    const announcer = createAnnouncer({ pool, log: pino({ level: 'warn' }, { write: (l: string) => void lines.push(l) }), counters, waitsMs: [5, 5] });
    const read = failing(10);
    expect(await announcer.reread({ alarmId: 'a1' }, read.read)).toBe(false);
    expect(read.calls()).toBe(3);
    expect(counters.get('cluster.reread.lost')).toBe(1);
    expect(lines.map((l) => JSON.parse(l) as Record<string, unknown>)).toMatchObject([{ msg: 'a change another node announced could not be re-read', alarmId: 'a1', attempts: 3, err: 'read 3 failed' }]);
  });

  it('gives up quietly once the node stops', async () => {
    const counters = new Counters();
    const announcer = createAnnouncer({ pool, log: pino({ level: 'silent' }), counters, waitsMs: [50, 50, 50] });
    const read = failing(10);
    const pending = announcer.reread({ drillId: 'd2' }, read.read);
    announcer.stop();
    expect(await pending).toBe(false);
    expect(read.calls()).toBe(1);
    expect(counters.get('cluster.reread.lost')).toBe(0);
    expect(await announcer.reread({ drillId: 'd3' }, read.read)).toBe(false);
    expect(read.calls()).toBe(1);
  });

  it('tryAgainWhileFailing reports how many tries failed, or the last error', async () => {
    expect(await tryAgainWhileFailing(failing(0).read, { stopped: () => false, waitsMs: [1] })).toStrictEqual({ failed: 0 });
    expect(await tryAgainWhileFailing(failing(1).read, { stopped: () => false, waitsMs: [1] })).toStrictEqual({ failed: 1 });
    expect(await tryAgainWhileFailing(failing(5).read, { stopped: () => false, waitsMs: [1, 1] })).toStrictEqual({ tries: 3, lost: new Error('read 3 failed') });
  });
});
