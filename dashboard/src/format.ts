/**
 * Times as a duty officer reads them: wall-clock time of day (24 h), and "how long ago" /
 * "for how long". Relative times live in <time data-since> elements that one ticker updates.
 */
import type { I18n } from './i18n/i18n.js';

export function clockTime(i18n: I18n, at: number): string {
  return new Intl.DateTimeFormat(i18n.locale, { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false }).format(at);
}

/** Time of day, with the date when it is not today. */
export function dateTime(i18n: I18n, at: number, now: number): string {
  const sameDay = new Date(at).toDateString() === new Date(now).toDateString();
  if (sameDay) return clockTime(i18n, at);
  return new Intl.DateTimeFormat(i18n.locale, { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false }).format(at);
}

export function ago(i18n: I18n, at: number, now: number): string {
  const s = Math.max(0, Math.floor((now - at) / 1000));
  if (s < 5) return i18n.t('time.justNow');
  if (s < 60) return i18n.t('time.secondsAgo', { n: s });
  if (s < 3600) return i18n.t('time.minutesAgo', { n: Math.floor(s / 60) });
  if (s < 86_400) return i18n.t('time.hoursAgo', { n: Math.floor(s / 3600) });
  return i18n.t('time.daysAgo', { n: Math.floor(s / 86_400) });
}

export function duration(i18n: I18n, ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return i18n.t('time.forSeconds', { n: s });
  if (s < 3600) return i18n.t('time.forMinutes', { n: Math.floor(s / 60) });
  if (s < 86_400) return i18n.t('time.forHours', { n: Math.floor(s / 3600), m: Math.floor((s % 3600) / 60) });
  return i18n.t('time.forDays', { n: Math.floor(s / 86_400), h: Math.floor((s % 86_400) / 3600) });
}

export type RelativeMode = 'ago' | 'for';

/** A <time> element that the ticker keeps current. */
export function relTime(i18n: I18n, at: number, mode: RelativeMode, now: number): HTMLTimeElement {
  const el = document.createElement('time');
  el.dateTime = new Date(at).toISOString();
  el.dataset.since = String(at);
  el.dataset.mode = mode;
  el.textContent = mode === 'ago' ? ago(i18n, at, now) : duration(i18n, now - at);
  el.title = dateTime(i18n, at, 0);
  return el;
}

/** Updates every relative time under `root` (called once a second). */
export function refreshRelativeTimes(i18n: I18n, root: ParentNode, now: number): void {
  for (const el of root.querySelectorAll<HTMLTimeElement>('time[data-since]')) {
    const at = Number(el.dataset.since);
    const text = el.dataset.mode === 'for' ? duration(i18n, now - at) : ago(i18n, at, now);
    if (el.textContent !== text) el.textContent = text;
  }
}

/** ISO weekdays as an officer says them: [1,2,3,4,5] → 周一至周五 / Mon–Fri. */
export function formatDays(i18n: I18n, days: readonly number[]): string {
  const sorted = [...new Set(days)].sort((a, b) => a - b);
  const runs: number[][] = [];
  for (const d of sorted) {
    const last = runs[runs.length - 1];
    if (last && last[last.length - 1] === d - 1) last.push(d);
    else runs.push([d]);
  }
  return runs
    .map((r) =>
      r.length >= 3
        ? i18n.t('school.dayRange', { a: i18n.weekday(r[0] ?? 1), b: i18n.weekday(r[r.length - 1] ?? 7) })
        : r.map((d) => i18n.t('school.day', { d: i18n.weekday(d) })).join(i18n.lang === 'zh' ? '、' : ', '),
    )
    .join(i18n.lang === 'zh' ? '、' : ', ');
}
