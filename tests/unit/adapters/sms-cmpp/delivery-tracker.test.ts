/**
 * Per-recipient states and their durability: every change reaches the store, and a tracker
 * built from the store (a restart) matches reports to the recipients of earlier submits.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DeliveryTracker, MemoryRecipientStore } from '../../../../adapters/sms-cmpp/delivery-tracker.js';
import { SqliteRecipientStore } from '../../../../adapters/sms-cmpp/recipient-store.js';
import { classifyStat } from '../../../../adapters/sms-cmpp/report-stat.js';

const A = '13800138000';
const B = '13900139000';
const opts = { orphanTtlMs: 1000 };

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('CMPP delivery tracker', () => {
  it('queued → sent when every part has a Msg_Id → delivered when every part says DELIVRD', () => {
    const t = new DeliveryTracker(new MemoryRecipientStore(), opts);
    expect(t.enqueue('b1', A, 2, 9, 100).change?.status.state).toBe('queued');
    expect(t.accepted('b1', A, 1, 'aa01', 110)).toStrictEqual([]);
    const [sent] = t.accepted('b1', A, 2, 'aa02', 120);
    expect(sent).toMatchObject({ previous: 'queued', cause: 'accepted', status: { state: 'sent', accepted: 2, msgIds: ['aa01', 'aa02'], sentAt: 120 } });
    expect(t.report({ msgId: 'aa01', stat: 'DELIVRD' }, 130).change).toBeUndefined();
    const last = t.report({ msgId: 'aa02', stat: 'DELIVRD' }, 140);
    expect(last.change?.status).toStrictEqual({
      ref: 'b1',
      recipient: A,
      state: 'delivered',
      parts: 2,
      accepted: 2,
      delivered: 2,
      msgIds: ['aa01', 'aa02'],
      lastStat: 'DELIVRD',
      evidence: 'report',
      queuedAt: 100,
      sentAt: 120,
      doneAt: 140,
    });
    // The ISMG resends a report whose DELIVER_RESP it missed: nothing changes.
    expect(t.report({ msgId: 'aa02', stat: 'DELIVRD' }, 150)).toMatchObject({ matched: true, duplicate: true });
  });

  it('a failure report fails the recipient with the Stat as reason; ISMG codes count as UNDELIV', () => {
    const t = new DeliveryTracker(new MemoryRecipientStore(), opts);
    t.enqueue('b1', A, 1, 1, 0);
    t.enqueue('b1', B, 1, 2, 0);
    t.accepted('b1', A, 1, 'a1', 1);
    t.accepted('b1', B, 1, 'b1', 1);
    expect(t.report({ msgId: 'a1', stat: 'EXPIRED' }, 2).change?.status).toMatchObject({ state: 'failed', reason: 'EXPIRED', detail: 'stat:EXPIRED' });
    expect(t.report({ msgId: 'b1', stat: 'MB:0054' }, 2).change?.status).toMatchObject({ state: 'failed', reason: 'UNDELIV', detail: 'stat:MB:0054' });
    expect(classifyStat('ACCEPTD')).toStrictEqual({ outcome: 'pending' });
  });

  it('a report that overtakes its SUBMIT_RESP waits as an orphan and applies when the Msg_Id appears', () => {
    const t = new DeliveryTracker(new MemoryRecipientStore(), opts);
    t.enqueue('b1', A, 1, 1, 0);
    expect(t.report({ msgId: 'x1', stat: 'DELIVRD' }, 5)).toStrictEqual({ matched: false, duplicate: false, orphan: true });
    expect(t.accepted('b1', A, 1, 'x1', 6).map((c) => c.status.state)).toStrictEqual(['sent', 'delivered']);
    t.report({ msgId: 'nobody', stat: 'DELIVRD' }, 7);
    expect(t.expireOrphans(2000)).toStrictEqual([{ msgId: 'nobody', stat: 'DELIVRD' }]);
  });

  it('the same (ref, recipient) is queued once; a NOT_SENT recipient with nothing accepted may be queued again', () => {
    const t = new DeliveryTracker(new MemoryRecipientStore(), opts);
    expect(t.enqueue('b1', A, 1, 1, 0).isNew).toBe(true);
    expect(t.enqueue('b1', A, 1, 1, 1).isNew).toBe(false);
    t.rejected('b1', A, 'NOT_SENT', 'cancelled', 2);
    expect(t.enqueue('b1', A, 1, 1, 3)).toMatchObject({ isNew: true, change: { previous: 'failed', status: { state: 'queued' } } });
  });

  it('a reply marks the latest broadcast that reached that number, +86 or not', () => {
    const t = new DeliveryTracker(new MemoryRecipientStore(), opts);
    for (const [ref, at] of [['b1', 0], ['b2', 10]] as const) {
      t.enqueue(ref, A, 1, 1, at);
      t.accepted(ref, A, 1, `${ref}-id`, at + 1);
    }
    expect(t.reply(`86${A}`, 20)).toMatchObject({ previous: 'sent', cause: 'reply', status: { ref: 'b2', state: 'delivered', evidence: 'reply', repliedAt: 20 } });
  });

  it('survives a restart through SQLite: Msg_Ids, states and pending parts come back', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cmpp-store-'));
    dirs.push(dir);
    const store = new SqliteRecipientStore(dir);
    const t = new DeliveryTracker(store, opts);
    t.enqueue('b1', A, 1, 5, 0);
    t.accepted('b1', A, 1, 'f00d', 1);
    t.enqueue('b1', B, 3, 6, 0);
    t.accepted('b1', B, 1, 'beef', 1);
    store.close();

    const again = new DeliveryTracker(new SqliteRecipientStore(dir), opts);
    expect(again.list('b1').map((s) => [s.recipient, s.state, s.msgIds])).toStrictEqual([
      [A, 'sent', ['f00d']],
      [B, 'queued', ['beef', '', '']],
    ]);
    expect(again.pendingParts('b1', B)).toStrictEqual({ indexes: [2, 3], concatRef: 6 });
    expect(again.report({ msgId: 'f00d', stat: 'DELIVRD' }, 5).change?.status).toMatchObject({ recipient: A, state: 'delivered' });
  });

  it('a store write that fails is reported, never thrown into the link; a closed store writes nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cmpp-store-'));
    dirs.push(dir);
    const failures: number[] = [];
    const store = new SqliteRecipientStore(dir, (_err, n) => failures.push(n));
    const t = new DeliveryTracker(store, opts);
    t.enqueue('b1', A, 1, 1, 0);
    // A row JSON cannot hold stands in for a failing disk.
    const poisoned = { status: { ref: 'x', recipient: A }, toJSON: () => { throw new Error('disk full'); } } as never;
    expect(() => store.save(poisoned)).not.toThrow();
    expect(failures).toStrictEqual([1]);
    store.close();
    expect(() => t.accepted('b1', A, 1, 'id', 1)).not.toThrow();
    expect(t.get('b1', A)?.state).toBe('sent');
  });

  it('prunes recipients untouched for the retention time, in memory and in the store', () => {
    const store = new MemoryRecipientStore();
    const t = new DeliveryTracker(store, opts);
    t.enqueue('old', A, 1, 1, 0);
    t.accepted('old', A, 1, 'o1', 0);
    t.enqueue('new', A, 1, 1, 900);
    expect(t.prune(1000, 500)).toBe(1);
    expect([...store.rows.values()].map((r) => r.status.ref)).toStrictEqual(['new']);
    expect(t.report({ msgId: 'o1', stat: 'DELIVRD' }, 1001)).toMatchObject({ orphan: true });
  });
});
