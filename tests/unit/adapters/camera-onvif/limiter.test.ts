import { describe, expect, it } from 'vitest';
import { Limiter } from '../../../../adapters/camera-onvif/limiter.js';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('Limiter', () => {
  it('runs at most `max` tasks at once, in arrival order', async () => {
    const limiter = new Limiter(2);
    const gates = [deferred(), deferred(), deferred()];
    const started: number[] = [];
    const runs = gates.map((g, i) =>
      limiter.run(async () => {
        started.push(i);
        await g.promise;
        return i;
      }, new AbortController().signal),
    );
    await Promise.resolve();
    expect([started, limiter.running, limiter.waiting]).toStrictEqual([[0, 1], 2, 1]);
    gates[1]?.resolve();
    await runs[1];
    await Promise.resolve();
    expect(started).toStrictEqual([0, 1, 2]);
    gates[0]?.resolve();
    gates[2]?.resolve();
    expect(await Promise.all(runs)).toStrictEqual([0, 1, 2]);
    expect([limiter.running, limiter.waiting]).toStrictEqual([0, 0]);
  });

  it('drops a waiting task whose signal aborts, and frees the slot of a failed one', async () => {
    const limiter = new Limiter(1);
    const gate = deferred();
    const first = limiter.run(() => gate.promise.then(() => Promise.reject(new Error('boom'))), new AbortController().signal);
    const cancel = new AbortController();
    const waiting = limiter.run(async () => 'never', cancel.signal);
    cancel.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'GW_ERR_CAMERA_ABORTED' });
    expect(limiter.waiting).toBe(0);
    gate.resolve();
    await expect(first).rejects.toThrow('boom');
    expect(await limiter.run(async () => 'next', new AbortController().signal)).toBe('next');
  });

  it('refuses a task whose signal is already aborted', async () => {
    const c = new AbortController();
    c.abort();
    await expect(new Limiter(1).run(async () => 1, c.signal)).rejects.toMatchObject({ code: 'GW_ERR_CAMERA_ABORTED' });
  });
});
