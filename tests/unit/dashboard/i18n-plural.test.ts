/** English counts agree with their noun ("1 device", not "1 devices"); Chinese strings are untouched. */
import { describe, expect, it } from 'vitest';
import { en, zh } from '../../../dashboard/src/i18n/dictionary.js';
import { interpolate } from '../../../dashboard/src/i18n/i18n.js';

describe('dashboard i18n plurals', () => {
  it('picks the noun by the number', () => {
    expect(interpolate('{n:device|devices} not OK at {m} of {total:school|schools}', { n: 1, m: 1, total: 1 })).toBe('1 device not OK at 1 of 1 school');
    expect(interpolate('{n:device|devices}', { n: 3 })).toBe('3 devices');
    expect(interpolate('{n:device|devices}', { n: 0 })).toBe('0 devices');
    expect(interpolate('{n} 台 {x}', { n: 1 })).toBe('1 台 {x}');
  });

  it('the English summaries say 1 device, 1 school, 1 alarm', () => {
    expect(interpolate(en.ui['outages.summary'], { n: 1, m: 1, total: 1 })).toBe('1 device not OK at 1 of 1 school');
    expect(interpolate(en.ui['outages.reasonCount'], { n: 1 })).toBe('1 device');
    expect(interpolate(en.ui['schools.openAlarms'], { n: 1 })).toBe('1 alarm');
    expect(interpolate(en.ui['sweeps.devices'], { n: 1 })).toBe('1 device');
    // No English string is left with a bare count before a plural noun.
    const bare = Object.entries(en.ui).filter(([, v]) => /\{(n|m|total|shown)\} (devices|schools|alarms|reports|impacts|people|points)\b/.test(v));
    expect(bare).toStrictEqual([]);
    expect(interpolate(zh.ui['outages.reasonCount'], { n: 1 })).toBe('1 台');
  });
});
