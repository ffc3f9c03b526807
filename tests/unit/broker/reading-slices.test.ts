import { setImmediate as turn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { ReadingSlices, type SliceTask } from '../../../gateway/broker/reading-slices.js';

/** Lets pending immediates (slices) run, `n` turns of the event loop. */
async function turns(n = 5): Promise<void> {
  for (let i = 0; i < n; i++) await turn();
}

/** A slice task that runs `run` and ignores a failure, or hands it to `fail`. */
function task(run: () => unknown, fail: (err: Error) => void = () => undefined): SliceTask {
  return { run: () => void run(), fail };
}

/** Slices whose work records its label in `ran` when it runs. */
function rig(...args: ConstructorParameters<typeof ReadingSlices>) {
  const s = new ReadingSlices(...args);
  const ran: string[] = [];
  const later = (key: object, label: string) => s.defer(key, task(() => ran.push(label)));
  const now = (key: object | null, label: string) => s.now(key, task(() => ran.push(label)));
  return { s, ran, later, now };
}

describe('ReadingSlices', () => {
  it('runs deferred work in a later turn, in the order it was deferred', async () => {
    const { s, ran, later } = rig();
    const a = {};
    const b = {};
    later(a, 'a1');
    later(b, 'b1');
    later(a, 'a2');
    expect(ran).toStrictEqual([]);
    expect(s.stats()).toStrictEqual({ waiting: 3, deferred: 3, slices: 0 });
    await turns();
    expect(ran).toStrictEqual(['a1', 'b1', 'a2']);
    expect(s.stats()).toStrictEqual({ waiting: 0, deferred: 3, slices: 1 });
  });

  it("runs what a connection deferred before its own work that cannot wait, and nobody else's", async () => {
    const { s, ran, later, now } = rig();
    const device = {};
    const other = {};
    later(device, 'device status online');
    later(other, 'other reading');
    later(device, 'device reading');
    now(device, 'device press');
    now({}, 'unrelated press');
    now(null, 'will of a client long gone');
    expect(ran).toStrictEqual(['device status online', 'device reading', 'device press', 'unrelated press', 'will of a client long gone']);
    expect(s.stats()).toStrictEqual({ waiting: 1, deferred: 3, slices: 0 });
    await turns();
    // What ran ahead of its turn does not run again.
    expect(ran).toStrictEqual(['device status online', 'device reading', 'device press', 'unrelated press', 'will of a client long gone', 'other reading']);
    expect(s.stats()).toStrictEqual({ waiting: 0, deferred: 3, slices: 1 });
  });

  it('ends a slice once it has run sliceMs, and goes on in the next turn', async () => {
    let clock = 0;
    const s = new ReadingSlices(2, () => clock);
    const ran: number[] = [];
    for (let i = 0; i < 5; i++)
      s.defer(
        {},
        task(() => {
          ran.push(i);
          clock += 1; // each item takes 1 ms: two per slice
        }),
      );
    await turn();
    expect(ran).toStrictEqual([0, 1]);
    await turns();
    expect(ran).toStrictEqual([0, 1, 2, 3, 4]);
    expect(s.stats()).toStrictEqual({ waiting: 0, deferred: 5, slices: 3 });
  });

  it('hands what a deferred run throws to its fail callback and goes on', async () => {
    const s = new ReadingSlices();
    const failed: string[] = [];
    const ran: string[] = [];
    s.defer(
      {},
      task(
        () => {
          throw new Error('handler bug');
        },
        (err) => failed.push(err.message),
      ),
    );
    s.defer({}, task(() => ran.push('next')));
    await turns();
    expect(failed).toStrictEqual(['handler bug']);
    expect(ran).toStrictEqual(['next']);
  });

  it('drops what waits when cleared (the broker is closing)', async () => {
    const { s, ran, later, now } = rig();
    const key = {};
    later(key, 'late');
    s.clear();
    await turns();
    now(key, 'now');
    expect(ran).toStrictEqual(['now']);
    expect(s.stats()).toStrictEqual({ waiting: 0, deferred: 1, slices: 0 });
  });
});
