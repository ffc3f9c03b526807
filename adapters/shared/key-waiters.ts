/**
 * Waiting for keys to be woken: an SMS adapter's send() waits until each of its recipients has
 * left `queued` (submitted, or given up), woken by the tracker's changes. One waiter per call,
 * any number of calls per key; waking a key wakes all its waiters once.
 */
export class KeyWaiters {
  private readonly byKey = new Map<string, Set<() => void>>();

  /** Resolves once every key was woken, at abort, or at wakeAll(). */
  waitAll(keys: readonly string[], signal?: AbortSignal): Promise<void> {
    if (keys.length === 0 || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      let left = keys.length;
      const mine: [string, () => void][] = [];
      const done = (): void => {
        signal?.removeEventListener('abort', done);
        for (const [k, w] of mine) this.byKey.get(k)?.delete(w);
        resolve();
      };
      for (const k of keys) {
        const wake = (): void => {
          if (--left === 0) done();
        };
        mine.push([k, wake]);
        const set = this.byKey.get(k) ?? new Set();
        set.add(wake);
        this.byKey.set(k, set);
      }
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  wake(key: string): void {
    const set = this.byKey.get(key);
    this.byKey.delete(key);
    for (const w of set ?? []) w();
  }

  /** Stopping: every waiter returns. */
  wakeAll(): void {
    for (const key of [...this.byKey.keys()]) this.wake(key);
  }
}
