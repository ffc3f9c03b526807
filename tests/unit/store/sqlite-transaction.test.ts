import Database from 'better-sqlite3';
import { describe, expect, it, vi } from 'vitest';
import { inTransaction } from '../../../gateway/store/sqlite/transaction.js';

function table(): Database.Database {
  const db = new Database(':memory:');
  db.exec('CREATE TABLE t (v INTEGER)');
  return db;
}
const values = (db: Database.Database) => (db.prepare('SELECT v FROM t ORDER BY v').all() as { v: number }[]).map((r) => r.v);

describe('inTransaction', () => {
  it('commits what the body wrote and returns what it returned', () => {
    const db = table();
    expect(inTransaction(db, () => db.prepare('INSERT INTO t VALUES (1)').run().changes)).toBe(1);
    expect(values(db)).toStrictEqual([1]);
    expect(db.inTransaction).toBe(false);
  });

  it('rolls everything back when the body throws, and throws it on', () => {
    const db = table();
    expect(() =>
      inTransaction(db, () => {
        db.prepare('INSERT INTO t VALUES (1)').run();
        throw new Error('no');
      }),
    ).toThrow('no');
    expect(values(db)).toStrictEqual([]);
    expect(db.inTransaction).toBe(false);
  });

  it('nests as a savepoint: a failed inner body undoes only its own writes', () => {
    const db = table();
    inTransaction(db, () => {
      db.prepare('INSERT INTO t VALUES (1)').run();
      expect(() =>
        inTransaction(db, () => {
          db.prepare('INSERT INTO t VALUES (2)').run();
          throw new Error('inner');
        }),
      ).toThrow('inner');
      db.prepare('INSERT INTO t VALUES (3)').run();
    });
    expect(values(db)).toStrictEqual([1, 3]);
  });

  it('makes the transaction function once per database, not once per call', () => {
    const db = table();
    const made = vi.spyOn(db, 'transaction');
    for (let i = 0; i < 5; i++) inTransaction(db, () => db.prepare('INSERT INTO t VALUES (?)').run(i));
    expect(made).toHaveBeenCalledTimes(1);
    expect(values(db)).toStrictEqual([0, 1, 2, 3, 4]);
    const other = table();
    const madeOther = vi.spyOn(other, 'transaction');
    inTransaction(other, () => other.prepare('INSERT INTO t VALUES (9)').run());
    expect(madeOther).toHaveBeenCalledTimes(1);
    expect(values(other)).toStrictEqual([9]);
  });
});
