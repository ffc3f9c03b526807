import { describe, expect, it } from 'vitest';
import {
  checkTimestamp,
  formatDc09Timestamp,
  formatSequence,
  isValidSequence,
  nextSequence,
  parseDc09Timestamp,
} from '../../../../../adapters/shared/dc09/dc09-time.js';

const NOW = Date.UTC(2026, 10, 23, 8, 0, 0);

describe('timestamps (SIA DC-09-2013 5.5.1.8)', () => {
  it('formats and parses _HH:MM:SS,MM-DD-YYYY in UTC', () => {
    expect(formatDc09Timestamp(Date.UTC(2025, 8, 24, 16, 20, 1))).toBe('16:20:01,09-24-2025');
    expect(parseDc09Timestamp('16:20:01,09-24-2025')).toBe(Date.UTC(2025, 8, 24, 16, 20, 1));
    expect(formatDc09Timestamp(Date.UTC(2026, 0, 1, 0, 0, 0, 999))).toBe('00:00:00,01-01-2026');
  });

  it('rejects impossible dates', () => {
    for (const bad of ['24:00:00,01-01-2026', '00:60:00,01-01-2026', '00:00:00,13-01-2026', '00:00:00,02-30-2026', '0:00:00,01-01-2026']) {
      expect(parseDc09Timestamp(bad)).toBeUndefined();
    }
    expect(parseDc09Timestamp('00:00:00,02-29-2028')).toBe(Date.UTC(2028, 1, 29));
    expect(parseDc09Timestamp('00:00:00,02-29-2027')).toBeUndefined();
  });

  it('takes the four-digit year as written (Date.UTC alone would read 0070 as 1970)', () => {
    const y70 = new Date(0);
    y70.setUTCFullYear(70, 0, 1);
    expect(parseDc09Timestamp('00:00:00,01-01-0070')).toBe(y70.getTime());
    expect(parseDc09Timestamp('12:34:56,12-31-9999')).toBe(Date.UTC(9999, 11, 31, 12, 34, 56));
  });
});

describe('anti-replay window', () => {
  it('defaults to -40 s / +20 s, both edges inclusive', () => {
    expect(checkTimestamp(NOW - 40_000, NOW)).toBe('ok');
    expect(checkTimestamp(NOW - 40_001, NOW)).toBe('too-old');
    expect(checkTimestamp(NOW + 20_000, NOW)).toBe('ok');
    expect(checkTimestamp(NOW + 20_001, NOW)).toBe('too-new');
    expect(checkTimestamp(NOW, NOW)).toBe('ok');
  });

  it('is configurable', () => {
    const w = { pastSeconds: 5, futureSeconds: 0 };
    expect(checkTimestamp(NOW - 5000, NOW, w)).toBe('ok');
    expect(checkTimestamp(NOW - 6000, NOW, w)).toBe('too-old');
    expect(checkTimestamp(NOW + 1000, NOW, w)).toBe('too-new');
  });
});

describe('sequence numbers (5.5.1.5)', () => {
  it('run 0001..9999 and wrap to 0001', () => {
    expect(nextSequence(1)).toBe(2);
    expect(nextSequence(9998)).toBe(9999);
    expect(nextSequence(9999)).toBe(1);
    expect(nextSequence(0)).toBe(1);
    expect(nextSequence(12.5)).toBe(1);
    expect(isValidSequence(0)).toBe(false);
    expect(isValidSequence(10000)).toBe(false);
    expect(formatSequence(7)).toBe('0007');
  });
});
