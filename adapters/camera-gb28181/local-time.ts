/**
 * GB/T 28181 times are local wall-clock times without a zone: the Date header of §9.10.1
 * (`yyyy-MM-ddTHH:mm:ss.SSS`), DeviceTime and AlarmTime of Annex A. Read them in the site's time
 * zone to compare a device's clock with ours (the clock-drift reason), and write ours the same way.
 */
const WALL = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?$/;

function zoneOffsetMs(utcMs: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' }).formatToParts(utcMs);
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return asUtc - Math.floor(utcMs / 1000) * 1000;
}

/** Milliseconds since the epoch of a local time in `timeZone`, or undefined when unreadable. */
export function parseLocalTime(text: string, timeZone: string): number | undefined {
  const m = WALL.exec(text.trim());
  if (!m) return undefined;
  const ms = Number((m[7] ?? '0').padEnd(3, '0'));
  const wall = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]), ms);
  if (!Number.isFinite(wall)) return undefined;
  // One correction step is exact except within an hour of a DST change (China has none).
  return wall - zoneOffsetMs(wall - zoneOffsetMs(wall, timeZone), timeZone);
}

/** `yyyy-MM-ddTHH:mm:ss.SSS` in `timeZone`. */
export function formatLocalTime(utcMs: number, timeZone: string): string {
  const local = new Date(utcMs + zoneOffsetMs(utcMs, timeZone));
  return local.toISOString().slice(0, 23);
}
