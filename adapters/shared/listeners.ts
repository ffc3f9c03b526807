/**
 * A typed listener list (an adapter's onStatus, onReply, onRollCall…). A listener that throws
 * or rejects is logged with the list's name and cannot break the others, nor the protocol
 * handler that called it; emit() tells the caller whether all of them succeeded.
 */
import type { Logger } from 'pino';
import type { Clock } from '../../gateway/contract/clock.js';

export type Listener<T> = (value: T) => void | Promise<void>;

export class Listeners<T> {
  private readonly fns = new Set<Listener<T>>();

  constructor(
    private readonly name: string,
    private readonly log: Logger,
    private readonly clock: Clock,
  ) {}

  get size(): number {
    return this.fns.size;
  }

  /** Adds a listener; the returned function removes it. */
  add(fn: Listener<T>): () => void {
    this.fns.add(fn);
    return () => {
      this.fns.delete(fn);
    };
  }

  clear(): void {
    this.fns.clear();
  }

  /**
   * Calls every listener at once (in this turn) and waits for them, up to `timeoutMs` when
   * given. Resolves false when one threw or rejected; a listener still running at the deadline
   * is logged and counts as done. Callers that need no answer do not await it.
   */
  async emit(value: T, timeoutMs?: number): Promise<boolean> {
    const runs = [...this.fns].map(async (fn) => {
      try {
        await fn(value);
        return true;
      } catch (err) {
        this.log.error({ err, listener: this.name }, 'listener failed');
        return false;
      }
    });
    if (runs.length === 0) return true;
    if (timeoutMs === undefined) return (await Promise.all(runs)).every(Boolean);
    let timer: ReturnType<Clock['setTimeout']> | undefined;
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = this.clock.setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const result = await Promise.race([Promise.all(runs), deadline]);
    if (timer !== undefined) this.clock.clearTimeout(timer);
    if (result === 'timeout') {
      this.log.warn({ listener: this.name, timeoutMs }, 'listener still running at deadline');
      return true;
    }
    return result.every(Boolean);
  }
}
