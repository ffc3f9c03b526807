/**
 * The durable side of the SMPP delivery tracker (as adapters/sms-cmpp/recipient-store.ts):
 * one SQLite table in the adapter's data dir (ctx.dataDir/smpp-recipients.db), a row per
 * (broadcast, recipient) holding its state and the message_id of every part. Written on every
 * change, before the change is reported, so a receipt for a message submitted before a restart
 * (even a kill -9) still finds its recipient. WAL with synchronous=NORMAL: a process crash loses
 * nothing committed; a power cut may lose the last moments (a receipt for such a part is then
 * reported unmatched, never misapplied).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { errorMessage } from '../../gateway/contract/errors.js';
import type { RecipientStore, StoredRecipient } from './delivery-tracker.js';
import { SMS_ERRORS } from './errors.js';

export const STORE_FILE = 'smpp-recipients.db';

function isStored(v: unknown): v is StoredRecipient {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Partial<StoredRecipient>;
  return (
    typeof r.status === 'object' &&
    r.status !== null &&
    typeof r.status.ref === 'string' &&
    typeof r.status.recipient === 'string' &&
    Array.isArray(r.status.messageIds) &&
    Array.isArray(r.parts) &&
    r.parts.length === r.status.parts &&
    typeof r.touchedAt === 'number'
  );
}

export class SqliteRecipientStore implements RecipientStore {
  private readonly db: Database.Database;
  private readonly upsert: Database.Statement;
  private readonly del: Database.Statement;
  /** Rows that could not be read back (a damaged file): counted, skipped, never fatal. */
  unreadable = 0;
  /** Writes that failed (disk full…): reported through onWriteError, never thrown into the link. */
  writeFailures = 0;

  constructor(
    dataDir: string,
    private readonly onWriteError: (err: unknown, failures: number) => void = () => undefined,
  ) {
    try {
      mkdirSync(dataDir, { recursive: true });
      this.db = new Database(join(dataDir, STORE_FILE));
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
      throw SMS_ERRORS.error('GW_ERR_SMS_STORE', `cannot open ${join(dataDir, STORE_FILE)}: ${errorMessage(err)}`, { cause: err });
    }
  }

  load(): StoredRecipient[] {
    const rows = this.db.prepare('SELECT data FROM recipients').all() as { data: string }[];
    const out: StoredRecipient[] = [];
    for (const row of rows) {
      let v: unknown;
      try {
        v = JSON.parse(row.data);
      } catch {
        v = undefined;
      }
      if (isStored(v)) out.push(v);
      else this.unreadable++;
    }
    return out;
  }

  save(r: StoredRecipient): void {
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
      this.onWriteError(err, this.writeFailures);
    }
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
