import { describe, expect, it } from 'vitest';
import {
  activeWindow,
  activeWindowSpan,
  nextWindowChange,
  validateProtectionWindows,
  type WindowSite,
} from '../../../../gateway/core/barriers/protection-window.js';
import { GatewayError } from '../../../../gateway/contract/errors.js';
import type { ProtectionWindow } from '../../../../gateway/contract/types.js';

const ENTRY: ProtectionWindow = { days: [1, 2, 3, 4, 5], start: '07:30', end: '08:30', label: 'entry' };
const EXIT: ProtectionWindow = { days: [1, 2, 3, 4, 5], start: '16:30', end: '17:30', label: 'exit' };
/** A Shanghai school; 2026-10-01 (a Thursday) is National Day. */
const SCHOOL: WindowSite = { timeZone: 'Asia/Shanghai', protectionWindows: [ENTRY, EXIT], holidays: ['2026-10-01'] };

const utc = (iso: string) => Date.parse(iso);

describe('activeWindow', () => {
  it('07:40 on a Monday in Shanghai (23:40 Sunday UTC) is in the entry window', () => {
    const at = utc('2026-09-06T23:40:00Z');
    expect(activeWindow(SCHOOL, at)).toBe(ENTRY);
    expect(activeWindowSpan(SCHOOL, at)).toStrictEqual({ window: ENTRY, start: utc('2026-09-06T23:30:00Z'), end: utc('2026-09-07T00:30:00Z') });
  });

  it('uses Asia/Shanghai when the site names no zone', () => {
    const { timeZone: _tz, ...site } = SCHOOL;
    expect(activeWindow(site, utc('2026-09-06T23:40:00Z'))).toBe(ENTRY);
  });

  it('07:40 on a Sunday is outside every window', () => {
    expect(activeWindow(SCHOOL, utc('2026-09-05T23:40:00Z'))).toBeUndefined();
  });

  it('a holiday in the site zone has no window, though the UTC date is the day before', () => {
    // 2026-10-01 07:40 in Shanghai is 2026-09-30 23:40 UTC.
    expect(activeWindow(SCHOOL, utc('2026-09-30T23:40:00Z'))).toBeUndefined();
    expect(activeWindow(SCHOOL, utc('2026-10-01T23:40:00Z'))).toBe(ENTRY);
  });

  it('the end instant is outside the window, the instant before inside', () => {
    const end = utc('2026-09-07T00:30:00Z'); // 08:30 Shanghai
    expect(activeWindow(SCHOOL, end - 1)).toBe(ENTRY);
    expect(activeWindow(SCHOOL, end)).toBeUndefined();
    expect(activeWindow(SCHOOL, utc('2026-09-06T23:30:00Z'))).toBe(ENTRY);
  });

  it('an overnight window belongs to the day it starts on', () => {
    const night: WindowSite = { timeZone: 'Asia/Shanghai', protectionWindows: [{ days: [5], start: '22:00', end: '02:00' }], holidays: [] };
    expect(activeWindow(night, utc('2026-09-11T17:00:00Z'))).toBeDefined(); // Saturday 01:00
    expect(activeWindow(night, utc('2026-09-12T15:00:00Z'))).toBeUndefined(); // Saturday 23:00
  });

  it('follows daylight saving time in zones that have it', () => {
    const berlin: WindowSite = { timeZone: 'Europe/Berlin', protectionWindows: [ENTRY], holidays: [] };
    // Monday after the switch to CEST (UTC+2): 07:30 local is 05:30 UTC.
    expect(activeWindowSpan(berlin, utc('2026-03-30T05:45:00Z'))).toStrictEqual({
      window: ENTRY,
      start: utc('2026-03-30T05:30:00Z'),
      end: utc('2026-03-30T06:30:00Z'),
    });
    expect(activeWindow(berlin, utc('2026-03-30T06:45:00Z'))).toBeUndefined();
  });
});

describe('nextWindowChange', () => {
  it('inside a window: its end', () => {
    expect(nextWindowChange(SCHOOL, utc('2026-09-06T23:40:00Z'))).toBe(utc('2026-09-07T00:30:00Z'));
  });

  it('at an end boundary: the next start', () => {
    expect(nextWindowChange(SCHOOL, utc('2026-09-07T00:30:00Z'))).toBe(utc('2026-09-07T08:30:00Z'));
  });

  it('on a Sunday: Monday 07:30 local', () => {
    expect(nextWindowChange(SCHOOL, utc('2026-09-05T23:40:00Z'))).toBe(utc('2026-09-06T23:30:00Z'));
  });

  it('after Friday exit: Monday entry', () => {
    expect(nextWindowChange(SCHOOL, utc('2026-09-11T09:30:00Z'))).toBe(utc('2026-09-13T23:30:00Z'));
  });

  it('skips a holiday', () => {
    // Wednesday 2026-09-30 after the exit window; Thursday is National Day.
    expect(nextWindowChange(SCHOOL, utc('2026-09-30T10:00:00Z'))).toBe(utc('2026-10-01T23:30:00Z'));
  });

  it('looks past long holidays and answers Infinity when nothing ever changes', () => {
    const summer = Array.from({ length: 60 }, (_, i) => new Date(utc('2026-07-01T00:00:00Z') + i * 86_400_000).toISOString().slice(0, 10));
    const site: WindowSite = { ...SCHOOL, holidays: summer };
    expect(nextWindowChange(site, utc('2026-06-30T10:00:00Z'))).toBe(utc('2026-08-30T23:30:00Z'));
    expect(nextWindowChange({ ...SCHOOL, protectionWindows: [] }, utc('2026-09-07T00:00:00Z'))).toBe(Number.POSITIVE_INFINITY);
  });

  it('between adjacent windows: the instant one hands over to the other', () => {
    const am: ProtectionWindow = { days: [1], start: '07:00', end: '08:00' };
    const later: ProtectionWindow = { days: [1], start: '08:00', end: '09:00' };
    const site: WindowSite = { timeZone: 'Asia/Shanghai', protectionWindows: [am, later], holidays: [] };
    const at = utc('2026-09-06T23:10:00Z'); // Monday 07:10
    expect(nextWindowChange(site, at)).toBe(utc('2026-09-07T00:00:00Z'));
    expect(activeWindow(site, utc('2026-09-07T00:00:00Z'))).toBe(later);
  });
});

describe('validation', () => {
  it('rejects an unknown zone with a coded error', () => {
    expect(() => activeWindow({ ...SCHOOL, timeZone: 'Mars/Olympus' }, 0)).toThrow(GatewayError);
    expect(() => activeWindow({ ...SCHOOL, timeZone: 'Mars/Olympus' }, 0)).toThrow(expect.objectContaining({ code: 'GW_ERR_WINDOW_INVALID' }));
  });

  it('lists every problem with a path', () => {
    expect(
      validateProtectionWindows({
        timeZone: 'Mars/Olympus',
        protectionWindows: [{ days: [0, 8], start: '7:30', end: '25:00' }, { days: [1], start: '08:00', end: '08:00' }],
        holidays: ['2026/10/01'],
      }),
    ).toStrictEqual([
      'timeZone: unknown time zone "Mars/Olympus"',
      'protectionWindows.0.start: "7:30" is not a time of day HH:MM',
      'protectionWindows.0.end: "25:00" is not a time of day HH:MM',
      'protectionWindows.0.days: ISO weekdays 1 (Monday) to 7 (Sunday)',
      'protectionWindows.1: start equals end (an empty window)',
      'holidays.0: "2026/10/01" is not a date YYYY-MM-DD',
    ]);
    expect(validateProtectionWindows(SCHOOL)).toStrictEqual([]);
  });
});
