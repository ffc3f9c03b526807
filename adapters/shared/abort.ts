/**
 * Waiting that a caller may give up on: an operation raced against an AbortSignal, and a delay
 * on the adapter's clock that ends early when the signal aborts. A give-up rejects with
 * GW_ERR_ABORTED (the signal's reason as the message and the cause).
 */
import type { Clock, Timer } from '../../gateway/contract/clock.js';
import { errorMessage, GatewayError } from '../../gateway/contract/errors.js';

export function abortError(signal: AbortSignal): GatewayError {
  return new GatewayError('GW_ERR_ABORTED', errorMessage(signal.reason), { cause: signal.reason });
}

/** Settles with `work`, or rejects when `signal` aborts first. */
export function abortable<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

export function delay(clock: Clock, ms: number, signal: AbortSignal | undefined): Promise<void> {
  let timer: Timer | undefined;
  const wait = new Promise<void>((resolve) => {
    timer = clock.setTimeout(resolve, ms);
  });
  return abortable(wait, signal).finally(() => {
    if (timer !== undefined) clock.clearTimeout(timer);
  });
}
