import { describe, expect, it } from 'vitest';
import { addressOn, canMove, isRollCallConfirm, normalizePhone, samePhone, satisfied } from '../../../../gateway/core/broadcast/recipient.js';
import { tally } from '../../../../gateway/core/broadcast/tally.js';
import type { BroadcastRecipient, RecipientState } from '../../../../gateway/core/broadcast/types.js';

const r = (state: RecipientState): BroadcastRecipient => ({ id: 'r', name: 'n', group: 'g', channels: ['sms'], state, at: {}, attempts: [] });

describe('recipient rules', () => {
  it('tallies people by the furthest state reached', () => {
    const states: RecipientState[] = ['queued', 'sent', 'sent', 'delivered', 'confirmed', 'confirmed', 'failed'];
    expect(tally(states.map(r))).toStrictEqual({ total: 7, sent: 5, delivered: 3, confirmed: 2, failed: 1 });
    expect(tally([])).toStrictEqual({ total: 0, sent: 0, delivered: 0, confirmed: 0, failed: 0 });
  });

  it('only moves forward; confirmed is final; a failed person can still confirm', () => {
    const all: RecipientState[] = ['queued', 'sent', 'delivered', 'confirmed', 'failed'];
    const table = Object.fromEntries(all.map((from) => [from, all.filter((to) => canMove(from, to))]));
    expect(table).toStrictEqual({
      queued: ['sent', 'delivered', 'confirmed', 'failed'],
      sent: ['delivered', 'confirmed', 'failed'],
      delivered: ['confirmed'],
      confirmed: [],
      failed: ['confirmed'],
    });
  });

  it('needs delivered or confirmed before a person stays on their channel', () => {
    expect([satisfied(r('sent'), 'delivered'), satisfied(r('delivered'), 'delivered'), satisfied(r('delivered'), 'confirmed'), satisfied(r('confirmed'), 'confirmed')]).toStrictEqual([
      false,
      true,
      false,
      true,
    ]);
  });

  it('recognises roll-call answers', () => {
    const codes = ['1', '收到', 'OK'];
    const yes = ['1', ' 1 ', '１', '1。', '收到', '收到，北门已关闭', '“收到”', '收到了', 'ok', 'OK, on my way'];
    const no = ['10分钟后到', '11', '好的', '', 'okay', '未收到'];
    expect(yes.filter((t) => !isRollCallConfirm(t, codes))).toStrictEqual([]);
    expect(no.filter((t) => isRollCallConfirm(t, codes))).toStrictEqual([]);
  });

  it('compares phone numbers without the country code', () => {
    expect(['8613805710101', '+86 138-0571-0101', '008613805710101', '13805710101'].map(normalizePhone)).toStrictEqual(Array(4).fill('13805710101'));
    expect(samePhone('8613805710101', '13805710101')).toBe(true);
    expect(samePhone('13805710102', '13805710101')).toBe(false);
    expect(samePhone('', '')).toBe(false);
  });

  it('addresses a person by phone on SMS and by unit, else talkgroup, on radio', () => {
    const c = { name: 'x', phone: '1', radio: { talkgroup: 'tg', unit: 'U1' } };
    expect([addressOn('sms', c), addressOn('radio', c), addressOn('radio', { name: 'y', radio: { talkgroup: 'tg' } }), addressOn('sms', { name: 'z' })]).toStrictEqual(['1', 'U1', 'tg', undefined]);
  });
});
