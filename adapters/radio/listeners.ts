/**
 * A typed listener list: a listener that throws or rejects is logged with the list's name and
 * cannot break the others, nor the MQTT handler that called it.
 */
import type { Logger } from 'pino';

export type Listener<T> = (value: T) => void | Promise<void>;

export class Listeners<T> {
  private readonly fns = new Set<Listener<T>>();

  constructor(
    private readonly name: string,
    private readonly log: Logger,
  ) {}

  /** Adds a listener; the returned function removes it. */
  add(fn: Listener<T>): () => void {
    this.fns.add(fn);
    return () => {
      this.fns.delete(fn);
    };
  }

  emit(value: T): void {
    for (const fn of [...this.fns]) {
      try {
        const r = fn(value);
        if (r instanceof Promise) r.catch((err: unknown) => this.log.error({ err, listener: this.name }, 'listener failed'));
      } catch (err) {
        this.log.error({ err, listener: this.name }, 'listener failed');
      }
    }
  }
}
