import { describe, expect, it } from 'vitest';
import { nextWeekdayTime, resolveClock, shiftedClock, zoneOffsetMs } from '../../../../simulators/scenario/clock.js';
import type { Site } from '../../../../gateway/contract/types.js';

// Monday 2026-11-23 11:15 in Shanghai.
const NOW = Date.parse('2026-11-23T03:15:00Z');

describe('scenario clock', () => {
  it('finds the next weekday and wall time in a zone, strictly after now', () => {
    const at = (weekday: number, time: string, timeZone = 'Asia/Shanghai', skipDates?: string[]) => new Date(nextWeekdayTime(NOW, { weekday, time, timeZone, ...(skipDates ? { skipDates } : {}) })).toISOString();
    expect(at(1, '16:20')).toBe('2026-11-23T08:20:00.000Z');
    expect(at(1, '07:38')).toBe('2026-11-29T23:38:00.000Z');
    expect(at(7, '07:40')).toBe('2026-11-28T23:40:00.000Z');
    expect(at(1, '07:38', 'Asia/Shanghai', ['2026-11-30'])).toBe('2026-12-06T23:38:00.000Z');
    // A zone with daylight saving: Berlin is UTC+1 in November, UTC+2 in summer.
    expect(at(2, '09:00', 'Europe/Berlin')).toBe('2026-11-24T08:00:00.000Z');
    expect(new Date(nextWeekdayTime(Date.parse('2026-06-01T00:00:00Z'), { weekday: 1, time: '09:00', timeZone: 'Europe/Berlin' })).toISOString()).toBe('2026-06-01T07:00:00.000Z');
  });

  it('measures a zone offset', () => {
    expect(zoneOffsetMs(NOW, 'Asia/Shanghai')).toBe(8 * 3_600_000);
    expect(zoneOffsetMs(NOW, 'UTC')).toBe(0);
  });

  it('shifts the system clock and resolves a scenario clock against a site\'s holidays', () => {
    const clock = shiftedClock(Date.parse('2030-01-01T00:00:00Z'), Date.now());
    expect(Math.abs(clock.now() - Date.parse('2030-01-01T00:00:00Z'))).toBeLessThan(1000);
    const sites = [{ id: 'sch-01', holidays: ['2026-11-30'] }] as unknown as Site[];
    expect(resolveClock(undefined, sites, NOW)).toBeUndefined();
    expect(resolveClock({ at: 5 }, sites, NOW)).toBe(5);
    expect(new Date(resolveClock({ weekday: 1, time: '07:38', timeZone: 'Asia/Shanghai', holidaysOf: 'sch-01' }, sites, NOW) ?? 0).toISOString()).toBe('2026-12-06T23:38:00.000Z');
  });
});
