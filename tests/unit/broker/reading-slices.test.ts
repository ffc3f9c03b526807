import { setImmediate as turn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { ReadingSlices } from '../../../gateway/broker/reading-slices.js';

/** Lets pending immediates (slices) run, `n` turns of the event loop. */
async function turns(n = 5): Promise<void> {
  for (let i = 0; i < n; i++) await turn();
}

describe('ReadingSlices', () => {
  it('runs deferred work in a later turn, in the order it was deferred', async () => {
    const s = new ReadingSlices();
    const ran: string[] = [];
    const a = {};
    const b = {};
    s.defer(a, () => ran.push('a1'), () => undefined);
    s.defer(b, () => ran.push('b1'), () => undefined);
    s.defer(a, () => ran.push('a2'), () => undefined);
    expect(ran).toStrictEqual([]);
    expect(s.stats()).toMatchObject({ waiting: 3, deferred: 3 });
    await turns();
    expect(ran).toStrictEqual(['a1', 'b1', 'a2']);
    expect(s.stats()).toMatchObject({ waiting: 0, deferred: 3 });
  });

  it("runs what a connection deferred before its own work that cannot wait, and nobody else's", async () => {
    const s = new ReadingSlices();
    const ran: string[] = [];
    const device = {};
    const other = {};
    s.defer(device, () => ran.push('device status online'), () => undefined);
    s.defer(other, () => ran.push('other reading'), () => undefined);
    s.defer(device, () => ran.push('device reading'), () => undefined);
    s.now(device, () => ran.push('device press'));
    s.now({}, () => ran.push('unrelated press'));
    s.now(null, () => ran.push('will of a client long gone'));
    expect(ran).toStrictEqual(['device status online', 'device reading', 'device press', 'unrelated press', 'will of a client long gone']);
    expect(s.stats().waiting).toBe(1);
    await turns();
    // What ran ahead of its turn does not run again.
    expect(ran).toStrictEqual(['device status online', 'device reading', 'device press', 'unrelated press', 'will of a client long gone', 'other reading']);
    expect(s.stats().waiting).toBe(0);
  });

  it('ends a slice once it has run sliceMs, and goes on in the next turn', async () => {
    let clock = 0;
    const s = new ReadingSlices(2, () => clock);
    const ran: number[] = [];
    for (let i = 0; i < 5; i++)
      s.defer(
        {},
        () => {
          ran.push(i);
          clock += 1; // each item takes 1 ms: two per slice
        },
        () => undefined,
      );
    await turn();
    expect(ran).toStrictEqual([0, 1]);
    await turns();
    expect(ran).toStrictEqual([0, 1, 2, 3, 4]);
    expect(s.stats().slices).toBe(3);
  });

  it('hands what a deferred run throws to its fail callback and goes on', async () => {
    const s = new ReadingSlices();
    const failed: string[] = [];
    const ran: string[] = [];
    s.defer(
      {},
      () => {
        throw new Error('handler bug');
      },
      (err) => failed.push(err.message),
    );
    s.defer({}, () => ran.push('next'), () => undefined);
    await turns();
    expect(failed).toStrictEqual(['handler bug']);
    expect(ran).toStrictEqual(['next']);
  });

  it('drops what waits when cleared (the broker is closing)', async () => {
    const s = new ReadingSlices();
    const ran: string[] = [];
    const key = {};
    s.defer(key, () => ran.push('late'), () => undefined);
    s.clear();
    await turns();
    s.now(key, () => ran.push('now'));
    expect(ran).toStrictEqual(['now']);
    expect(s.stats().waiting).toBe(0);
  });
});
