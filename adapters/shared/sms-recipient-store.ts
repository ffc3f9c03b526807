/**
 * The durable side of an SMS adapter's delivery tracker (sms-smpp, sms-cmpp): one SQLite table
 * in the adapter's data dir, a row per (broadcast, recipient) holding its state and the id the
 * carrier gave every part. Written on every change, before the change is reported, so a receipt
 * for a message submitted before a restart (even a kill -9) still finds its recipient. WAL with
 * synchronous=NORMAL: a process crash loses nothing committed; a power cut may lose the last
 * moments (a receipt for such a part is then reported unmatched, never misapplied).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { errorMessage } from '../../gateway/contract/errors.js';

/** What a tracker keeps of one recipient (each adapter adds its own protocol's fields). */
export interface StoredRecipientBase {
  status: { ref: string; recipient: string };
  touchedAt: number;
}

export interface RecipientStoreOptions<T> {
  dataDir: string;
  /** The database's file name in dataDir. */
  file: string;
  /** Whether a row read back is one this adapter wrote (a damaged or foreign row is skipped and counted). */
  isStored(v: unknown): v is T;
  /** The adapter's coded error for a store that cannot be opened. */
  openError(message: string, cause: unknown): Error;
  /** Called on each failed write with the count so far (disk full…); never thrown into the link. */
  onWriteError?: (err: unknown, failures: number) => void;
}

export class SqliteRecipientStore<T extends StoredRecipientBase> {
  private readonly db: Database.Database;
  private readonly upsert: Database.Statement;
  private readonly del: Database.Statement;
  /** Rows that could not be read back (a damaged file): counted, skipped, never fatal. */
  unreadable = 0;
  /** Writes that failed (disk full…): reported through onWriteError, never thrown into the link. */
  writeFailures = 0;

  constructor(private readonly o: RecipientStoreOptions<T>) {
    const path = join(o.dataDir, o.file);
    try {
      mkdirSync(o.dataDir, { recursive: true });
      this.db = new Database(path);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.db.pragma('busy_timeout = 5000');
      this.db.exec(`CREATE TABLE IF NOT EXISTS recipients (
        ref TEXT NOT NULL,
        recipient TEXT NOT NULL,
        touched_at INTEGER NOT NULL,
        data TEXT NOT NULL,
        PRIMARY KEY (ref, recipient)
      ) WITHOUT ROWID`);
      this.upsert = this.db.prepare('INSERT INTO recipients (ref, recipient, touched_at, data) VALUES (?, ?, ?, ?) ON CONFLICT (ref, recipient) DO UPDATE SET touched_at = excluded.touched_at, data = excluded.data');
      this.del = this.db.prepare('DELETE FROM recipients WHERE ref = ? AND recipient = ?');
    } catch (err) {
      throw o.openError(`cannot open ${path}: ${errorMessage(err)}`, err);
    }
  }

  load(): T[] {
    const rows = this.db.prepare('SELECT data FROM recipients').all() as { data: string }[];
    const out: T[] = [];
    for (const row of rows) {
      let v: unknown;
      try {
        v = JSON.parse(row.data);
      } catch {
        v = undefined;
      }
      if (this.o.isStored(v)) out.push(v);
      else this.unreadable++;
    }
    return out;
  }

  save(r: T): void {
    this.write(() => this.upsert.run(r.status.ref, r.status.recipient, r.touchedAt, JSON.stringify(r)));
  }

  remove(keys: { ref: string; recipient: string }[]): void {
    this.write(() =>
      this.db.transaction(() => {
        for (const k of keys) this.del.run(k.ref, k.recipient);
      })(),
    );
  }

  /** The tracker's state in memory stays right when a write fails; only a restart would miss it. */
  private write(fn: () => unknown): void {
    if (!this.db.open) return;
    try {
      fn();
    } catch (err) {
      this.writeFailures++;
      this.o.onWriteError?.(err, this.writeFailures);
    }
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
