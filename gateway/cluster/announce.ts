/**
 * Both ends of the changes that travel by NOTIFY outside a committing transaction (a drill
 * started or ended, a button's 110 test recorded), and the re-read at the receiving end of every
 * NOTIFY (a drill, an alarm).
 *
 * Sending: the NOTIFY goes on the cluster's pool after the change is kept. A single try was lost
 * for good when its query failed (the pool's query timeout under load, a moment of PostgreSQL
 * unreachable): the other nodes never heard of the drill, and a press at that school there
 * would have been a real alarm. Receiving: a node re-reads what a NOTIFY names; a failed re-read
 * left it with the old state until its LISTEN connection next came back.
 *
 * Each is tried again with a growing wait, for a bounded time (~8 s); the last failure is logged
 * and counted (`cluster.announce.lost`, `cluster.reread.lost`). A node that misses a NOTIFY
 * while its own LISTEN connection is down reloads when it is back (pg-listener.ts).
 */
import type { Logger } from 'pino';
import { errorMessage } from '../contract/errors.js';

/** Waits between tries, ms: ~8 s in all. */
const WAITS_MS = [250, 500, 1000, 2000, 4000] as const;

export interface RetryOptions {
  /** Waits between tries, ms (default WAITS_MS). */
  waitsMs?: readonly number[];
  /** True once the node stops: no further try. */
  stopped: () => boolean;
}

/**
 * Runs `work` until it succeeds, waiting between tries; resolves with how many tries failed
 * before it succeeded, or with `{ lost }` (the last error and the tries made) when every try
 * failed or the node stopped meanwhile. Never rejects. The waits never keep a process alive.
 */
export async function tryAgainWhileFailing(work: () => Promise<unknown>, opts: RetryOptions): Promise<{ failed: number } | { lost: unknown; tries: number }> {
  const waits = opts.waitsMs ?? WAITS_MS;
  for (let attempt = 0; ; attempt++) {
    try {
      await work();
      return { failed: attempt };
    } catch (err) {
      const wait = waits[attempt];
      if (wait === undefined || opts.stopped()) return { lost: err, tries: attempt + 1 };
      await new Promise((r) => setTimeout(r, wait).unref());
      if (opts.stopped()) return { lost: err, tries: attempt + 1 };
    }
  }
}

export interface Announcer {
  /** Sends `payload` on `channel` once, trying again on failure; never rejects. */
  announce(channel: string, payload: string): Promise<boolean>;
  /**
   * Re-reads what a NOTIFY named (`what`: for the log), trying again on failure; never rejects.
   */
  reread(what: Record<string, unknown>, read: () => Promise<unknown>): Promise<boolean>;
  /** No more tries (the node stops: its pool is closing). */
  stop(): void;
}

export interface AnnouncerDeps {
  pool: { query(text: string, values: unknown[]): Promise<unknown> };
  log: Logger;
  counters: { inc(name: string): void };
  waitsMs?: readonly number[];
}

export function createAnnouncer(deps: AnnouncerDeps): Announcer {
  let stopped = false;
  const opts: RetryOptions = { stopped: () => stopped, ...(deps.waitsMs ? { waitsMs: deps.waitsMs } : {}) };
  /** Counts a success after failures (`<kind>.retried`), or logs and counts the loss (`<kind>.lost`). */
  const settle = (kind: string, result: { failed: number } | { lost: unknown; tries: number }, logged: Record<string, unknown>, msg: string): boolean => {
    if ('failed' in result) {
      if (result.failed > 0) deps.counters.inc(`cluster.${kind}.retried`);
      return true;
    }
    // A node stopping gives up quietly: its pool is closing under the try.
    if (stopped) return false;
    deps.counters.inc(`cluster.${kind}.lost`);
    deps.log.warn({ ...logged, attempts: result.tries, err: errorMessage(result.lost) }, msg);
    return false;
  };
  return {
    stop: () => void (stopped = true),
    async announce(channel, payload) {
      if (stopped) return false;
      const result = await tryAgainWhileFailing(() => deps.pool.query('SELECT pg_notify($1, $2)', [channel, payload]), opts);
      return settle('announce', result, { channel, payload: payload.slice(0, 200) }, 'change not announced to the other nodes');
    },
    async reread(what, read) {
      if (stopped) return false;
      const result = await tryAgainWhileFailing(read, opts);
      return settle('reread', result, what, 'a change another node announced could not be re-read');
    },
  };
}
