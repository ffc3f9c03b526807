/**
 * Protection windows (school entry/exit times) of a site, evaluated in the site's own time
 * zone through Intl (the platform's IANA tz database; no hand-written offsets). Pure.
 *
 * A window occurrence belongs to the local date it starts on: it applies when that date's
 * ISO weekday is in `days` and the date is not a holiday. `end` at or before `start` means
 * the window runs past midnight into the next day.
 */
import { GatewayError } from '../../contract/errors.js';
import type { ProtectionWindow, Site } from '../../contract/types.js';

export const DEFAULT_TIME_ZONE = 'Asia/Shanghai';

export type WindowSite = Pick<Site, 'protectionWindows' | 'holidays'> & { timeZone?: string };

/** An occurrence of a window: which window, and the instants (ms) it starts and ends. */
export interface WindowSpan {
  window: ProtectionWindow;
  start: number;
  end: number;
}

interface LocalDate {
  y: number;
  m: number;
  d: number;
}

interface CompiledWindow {
  window: ProtectionWindow;
  /** Minutes past local midnight. */
  start: number;
  end: number;
  days: Set<number>;
}

const DAY_MS = 86_400_000;
const QUARTER_HOUR_MS = 900_000;
const MAX_REMEMBERED_OFFSETS = 4096;
/** How far ahead nextWindowChange looks (a year of holidays and then some). */
const HORIZON_DAYS = 400;

function parseHHMM(s: string): number {
  const m = /^([01]\d|2[0-4]):([0-5]\d)$/.exec(s);
  if (!m || (m[1] === '24' && m[2] !== '00')) throw new GatewayError('GW_ERR_WINDOW_INVALID', `"${s}" is not a time of day HH:MM`);
  return Number(m[1]) * 60 + Number(m[2]);
}

/**
 * One site's windows in its time zone. Building the Intl formatter costs ~0.5 ms, answering
 * from it a few µs: keep one per site when evaluating often (the barrier rule does).
 */
export class WindowCalendar {
  private readonly fmt: Intl.DateTimeFormat;
  private readonly holidays: Set<string>;
  private readonly offsets = new Map<number, number>();
  private readonly windows: CompiledWindow[];

  constructor(site: WindowSite) {
    const timeZone = site.timeZone ?? DEFAULT_TIME_ZONE;
    try {
      this.fmt = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch (cause) {
      throw new GatewayError('GW_ERR_WINDOW_INVALID', `unknown time zone "${timeZone}"`, { cause });
    }
    this.holidays = new Set(site.holidays);
    this.windows = site.protectionWindows.map((window) => ({
      window,
      start: parseHHMM(window.start),
      end: parseHHMM(window.end),
      days: new Set(window.days),
    }));
  }

  /**
   * Offset (ms) of local time from UTC at instant `t`, asked of Intl once per quarter hour
   * (tz database transitions fall on quarter hours) and remembered for this calendar.
   */
  private offset(t: number): number {
    const quarter = Math.floor(t / QUARTER_HOUR_MS);
    const known = this.offsets.get(quarter);
    if (known !== undefined) return known;
    const f: Record<string, number> = {};
    for (const p of this.fmt.formatToParts(quarter * QUARTER_HOUR_MS)) if (p.type !== 'literal') f[p.type] = Number(p.value);
    const local = Date.UTC(f.year ?? 1970, (f.month ?? 1) - 1, f.day ?? 1, f.hour ?? 0, f.minute ?? 0, f.second ?? 0);
    const offset = local - quarter * QUARTER_HOUR_MS;
    if (this.offsets.size >= MAX_REMEMBERED_OFFSETS) this.offsets.clear();
    this.offsets.set(quarter, offset);
    return offset;
  }

  /** Wall-clock date and time of day (ms past local midnight) at instant `t`. */
  private wall(t: number): { date: LocalDate; ms: number } {
    const local = t + this.offset(t);
    const d = new Date(local);
    const date = { y: d.getUTCFullYear(), m: d.getUTCMonth() + 1, d: d.getUTCDate() };
    return { date, ms: local - Date.UTC(date.y, date.m - 1, date.d) };
  }

  /** The instant at which the local clock shows `minutes` past midnight of `date`. */
  private instant(date: LocalDate, minutes: number): number {
    const local = Date.UTC(date.y, date.m - 1, date.d) + minutes * 60_000;
    // Two rounds settle the offset around a transition; a wall time skipped by a DST gap
    // lands just after the gap.
    const first = local - this.offset(local);
    const second = local - this.offset(first);
    return second;
  }

  private localDate(t: number): LocalDate {
    return this.wall(t).date;
  }

  private static addDays(date: LocalDate, n: number): LocalDate {
    const t = new Date(Date.UTC(date.y, date.m - 1, date.d) + n * DAY_MS);
    return { y: t.getUTCFullYear(), m: t.getUTCMonth() + 1, d: t.getUTCDate() };
  }

  private static isoWeekday(date: LocalDate): number {
    const wd = new Date(Date.UTC(date.y, date.m - 1, date.d)).getUTCDay();
    return wd === 0 ? 7 : wd;
  }

  private static key(date: LocalDate): string {
    return `${String(date.y).padStart(4, '0')}-${String(date.m).padStart(2, '0')}-${String(date.d).padStart(2, '0')}`;
  }

  /** Windows with an occurrence starting on `date`, in declaration order. */
  private windowsOn(date: LocalDate): CompiledWindow[] {
    if (this.holidays.has(WindowCalendar.key(date))) return [];
    const weekday = WindowCalendar.isoWeekday(date);
    return this.windows.filter((w) => w.days.has(weekday) && w.start !== w.end);
  }

  private span(date: LocalDate, w: CompiledWindow): WindowSpan {
    const endDate = w.end < w.start ? WindowCalendar.addDays(date, 1) : date;
    return { window: w.window, start: this.instant(date, w.start), end: this.instant(endDate, w.end) };
  }

  private spansOn(date: LocalDate): WindowSpan[] {
    return this.windowsOn(date).map((w) => this.span(date, w));
  }

  /**
   * The occurrence in force at `at`, found on the local clock (one Intl call; instants are
   * computed only for the hit). An occurrence from yesterday can still run past midnight.
   */
  private find(at: number): { date: LocalDate; w: CompiledWindow } | undefined {
    if (this.windows.length === 0) return undefined;
    const { date, ms } = this.wall(at);
    const minute = ms / 60_000;
    for (const w of this.windowsOn(date)) {
      if (minute >= w.start && (w.end < w.start || minute < w.end)) return { date, w };
    }
    const yesterday = WindowCalendar.addDays(date, -1);
    for (const w of this.windowsOn(yesterday)) {
      if (w.end < w.start && minute < w.end) return { date: yesterday, w };
    }
    return undefined;
  }

  /** The window occurrence in force at `at` (ms), with its start and end instants. */
  active(at: number): WindowSpan | undefined {
    const hit = this.find(at);
    return hit && this.span(hit.date, hit.w);
  }

  /** The window in force at `at` (ms), without computing its instants. */
  activeWindow(at: number): ProtectionWindow | undefined {
    return this.find(at)?.w.window;
  }

  /** See nextWindowChange. */
  nextChange(at: number): number {
    if (this.windows.length === 0) return Number.POSITIVE_INFINITY;
    const current = this.activeWindow(at);
    const today = this.localDate(at);
    const chunk = 8;
    for (let from = -1; from < HORIZON_DAYS; from += chunk) {
      const candidates: number[] = [];
      // One day of overlap with the previous chunk: an occurrence started yesterday may end today.
      for (let i = Math.max(-1, from - 1); i < from + chunk; i++) {
        for (const span of this.spansOn(WindowCalendar.addDays(today, i))) candidates.push(span.start, span.end);
      }
      candidates.sort((a, b) => a - b);
      let previous = current;
      for (const t of candidates) {
        if (t <= at) continue;
        const now = this.activeWindow(t);
        if (now !== previous) return t;
        previous = now;
      }
    }
    return Number.POSITIVE_INFINITY;
  }
}

/** The window occurrence in force at `at` (ms), with its start and end instants. */
export function activeWindowSpan(site: WindowSite, at: number): WindowSpan | undefined {
  return new WindowCalendar(site).active(at);
}

/** The protection window in force at `at` (ms), or undefined (outside windows, holidays). */
export function activeWindow(site: WindowSite, at: number): ProtectionWindow | undefined {
  return new WindowCalendar(site).activeWindow(at);
}

/**
 * The next instant (ms, > `at`) at which a window starts or ends, i.e. where activeWindow's
 * answer changes; `Infinity` when it never changes (no windows, or holidays all year).
 * The result may be weeks away (a summer holiday): clamp it before arming a timer
 * (setTimeout holds at most 2^31−1 ms).
 */
export function nextWindowChange(site: WindowSite, at: number): number {
  return new WindowCalendar(site).nextChange(at);
}

/** Every problem with a site's windows, as `path: message`; empty when they can be evaluated. */
export function validateProtectionWindows(site: WindowSite): string[] {
  const errors: string[] = [];
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: site.timeZone ?? DEFAULT_TIME_ZONE });
  } catch {
    errors.push(`timeZone: unknown time zone "${site.timeZone}"`);
  }
  site.protectionWindows.forEach((w, i) => {
    for (const field of ['start', 'end'] as const) {
      try {
        parseHHMM(w[field]);
      } catch (err) {
        errors.push(`protectionWindows.${i}.${field}: ${(err as Error).message}`);
      }
    }
    if (w.days.length === 0 || w.days.some((d) => !Number.isInteger(d) || d < 1 || d > 7)) {
      errors.push(`protectionWindows.${i}.days: ISO weekdays 1 (Monday) to 7 (Sunday)`);
    }
    if (w.start === w.end) errors.push(`protectionWindows.${i}: start equals end (an empty window)`);
  });
  site.holidays.forEach((h, i) => {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(h)) errors.push(`holidays.${i}: "${h}" is not a date YYYY-MM-DD`);
  });
  return errors;
}
