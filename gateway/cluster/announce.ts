/**
 * NOTIFY for changes that travel outside a committing transaction (a drill started or ended, a
 * button's 110 test recorded): sent on the cluster's pool after the change is kept. A single
 * try was lost for good when its query failed (the pool's query timeout under load, a moment
 * of PostgreSQL unreachable): the other nodes never heard of the drill, and a press at that
 * school there would have been a real alarm. Tried again with a growing wait, for a bounded
 * time; the last failure is logged and counted (`cluster.announce.lost`). A node that misses a
 * NOTIFY while its own LISTEN connection is down reloads when it is back (pg-listener.ts).
 */
import type { Logger } from 'pino';

export interface Announcer {
  /** Sends `payload` on `channel` once, trying again on failure; never rejects. */
  announce(channel: string, payload: string): Promise<boolean>;
  /** No more tries (the node stops: its pool is closing). */
  stop(): void;
}

export interface AnnouncerDeps {
  pool: { query(text: string, values: unknown[]): Promise<unknown> };
  log: Logger;
  counters: { inc(name: string): void };
  /** Waits between tries, ms (default 250, 500, 1000, 2000, 4000: ~8 s in all). */
  waitsMs?: readonly number[];
}

const WAITS_MS = [250, 500, 1000, 2000, 4000] as const;

export function createAnnouncer(deps: AnnouncerDeps): Announcer {
  const waits = deps.waitsMs ?? WAITS_MS;
  let stopped = false;
  return {
    stop: () => void (stopped = true),
    async announce(channel, payload) {
      for (let attempt = 0; ; attempt++) {
        if (stopped) return false;
        try {
          await deps.pool.query('SELECT pg_notify($1, $2)', [channel, payload]);
          if (attempt > 0) deps.counters.inc('cluster.announce.retried');
          return true;
        } catch (err) {
          const wait = waits[attempt];
          if (wait === undefined) {
            deps.counters.inc('cluster.announce.lost');
            deps.log.warn({ channel, payload: payload.slice(0, 200), attempts: attempt + 1, err: err instanceof Error ? err.message : String(err) }, 'change not announced to the other nodes');
            return false;
          }
          // Never what keeps a stopping process alive.
          await new Promise((r) => setTimeout(r, wait).unref());
        }
      }
    },
  };
}
