/**
 * The gateway clock of a scenario. A fixed ISO time drifts into the past as real days go by,
 * and far ends that run on the real clock (the radio box drops a tx whose validUntil, set by
 * the gateway's clock, is already past) then behave differently; so a scenario can instead
 * name a weekday and a wall time in a zone: the next such moment after now, skipping a site's
 * holidays. Timers still run in real time either way.
 */
import { systemClock, type Clock } from '../../gateway/contract/clock.js';
import type { Site } from '../../gateway/contract/types.js';
import type { Scenario } from './schema.js';

export interface WeekdayClock {
  /** ISO weekday, 1 = Monday … 7 = Sunday (as in protectionWindows.days). */
  weekday: number;
  /** "HH:MM" local time. */
  time: string;
  timeZone: string;
  /** Dates (YYYY-MM-DD, local) to skip, e.g. a school's holidays. */
  skipDates?: readonly string[];
}

const DAY = 86_400_000;

/** Milliseconds the zone's wall clock is ahead of UTC at `ms`. */
export function zoneOffsetMs(ms: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(ms);
  const n = (type: string): number => Number(parts.find((p) => p.type === type)?.value);
  const asUtc = Date.UTC(n('year'), n('month') - 1, n('day'), n('hour'), n('minute'), n('second'));
  return asUtc - Math.floor(ms / 1000) * 1000;
}

/** The next moment strictly after `now` that is `weekday` at `time` in `timeZone`, not on a skipped date. */
export function nextWeekdayTime(now: number, spec: WeekdayClock): number {
  const [hh = 0, mm = 0] = spec.time.split(':').map(Number);
  for (let i = 0; i < 7 * 60; i++) {
    const local = new Date(now + zoneOffsetMs(now, spec.timeZone) + i * DAY);
    const isoDay = ((local.getUTCDay() + 6) % 7) + 1;
    const date = local.toISOString().slice(0, 10);
    if (isoDay !== spec.weekday || spec.skipDates?.includes(date)) continue;
    const wall = Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate(), hh, mm);
    // Two passes: the offset at the guess, then at the answer (daylight-saving edges).
    let at = wall - zoneOffsetMs(wall, spec.timeZone);
    at = wall - zoneOffsetMs(at, spec.timeZone);
    if (at > now) return at;
  }
  throw new Error(`no ${spec.time} on weekday ${spec.weekday} in the next 60 weeks`);
}

/** The system clock moved so that it reads `startMs` now. */
export function shiftedClock(startMs: number, realNow: number = Date.now()): Clock {
  const offset = startMs - realNow;
  return { ...systemClock, now: () => Date.now() + offset };
}

/** The scenario clock's start in ms, resolved against the district (a site's holidays). */
export function resolveClock(spec: Scenario['clock'], sites: readonly Site[], now: number = Date.now()): number | undefined {
  if (!spec) return undefined;
  if ('at' in spec) return spec.at;
  const skipDates = spec.holidaysOf ? (sites.find((s) => s.id === spec.holidaysOf)?.holidays ?? []) : [];
  return nextWeekdayTime(now, { weekday: spec.weekday, time: spec.time, timeZone: spec.timeZone, skipDates });
}
