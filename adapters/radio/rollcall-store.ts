/**
 * Pending roll-calls across a restart (a kill -9 too): which radio gateways each broadcast ref
 * was sent through (only those may answer its roll-call) and the units that answered, in one
 * SQLite file in the adapter's data dir (ctx.dataDir/radio-rollcalls.db). Written on each
 * change before it is reported; read back when the adapter is made. The newest `retainRefs`
 * refs are kept, as in memory. A write that fails (disk full) is counted and logged by the
 * caller; the adapter keeps working from memory.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { RollCallAck } from './adapter-api.js';

export const ROLLCALL_FILE = 'radio-rollcalls.db';

export interface StoredRollCalls {
  /** ref → radio gateways it was sent through, oldest ref first. */
  sent: [string, string[]][];
  /** ref → the acks received, in the order they came. */
  acks: [string, RollCallAck[]][];
}

export class RollCallStore {
  private readonly db: Database.Database;
  private readonly addSent: Database.Statement;
  private readonly addAck: Database.Statement;
  private readonly trim: Database.Statement;
  private writes = 0;
  writeFailures = 0;

  constructor(
    dataDir: string,
    private readonly retainRefs: number,
    private readonly onWriteError: (err: unknown, failures: number) => void = () => undefined,
  ) {
    mkdirSync(dataDir, { recursive: true });
    this.db = new Database(join(dataDir, ROLLCALL_FILE));
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(`CREATE TABLE IF NOT EXISTS sent (ref TEXT NOT NULL, radio_id TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (ref, radio_id)) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS acks (ref TEXT NOT NULL, unit TEXT NOT NULL, seq INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (ref, unit)) WITHOUT ROWID;`);
    const next = "(SELECT COALESCE(MAX(seq), 0) + 1 FROM sent)";
    this.addSent = this.db.prepare(`INSERT INTO sent (ref, radio_id, seq) VALUES (?, ?, ${next}) ON CONFLICT (ref, radio_id) DO UPDATE SET seq = excluded.seq`);
    this.addAck = this.db.prepare(`INSERT OR IGNORE INTO acks (ref, unit, seq, data) VALUES (?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM acks), ?)`);
    this.trim = this.db.prepare(
      `DELETE FROM sent WHERE ref NOT IN (SELECT ref FROM (SELECT ref, MAX(seq) AS s FROM sent GROUP BY ref ORDER BY s DESC LIMIT ?))`,
    );
  }

  load(): StoredRollCalls {
    this.write(() => this.prune());
    const sent = new Map<string, string[]>();
    for (const r of this.db.prepare('SELECT ref, radio_id FROM sent ORDER BY seq').all() as { ref: string; radio_id: string }[]) {
      sent.delete(r.ref);
      sent.set(r.ref, [...(sent.get(r.ref) ?? []), r.radio_id]);
    }
    const acks = new Map<string, RollCallAck[]>();
    for (const r of this.db.prepare('SELECT ref, data FROM acks ORDER BY seq').all() as { ref: string; data: string }[]) {
      try {
        acks.set(r.ref, [...(acks.get(r.ref) ?? []), JSON.parse(r.data) as RollCallAck]);
      } catch {
        // A damaged row is skipped: the unit's answer is missing, never misattributed.
      }
    }
    return { sent: [...sent], acks: [...acks] };
  }

  sent(ref: string, radioId: string): void {
    this.write(() => {
      this.addSent.run(ref, radioId);
      if (++this.writes % 100 === 0) this.prune();
    });
  }

  ack(a: RollCallAck): void {
    this.write(() => this.addAck.run(a.ref, a.unit, JSON.stringify(a)));
  }

  get open(): boolean {
    return this.db.open;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  private prune(): void {
    this.trim.run(this.retainRefs);
    this.db.prepare('DELETE FROM acks WHERE ref NOT IN (SELECT ref FROM sent)').run();
  }

  private write(fn: () => void): void {
    if (!this.db.open) return;
    try {
      fn();
    } catch (err) {
      this.writeFailures++;
      this.onWriteError(err, this.writeFailures);
    }
  }
}
