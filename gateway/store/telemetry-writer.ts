/**
 * Writer thread of the embedded telemetry store (node:worker_threads, started by
 * telemetry-writer-thread.ts). It owns the write connection to telemetry.sqlite: series id
 * resolution, JSON encoding of the fields, the insert transactions and retention, so none of that
 * runs on the event loop that handles alarms. Requests are handled one at a time, in order; each
 * insert is one transaction, reported once committed, so the store counts a point as written
 * only once it is on disk (in the staging table `recent`, telemetry-embedded-sql.ts). After
 * reporting an insert the thread compacts `recent` into the day tables when that is due; it
 * also compacts at start (rows a crashed writer left) and at close. Inserts sent meanwhile wait
 * in the message port.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { EmbeddedSql } from './telemetry-embedded-sql.js';
import { lowerThreadPriority } from './thread-priority.js';
import { unpackPoints, type FromWriter, type ToWriter, type WriterInit } from './telemetry-writer-protocol.js';

const port = parentPort;
if (!port) throw new Error('telemetry-writer runs as a worker thread');
/**
 * Below the event loop that handles alarms (STORE_THREAD_NICE): storage may then lag under load
 * (readings wait, bounded by the store's admission); a press never waits for it.
 */
lowerThreadPriority();
const init = workerData as WriterInit;
// Throws (the thread ends with an error, the store reports it) when the file cannot be opened.
const sql = new EmbeddedSql(new Database(init.file), init.compact);
/** Set by a 'crash' request (tests, drills): exit once this many more commits are done. */
let crashAfter: number | undefined;
/** The batch whose part failed: its later parts are refused, so a batch lands in order. */
let refused: number | undefined;

const send = (m: FromWriter): void => port.postMessage(m);
const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));
/** A failed compaction is no failed insert: its points are committed in `recent` and stay queryable. */
const compact = (): void => {
  try {
    sql.compact();
  } catch (err) {
    send({ t: 'compactFailed', error: message(err) });
  }
};

port.on('message', (m: ToWriter) => {
  switch (m.t) {
    case 'insert':
      if (m.batch === refused) {
        send({ t: 'failed', id: m.id, error: 'an earlier part of this batch was not committed' });
        return;
      }
      try {
        sql.insert(unpackPoints(m.points));
      } catch (err) {
        refused = m.batch;
        send({ t: 'failed', id: m.id, error: message(err) });
        return;
      }
      if (crashAfter !== undefined && --crashAfter <= 0) process.exit(70);
      send({ t: 'committed', id: m.id });
      if (sql.compactDue()) compact();
      return;
    case 'expire':
      try {
        send({ t: 'expired', id: m.id, gone: sql.expire(m.day, m.longBefore) });
      } catch (err) {
        send({ t: 'failed', id: m.id, error: message(err) });
      }
      return;
    case 'crash':
      if (m.afterCommits <= 0) process.exit(70);
      crashAfter = m.afterCommits;
      return;
    case 'close':
      compact();
      sql.close();
      process.exit(0);
  }
});
compact();
send({ t: 'ready' });
