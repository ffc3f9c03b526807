import { describe, expect, it } from 'vitest';
import { Admission } from '../../../gateway/store/telemetry-admission.js';

/** A store whose held points the test sets by hand; time is a number the test moves. */
function harness(bound: number) {
  const store = { held: 0, now: 1_000 };
  const admission = new Admission(bound, () => store.held, () => store.now);
  return { store, admission };
}

describe('telemetry admission (back-pressure for readings)', () => {
  it('admits while there is room, then queues callers and wakes them oldest first as the store drains', async () => {
    const { store, admission } = harness(10);
    expect(admission.take(6)).toBeUndefined();
    admission.settle(6);
    store.held = 6;
    expect(admission.take(4)).toBeUndefined();
    admission.settle(4);
    store.held = 10;

    // 40,000 waiters: as many as 10,000 connections with a receive window of 4.
    const woken: number[] = [];
    const waits: Promise<void>[] = [];
    for (let i = 0; i < 40_000; i++) {
      const p = admission.take(1);
      expect(p).toBeDefined();
      waits.push((p as Promise<void>).then(() => void woken.push(i)));
    }
    // A caller that would fit still waits behind them: no overtaking.
    store.held = 0;
    const late = admission.take(1);
    expect(late).toBeDefined();
    store.held = 10;
    expect(admission.stats()).toMatchObject({ bound: 10, waiting: 40_001, throttled: 40_001, throttledPoints: 40_001 });

    // The store drains in steps of 10: each release wakes exactly as many as fit.
    store.now = 1_250;
    for (let drained = 0; drained < 40_000; drained += 10) {
      store.held = 0;
      admission.release();
      for (let k = 0; k < 10; k++) admission.settle(1);
      store.held = 10;
    }
    await Promise.all(waits);
    expect(woken).toEqual(Array.from({ length: 40_000 }, (_v, i) => i));
    expect(admission.stats()).toMatchObject({ waiting: 1, maxWaitMs: 250, throttlingForMs: 250 });

    store.held = 0;
    admission.release();
    await late;
    const done = admission.stats();
    expect(done.waiting).toBe(0);
    expect(done.throttlingForMs).toBeUndefined();
    expect(done.waitedMs).toBe(40_001 * 250);
  });

  it('fails every waiter when the store stops, and counts none as waiting afterwards', async () => {
    const { store, admission } = harness(2);
    store.held = 2;
    const waits = [admission.take(1), admission.take(3), admission.take(1)];
    expect(admission.stats().waiting).toBe(5);
    admission.fail('store stopping');
    const settled = await Promise.allSettled(waits as Promise<void>[]);
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect((settled[0] as PromiseRejectedResult).reason).toMatchObject({ code: 'GW_ERR_STORE_UNAVAILABLE' });
    expect(admission.stats()).toMatchObject({ waiting: 0 });
    expect(admission.stats().throttlingForMs).toBeUndefined();
  });

  it('lets a single call larger than the bound through an empty store', () => {
    const { admission } = harness(5);
    expect(admission.take(50)).toBeUndefined();
  });
});
