import { describe, expect, it } from 'vitest';
import { DeliveryTracker, sameNumber, type RecipientStatus } from '../../../../adapters/sms-smpp/delivery-tracker.js';
import type { Receipt } from '../../../../adapters/sms-smpp/receipt-codec.js';

const A = '13805710101';

function tracker(suspectWithinMs = 0): DeliveryTracker {
  return new DeliveryTracker({ idMatch: 'flexible', suspectWithinMs, orphanTtlMs: 1000 });
}

function receipt(messageId: string, stat: string, extra: Partial<Receipt> = {}): Receipt {
  const outcome = stat === 'DELIVRD' ? 'delivered' : stat === 'ENROUTE' ? 'pending' : 'failed';
  return { messageId, stat, outcome, ...(outcome === 'failed' ? { reason: stat as Receipt['reason'] } : {}), source: 'text', ...extra } as Receipt;
}

const base = (over: Partial<RecipientStatus>): RecipientStatus => ({
  ref: 'b1',
  recipient: A,
  state: 'queued',
  parts: 1,
  accepted: 0,
  delivered: 0,
  messageIds: [''],
  queuedAt: 100,
  ...over,
});

describe('DeliveryTracker', () => {
  it('walks queued → sent → delivered for a one-part message', () => {
    const t = tracker();
    const q = t.enqueue('b1', A, 1, 100);
    expect(q.change).toStrictEqual({ status: base({}), previous: undefined, cause: 'queued' });
    expect(t.accepted('b1', A, 1, 'abc', 110)).toStrictEqual([
      { status: base({ state: 'sent', accepted: 1, messageIds: ['abc'], sentAt: 110 }), previous: 'queued', cause: 'accepted' },
    ]);
    const m = t.receipt(receipt('ABC', 'DELIVRD'), 5000);
    const done = base({ state: 'delivered', accepted: 1, delivered: 1, messageIds: ['abc'], sentAt: 110, doneAt: 5000, lastStat: 'DELIVRD', evidence: 'receipt' });
    expect(m).toStrictEqual({
      matched: true,
      duplicate: false,
      orphan: false,
      status: done,
      change: { status: done, previous: 'sent', cause: 'receipt', receipt: receipt('ABC', 'DELIVRD') },
    });
  });

  it('waits for every part: sent after the last acceptance, delivered after the last DELIVRD', () => {
    const t = tracker();
    t.enqueue('b1', A, 2, 0);
    expect(t.accepted('b1', A, 2, 'p2', 1)).toStrictEqual([]);
    expect(t.accepted('b1', A, 1, 'p1', 2).map((c) => c.status.state)).toStrictEqual(['sent']);
    expect(t.receipt(receipt('p1', 'DELIVRD'), 3).change).toBeUndefined();
    expect(t.get('b1', A)).toMatchObject({ state: 'sent', delivered: 1, messageIds: ['p1', 'p2'] });
    expect(t.receipt(receipt('p2', 'DELIVRD'), 4).change?.status.state).toBe('delivered');
  });

  it('fails the recipient on any part failing, with the receipt reason and err', () => {
    const t = tracker();
    t.enqueue('b1', A, 2, 0);
    t.accepted('b1', A, 1, 'p1', 1);
    const m = t.receipt(receipt('p1', 'EXPIRED', { err: '027' }), 2);
    expect(m.change?.status).toMatchObject({ state: 'failed', reason: 'EXPIRED', detail: 'stat:EXPIRED err:027', doneAt: 2 });
    expect(m.change?.previous).toBe('queued');
    expect(t.accepted('b1', A, 2, 'p2', 3)).toStrictEqual([]);
    expect(t.receipt(receipt('p2', 'DELIVRD'), 4)).toMatchObject({ matched: true, duplicate: false });
    expect(t.get('b1', A)?.state).toBe('failed');
  });

  it('treats intermediate receipts as news, not state, and repeated final receipts as duplicates', () => {
    const t = tracker();
    t.enqueue('b1', A, 1, 0);
    t.accepted('b1', A, 1, 'x', 1);
    expect(t.receipt(receipt('x', 'ENROUTE'), 2)).toMatchObject({ matched: true, duplicate: false, status: { state: 'sent', lastStat: 'ENROUTE' } });
    t.receipt(receipt('x', 'DELIVRD'), 3);
    const again = t.receipt(receipt('x', 'UNDELIV'), 4);
    expect([again.duplicate, again.change, again.status?.state]).toStrictEqual([true, undefined, 'delivered']);
  });

  it('keeps a receipt that overtakes its submit_sm_resp and applies it on acceptance', () => {
    const t = tracker(1000);
    t.enqueue('b1', A, 1, 0);
    expect(t.receipt(receipt('77', 'DELIVRD'), 10)).toStrictEqual({ matched: false, duplicate: false, orphan: true });
    const changes = t.accepted('b1', A, 1, '77', 20);
    expect(changes.map((c) => [c.cause, c.status.state, c.status.suspect])).toStrictEqual([
      ['accepted', 'sent', undefined],
      ['receipt', 'delivered', true],
    ]);
    expect(t.expireOrphans(10_000)).toStrictEqual([]);
  });

  it('flags suspiciously fast DELIVRD and not a plausible one', () => {
    const t = tracker(1000);
    for (const [ref, at] of [['fast', 300], ['slow', 4000]] as const) {
      t.enqueue(ref, A, 1, 0);
      t.accepted(ref, A, 1, `id-${ref}`, 100);
      t.receipt(receipt(`id-${ref}`, 'DELIVRD'), at);
    }
    expect([t.get('fast', A)?.suspect, t.get('slow', A)?.suspect]).toStrictEqual([true, undefined]);
  });

  it('expires unclaimed receipts after the TTL', () => {
    const t = tracker();
    t.receipt(receipt('ghost', 'DELIVRD'), 0);
    expect(t.expireOrphans(500)).toStrictEqual([]);
    expect(t.expireOrphans(1001)).toStrictEqual([receipt('ghost', 'DELIVRD')]);
  });

  it('does not enqueue a recipient twice, except one the SMSC never accepted', () => {
    const t = tracker();
    t.enqueue('b1', A, 1, 0);
    expect(t.enqueue('b1', A, 1, 1).isNew).toBe(false);
    expect(t.rejected('b1', A, 'NOT_SENT', 'cancelled', 2)?.status).toMatchObject({ state: 'failed', reason: 'NOT_SENT' });
    const again = t.enqueue('b1', A, 1, 3);
    expect([again.isNew, again.change?.previous, again.status.state]).toStrictEqual([true, 'failed', 'queued']);
    t.accepted('b1', A, 1, 'm', 4);
    t.receipt(receipt('m', 'UNDELIV'), 5);
    expect(t.enqueue('b1', A, 1, 6).isNew).toBe(false);
  });

  it('ignores a rejection after a final state', () => {
    const t = tracker();
    t.enqueue('b1', A, 1, 0);
    t.accepted('b1', A, 1, 'm', 1);
    t.receipt(receipt('m', 'DELIVRD'), 2);
    expect(t.rejected('b1', A, 'SUBMIT_REJECTED', 'x', 3)).toBeUndefined();
  });

  it('turns sent into delivered on a reply from the recipient, picking the latest broadcast to that number', () => {
    const t = tracker();
    t.enqueue('old', A, 1, 0);
    t.accepted('old', A, 1, 'o', 1);
    t.enqueue('new', A, 1, 10);
    t.accepted('new', A, 1, 'n', 11);
    const c = t.reply(`+86${A}`, 20);
    expect([c?.status.ref, c?.previous, c?.status.state, c?.status.evidence, c?.status.repliedAt]).toStrictEqual(['new', 'sent', 'delivered', 'reply', 20]);
    expect(t.get('old', A)?.state).toBe('sent');
    expect(t.reply('13900000000', 30)).toBeUndefined();
  });

  it('forgets entries untouched for the retention time, with their ids', () => {
    const t = tracker();
    t.enqueue('b1', A, 1, 0);
    t.accepted('b1', A, 1, 'm', 1);
    expect(t.prune(500, 1000)).toBe(0);
    expect(t.prune(5000, 1000)).toBe(1);
    expect(t.list()).toStrictEqual([]);
    expect(t.receipt(receipt('m', 'DELIVRD'), 5001).orphan).toBe(true);
  });
});

describe('sameNumber', () => {
  it('matches a number with and without country code or trunk prefix, and nothing looser', () => {
    expect([
      sameNumber('13805710101', '+8613805710101'),
      sameNumber('013805710101', '13805710101'),
      sameNumber('13805710101', '13805710102'),
      sameNumber('0101', '13805710101'),
      sameNumber('', ''),
    ]).toStrictEqual([true, true, false, false, false]);
  });
});
