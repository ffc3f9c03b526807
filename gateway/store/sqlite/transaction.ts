/**
 * Runs `body` in a transaction on `db` (a savepoint when one is already open), with one
 * transaction function per database made once. `db.transaction(fn)` makes four wrapper
 * functions and gives each five properties every time it is called: done for every write
 * (a press's raise, its 110 entry, each broadcast recipient's move), that was ~5 KB and a few
 * microseconds a write (sampling heap profile under press-110: ~220 bytes for every message
 * the gateway handled, from ~19 transactions a press).
 */
import type Database from 'better-sqlite3';

const runners = new WeakMap<Database.Database, (body: () => unknown) => unknown>();

export function inTransaction<T>(db: Database.Database, body: () => T): T {
  let run = runners.get(db);
  if (!run) {
    run = db.transaction((b: () => unknown) => b());
    runners.set(db, run);
  }
  return run(body) as T;
}
