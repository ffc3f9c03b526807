/**
 * Commands that a library (or ioredis itself) sends without awaiting them: their refusal must be
 * handled, or a Redis outage at the wrong moment becomes an unhandled rejection, which ends a
 * Node process. Used by both Redis users of cluster mode (broker/redis-transport.ts,
 * cluster/live-relay.ts).
 */
import type { Redis } from 'ioredis';

/**
 * Wraps `commands` of `conn` so that a refusal nobody waits for is handled: callers that await
 * still get the rejection. ioredis calls the connection's own methods, so its internal commands
 * (the subscriber's SUBSCRIBE sent again after each reconnect, autoResubscribe) are covered too.
 */
export function handledWhenIgnored(conn: Redis, commands: readonly string[]): void {
  const target = conn as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const name of commands) {
    const original = target[name];
    if (typeof original !== 'function') continue;
    target[name] = (...args: unknown[]) => {
      const result = original.apply(conn, args);
      if (result instanceof Promise) result.catch(() => undefined);
      return result;
    };
  }
}

/** A subscriber connection's commands ioredis sends again by itself after every reconnect. */
export const RESUBSCRIBE_COMMANDS = ['subscribe', 'psubscribe', 'ssubscribe'] as const;
