/** The board's "escalated to … at …" line and the unanswered tag come from the alarm's timeline. */
import { describe, expect, it } from 'vitest';
import { escalationOf } from '../../../dashboard/src/derive.js';
import type { Alarm } from '../../../dashboard/src/model.js';

const T0 = Date.UTC(2026, 10, 3, 6, 5, 0);
const entry = (at: number, round: number, step: number, who: string, channel: string) => ({ at, action: 'escalated', by: 'escalation', data: { policy: 'life-safety', round, step, who, channel, receipt: 'queued' } });
const alarm = (timeline: Alarm['timeline']): Alarm =>
  ({ id: 'a1', type: 'panic', severity: 'critical', siteId: 'sch-01', state: 'active', raisedAt: T0, updatedAt: T0, repeats: 0, drill: false, summary: '一键报警', timeline: [{ at: T0, action: 'raised', by: 'sch-01-btn-1' }, ...timeline] }) as Alarm;

describe('escalationOf', () => {
  it('names the people of the latest step, once each, and counts the board steps', () => {
    const a = alarm([
      entry(T0 + 60_000, 1, 1, 'board', 'board'),
      entry(T0 + 60_000, 1, 1, '带班所领导 周立新', 'radio'),
      entry(T0 + 60_000, 1, 1, '带班所领导 周立新', 'sms'),
      entry(T0 + 180_000, 1, 2, 'board', 'board'),
      entry(T0 + 180_000, 1, 2, '派出所所长 陈志刚', 'sms'),
    ]);
    expect(escalationOf(a)).toStrictEqual({ who: ['派出所所长 陈志刚'], at: T0 + 180_000, boardSteps: 2, unanswered: false });
  });

  it('says unanswered once the policy ran out, and nothing before any step', () => {
    expect(escalationOf(alarm([]))).toBeUndefined();
    const done = alarm([entry(T0 + 60_000, 1, 1, 'board', 'board'), { at: T0 + 60_000, action: 'unanswered', by: 'escalation' }]);
    expect(escalationOf(done)).toStrictEqual({ who: [], at: T0 + 60_000, boardSteps: 1, unanswered: true });
  });
});
