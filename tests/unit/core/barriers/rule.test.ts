import { describe, expect, it } from 'vitest';
import { BarrierRule, type RuleSite } from '../../../../gateway/core/barriers/rule.js';

/** Shanghai school: entry 07:30–08:30, exit 16:30–17:30 on school days; 2026-10-01 is a holiday. */
const SCHOOL: RuleSite = {
  id: 'sch-01',
  timeZone: 'Asia/Shanghai',
  protectionWindows: [
    { days: [1, 2, 3, 4, 5], start: '07:30', end: '08:30', label: 'entry' },
    { days: [1, 2, 3, 4, 5], start: '16:30', end: '17:30', label: 'exit' },
  ],
  holidays: ['2026-10-01'],
};

const MIN = 60_000;
/** Local Shanghai wall time (UTC+8) to an instant. */
const sh = (date: string, hhmm: string) => Date.parse(`${date}T${hhmm}:00+08:00`);
const MONDAY = '2026-09-07';
const SUNDAY = '2026-09-06';

function rule(graceMs = 5 * MIN) {
  return new BarrierRule({ graceMs, siteOf: (id) => (id.startsWith('bar') ? SCHOOL : undefined) });
}

describe('BarrierRule', () => {
  it('lowered at 07:40 on a school day: alarm once the grace period has run out', () => {
    const r = rule();
    const at = sh(MONDAY, '07:40');
    expect(r.position('bar-1', 'lowered', at)).toStrictEqual([]);
    expect(r.nextDeadline(at)).toBe(sh(MONDAY, '07:45'));
    expect(r.tick(sh(MONDAY, '07:45') - 1)).toStrictEqual([]);
    expect(r.tick(sh(MONDAY, '07:45'))).toStrictEqual([
      {
        raise: 'barrier-down-in-window',
        deviceId: 'bar-1',
        siteId: 'sch-01',
        at: sh(MONDAY, '07:45'),
        detail: 'lowered for 300 s during protection window entry',
      },
    ]);
    // Raised once, not on every tick or repeated position report.
    expect(r.tick(sh(MONDAY, '07:50'))).toStrictEqual([]);
    expect(r.position('bar-1', 'lowered', sh(MONDAY, '07:51'))).toStrictEqual([]);
  });

  it('a grace period already run out when the position is handled is due at once', () => {
    // Received at 07:40 but handled (position, then the timer armed) only after the grace period.
    const r = rule();
    expect(r.position('bar-1', 'lowered', sh(MONDAY, '07:40'))).toStrictEqual([]);
    expect(r.nextDeadline(sh(MONDAY, '07:46'))).toBe(sh(MONDAY, '07:46'));
    expect(r.tick(sh(MONDAY, '07:46'))).toMatchObject([{ raise: 'barrier-down-in-window', deviceId: 'bar-1', at: sh(MONDAY, '07:46') }]);
    // Alarmed: nothing due now any more, the window's end next.
    expect(r.nextDeadline(sh(MONDAY, '07:46'))).toBe(sh(MONDAY, '08:30'));
  });

  it('raising the barrier clears the alarm', () => {
    const r = rule();
    r.position('bar-1', 'lowered', sh(MONDAY, '07:40'));
    r.tick(sh(MONDAY, '07:46'));
    expect(r.position('bar-1', 'moving', sh(MONDAY, '07:47'))).toStrictEqual([]);
    expect(r.position('bar-1', 'raised', sh(MONDAY, '07:48'))).toStrictEqual([
      { clear: 'barrier-down-in-window', deviceId: 'bar-1', siteId: 'sch-01', at: sh(MONDAY, '07:48'), reason: 'raised' },
    ]);
    expect(r.nextDeadline(sh(MONDAY, '07:48'))).toBeUndefined();
  });

  it('lowered on a Sunday: nothing, until Monday entry plus grace', () => {
    const r = rule();
    expect(r.position('bar-1', 'lowered', sh(SUNDAY, '07:40'))).toStrictEqual([]);
    expect(r.tick(sh(SUNDAY, '12:00'))).toStrictEqual([]);
    expect(r.nextDeadline(sh(SUNDAY, '12:00'))).toBe(sh(MONDAY, '07:30'));
    expect(r.tick(sh(MONDAY, '07:30'))).toStrictEqual([]);
    expect(r.nextDeadline(sh(MONDAY, '07:30'))).toBe(sh(MONDAY, '07:35'));
    expect(r.tick(sh(MONDAY, '07:35'))).toMatchObject([{ raise: 'barrier-down-in-window', deviceId: 'bar-1' }]);
  });

  it('lowered on a holiday: no alarm', () => {
    const r = rule();
    r.position('bar-1', 'lowered', sh('2026-10-01', '07:40'));
    expect(r.tick(sh('2026-10-01', '08:00'))).toStrictEqual([]);
  });

  it('the end of the window clears the alarm; the next window raises it again', () => {
    const r = rule();
    r.position('bar-1', 'lowered', sh(MONDAY, '07:40'));
    r.tick(sh(MONDAY, '07:45'));
    expect(r.nextDeadline(sh(MONDAY, '07:45'))).toBe(sh(MONDAY, '08:30'));
    expect(r.tick(sh(MONDAY, '08:30'))).toStrictEqual([
      { clear: 'barrier-down-in-window', deviceId: 'bar-1', siteId: 'sch-01', at: sh(MONDAY, '08:30'), reason: 'window-ended' },
    ]);
    expect(r.nextDeadline(sh(MONDAY, '08:30'))).toBe(sh(MONDAY, '16:30'));
    expect(r.tick(sh(MONDAY, '16:35'))).toMatchObject([{ raise: 'barrier-down-in-window', detail: 'lowered for 300 s during protection window exit' }]);
  });

  it('raised again within the grace period: no alarm', () => {
    const r = rule();
    r.position('bar-1', 'lowered', sh(MONDAY, '07:40'));
    r.position('bar-1', 'raised', sh(MONDAY, '07:42'));
    expect(r.tick(sh(MONDAY, '08:00'))).toStrictEqual([]);
    expect(r.nextDeadline(sh(MONDAY, '08:00'))).toBeUndefined();
  });

  it('losing contact neither clears the alarm nor restarts the grace period', () => {
    const r = rule();
    r.position('bar-1', 'lowered', sh(MONDAY, '07:40'));
    expect(r.position('bar-1', 'unknown', sh(MONDAY, '07:42'))).toStrictEqual([]);
    expect(r.position('bar-1', 'lowered', sh(MONDAY, '07:44'))).toStrictEqual([]);
    expect(r.tick(sh(MONDAY, '07:45'))).toMatchObject([{ raise: 'barrier-down-in-window' }]);
    expect(r.position('bar-1', 'unknown', sh(MONDAY, '07:50'))).toStrictEqual([]);
  });

  it('an impact raises barrier-impact at once, in or out of a window', () => {
    const r = rule();
    expect(r.impact('bar-1', sh(SUNDAY, '03:00'), 7)).toStrictEqual([
      { raise: 'barrier-impact', deviceId: 'bar-1', siteId: 'sch-01', at: sh(SUNDAY, '03:00'), detail: 'impact detected (counter 7)' },
    ]);
  });

  it('ignores unknown barriers and stale observations; forget clears a raised alarm', () => {
    const r = rule();
    expect(r.position('cam-1', 'lowered', sh(MONDAY, '07:40'))).toStrictEqual([]);
    expect(r.impact('cam-1', sh(MONDAY, '07:40'))).toStrictEqual([]);
    r.position('bar-1', 'lowered', sh(MONDAY, '07:40'));
    r.tick(sh(MONDAY, '07:46'));
    expect(r.position('bar-1', 'raised', sh(MONDAY, '07:39'))).toStrictEqual([]);
    expect(r.forget('bar-1', sh(MONDAY, '07:50'))).toStrictEqual([
      { clear: 'barrier-down-in-window', deviceId: 'bar-1', siteId: 'sch-01', at: sh(MONDAY, '07:50'), reason: 'forgotten' },
    ]);
    expect(r.tick(sh(MONDAY, '08:00'))).toStrictEqual([]);
  });

  it('grace 0: lowered inside a window is an alarm at once', () => {
    expect(rule(0).position('bar-1', 'lowered', sh(MONDAY, '16:40'))).toMatchObject([{ raise: 'barrier-down-in-window' }]);
  });
});
