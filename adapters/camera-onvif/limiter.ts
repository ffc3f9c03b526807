/**
 * Bounded concurrency: at most `max` tasks run at once, the rest wait in arrival order. A
 * waiting task leaves the queue when its signal aborts, so a cancelled sweep frees its place.
 */
import { CAMERA_ERRORS } from './errors.js';

export class Limiter {
  private active = 0;
  private readonly queue: (() => void)[] = [];

  constructor(private readonly max: number) {}

  get running(): number {
    return this.active;
  }

  get waiting(): number {
    return this.queue.length;
  }

  async run<T>(fn: () => Promise<T>, signal: AbortSignal): Promise<T> {
    await this.acquire(signal);
    try {
      return await fn();
    } finally {
      this.active--;
      this.queue.shift()?.();
    }
  }

  private acquire(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.reject(CAMERA_ERRORS.error('GW_ERR_CAMERA_ABORTED', 'before start', { cause: signal.reason }));
    if (this.active < this.max) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        const i = this.queue.indexOf(grant);
        if (i >= 0) this.queue.splice(i, 1);
        reject(CAMERA_ERRORS.error('GW_ERR_CAMERA_ABORTED', 'while waiting for a check slot', { cause: signal.reason }));
      };
      const grant = () => {
        signal.removeEventListener('abort', onAbort);
        this.active++;
        resolve();
      };
      this.queue.push(grant);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}
