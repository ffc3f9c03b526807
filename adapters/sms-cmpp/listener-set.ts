/**
 * The adapter's listener lists (status changes, replies, link state). A listener that throws
 * or rejects is logged under the list's name and cannot break the others; `emit` says whether
 * all of them succeeded within the time budget, which decides a DELIVER_RESP's Result.
 * (adapters/shared/listeners.ts, where the redesign puts the one for every adapter, can replace
 * this file once both branches are merged.)
 */
import type { Logger } from 'pino';
import type { Clock } from '../../gateway/contract/clock.js';

export type Listener<T> = (value: T) => void | Promise<void>;

export class ListenerSet<T> {
  private readonly fns = new Set<Listener<T>>();

  constructor(
    private readonly name: string,
    private readonly log: Logger,
    private readonly clock: Clock,
  ) {}

  add(fn: Listener<T>): () => void {
    this.fns.add(fn);
    return () => {
      this.fns.delete(fn);
    };
  }

  /** True when every listener finished without throwing; one still running at the deadline counts as done. */
  async emit(value: T, timeoutMs: number): Promise<boolean> {
    if (this.fns.size === 0) return true;
    const runs = [...this.fns].map(async (fn) => {
      try {
        await fn(value);
        return true;
      } catch (err) {
        this.log.error({ err, listener: this.name }, 'listener failed');
        return false;
      }
    });
    let timer: ReturnType<Clock['setTimeout']> | undefined;
    const deadline = new Promise<'late'>((resolve) => {
      timer = this.clock.setTimeout(() => resolve('late'), timeoutMs);
    });
    const outcome = await Promise.race([Promise.all(runs), deadline]);
    if (timer !== undefined) this.clock.clearTimeout(timer);
    if (outcome === 'late') {
      this.log.warn({ listener: this.name, timeoutMs }, 'listener still running at its deadline');
      return true;
    }
    return outcome.every(Boolean);
  }
}
