/**
 * state.db's WAL checkpoints in a thread of their own (gateway/store/sqlite/checkpointer.ts):
 * a real file, a real worker thread and a second SQLite connection.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteStateStore } from '../../../gateway/store/sqlite/state-store.js';

const dirs: string[] = [];
const stores: SqliteStateStore[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function open(checkpointer: boolean): { store: SqliteStateStore; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'gw-ckpt-'));
  dirs.push(dir);
  const store = new SqliteStateStore(dir, checkpointer ? { checkpointer: { log: pino({ level: 'silent' }), everyMs: 60_000 } } : {});
  stores.push(store);
  return { store, dir };
}

const autoCheckpoint = (s: SqliteStateStore) => s.db.pragma('wal_autocheckpoint', { simple: true });
/** ~2,000 pages of device state (4 KB a page): past SQLite's default automatic checkpoint of 1,000. */
const fill = (s: SqliteStateStore) => s.setDeviceStates('state', Array.from({ length: 2000 }, (_v, i) => [`d-${i}`, { blob: 'x'.repeat(3000), i }] as const));

describe('state.db checkpoints in their own thread', () => {
  it('the gateway connection only appends to the log; the thread copies all of it back', async () => {
    const { store, dir } = open(true);
    expect(store.checkpointer?.running).toBe(true);
    expect(autoCheckpoint(store)).toBe(20_000);
    await fill(store);
    // No checkpoint ran in the commit: the write is in the log only, the database file as it was.
    const file = () => statSync(join(dir, 'state.db')).size;
    expect(statSync(join(dir, 'state.db-wal')).size).toBeGreaterThan(1000 * 4096);
    expect(file()).toBeLessThan(1024 * 1024);
    const r = await store.checkpointer?.report();
    expect(file()).toBeGreaterThan(1000 * 4096);
    expect(r?.failures).toBe(0);
    expect(r?.log).toBeGreaterThan(1000);
    expect(r?.checkpointed).toBe(r?.log);
    // What the thread wrote back is what the gateway reads.
    expect((await store.deviceStates<{ i: number }>('state')).get('d-1999')?.i).toBe(1999);
  });

  it('without the thread (or once it is gone) SQLite checkpoints in the commits as by default', async () => {
    const plain = open(false);
    expect(autoCheckpoint(plain.store)).toBe(1000);
    await fill(plain.store);
    // SQLite's own: the commit that passed 1,000 pages copied the log back.
    expect(statSync(join(plain.dir, 'state.db')).size).toBeGreaterThan(1000 * 4096);
    const { store } = open(true);
    const worker = (store.checkpointer as unknown as { worker: { terminate(): Promise<number> } }).worker;
    await worker.terminate();
    await expect.poll(() => autoCheckpoint(store), { timeout: 10_000 }).toBe(1000);
    expect(store.checkpointer?.running).toBe(false);
    expect(await store.checkpointer?.report()).toBeUndefined();
    // Writes go on.
    await fill(store);
  });

  it('close() ends the thread before the connection', async () => {
    const { store } = open(true);
    await fill(store);
    await store.close();
    expect(store.checkpointer?.running).toBe(false);
    expect(store.db.open).toBe(false);
  });
});
