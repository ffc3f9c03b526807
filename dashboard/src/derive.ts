/**
 * Pure views over the dashboard state: board order, school status, outage lists and their
 * per-reason summary. No DOM, no I/O.
 */
import { SEVERITY_RANK, STATUS_RANK, isOpen, isUnackedCritical, type Alarm, type DeviceView, type Health, type HealthStatus, type SiteView } from './model.js';

/**
 * Board order: open before resolved, then severity, then not-yet-acknowledged before
 * acknowledged (what still needs a hand comes first), then newest first. A drill's alarm
 * comes after every real one: a drill must never push a real emergency down the board.
 */
export function boardOrder(a: Alarm, b: Alarm): number {
  const closed = (x: Alarm) => (isOpen(x) ? 0 : 1);
  const acked = (x: Alarm) => (x.state === 'active' ? 0 : 1);
  return (
    closed(a) - closed(b) ||
    (a.drill ? 1 : 0) - (b.drill ? 1 : 0) ||
    (SEVERITY_RANK[a.severity] ?? 9) - (SEVERITY_RANK[b.severity] ?? 9) ||
    acked(a) - acked(b) ||
    b.raisedAt - a.raisedAt ||
    a.id.localeCompare(b.id)
  );
}

/**
 * The latest escalation step of an alarm: who it went to (people, not the board) and when;
 * how many times the board was told to sound again; whether it ran out (unanswered).
 */
export function escalationOf(a: Alarm): { who: string[]; at: number; boardSteps: number; unanswered: boolean } | undefined {
  const steps = a.timeline.filter((e) => e.action === 'escalated');
  const last = steps[steps.length - 1];
  if (!last) return undefined;
  const sameStep = steps.filter((e) => e.data?.round === last.data?.round && e.data?.step === last.data?.step);
  const who = [...new Set(sameStep.map((e) => String(e.data?.who ?? '')).filter((w) => w !== '' && w !== 'board' && w !== 'nobody'))];
  return { who, at: last.at, boardSteps: steps.filter((e) => e.data?.channel === 'board').length, unanswered: a.timeline.some((e) => e.action === 'unanswered') };
}

/** Device kinds that only a school has (buttons, barriers, cameras, NVRs). */
const SCHOOL_DEVICE_KINDS = new Set(['alarm-button', 'barrier', 'camera', 'nvr']);
/** Device kinds of the district's channels (110 link, SMS, radio): shown in the header. */
export const CHANNEL_KINDS = ['alarm-centre', 'sms', 'radio'] as const;

/**
 * Whether a site is a school (and counts in "N of 33 schools"). The site's own kind when the
 * gateway sends it; otherwise a site with school devices is a school, and one that only hosts
 * channels (a police command centre) is not.
 */
export function isSchoolSite(site: SiteView, devices: readonly DeviceView[]): boolean {
  if (site.kind) return site.kind === 'school';
  const own = devices.filter((d) => d.siteId === site.id);
  return own.length === 0 || own.some((d) => SCHOOL_DEVICE_KINDS.has(d.kind));
}

/** Worst of a set of statuses, by the gateway's rank (gateway/http/sites-routes.ts). */
export function worstStatus(statuses: Iterable<string>): HealthStatus {
  let worst: HealthStatus = 'ok';
  for (const s of statuses) if ((STATUS_RANK[s] ?? 2) < STATUS_RANK[worst]!) worst = s as HealthStatus;
  return worst;
}

export interface SiteSummary {
  site: SiteView;
  worst: HealthStatus;
  devices: number;
  notOk: number;
  openAlarms: number;
  unackedCritical: number;
}

export function summarizeSites(
  sites: readonly SiteView[],
  devices: readonly DeviceView[],
  healthOf: (d: DeviceView) => Health,
  openAlarms: readonly Alarm[],
): SiteSummary[] {
  const bySite = new Map<string, DeviceView[]>();
  for (const d of devices) {
    const list = bySite.get(d.siteId) ?? [];
    list.push(d);
    bySite.set(d.siteId, list);
  }
  return sites.map((site) => {
    const list = bySite.get(site.id);
    // Before the device list arrives, the gateway's own figure stands in.
    const statuses = list ? list.map((d) => healthOf(d).status) : [site.worstStatus];
    const alarms = openAlarms.filter((a) => a.siteId === site.id);
    return {
      site,
      worst: worstStatus(statuses),
      devices: list?.length ?? site.devices,
      notOk: statuses.filter((s) => s !== 'ok').length,
      openAlarms: list ? alarms.length : Math.max(site.openAlarms, alarms.length),
      unackedCritical: alarms.filter(isUnackedCritical).length,
    };
  });
}

/** The pseudo reason of a device that has never reported (status unknown, no reason). */
export const NEVER_REPORTED = 'never-reported';

export interface OutageRow {
  device: DeviceView;
  health: Health;
  /** Reason codes, or [NEVER_REPORTED]. */
  codes: string[];
  /** Since when the device has been not OK (its oldest reason). */
  since?: number;
}

export interface OutageFilter {
  site?: string;
  kind?: string;
  reason?: string;
  /** `field:value` on the device's state (position:lowered): every device in that state, OK or not. */
  state?: string;
}

/** Whether a device's latest readings match `field:value` (the gateway's `state` filter). */
export function stateMatches(device: DeviceView, filter: string): boolean {
  const i = filter.indexOf(':');
  if (i <= 0) return false;
  const reading = device.state?.[filter.slice(0, i)];
  return reading !== undefined && String(reading.value) === filter.slice(i + 1);
}

export function outageRows(devices: readonly DeviceView[], healthOf: (d: DeviceView) => Health, withOk = false): OutageRow[] {
  const rows: OutageRow[] = [];
  for (const device of devices) {
    const health = healthOf(device);
    if (health.status === 'ok' && !withOk) continue;
    const codes = health.reasons.length > 0 ? health.reasons.map((r) => r.code) : health.status === 'ok' ? [] : [NEVER_REPORTED];
    const since = health.reasons.length > 0 ? Math.min(...health.reasons.map((r) => r.since)) : undefined;
    rows.push({ device, health, codes, ...(since !== undefined ? { since } : {}) });
  }
  return rows.sort(
    (a, b) =>
      (STATUS_RANK[a.health.status] ?? 2) - (STATUS_RANK[b.health.status] ?? 2) ||
      a.device.siteId.localeCompare(b.device.siteId) ||
      a.device.id.localeCompare(b.device.id),
  );
}

export function filterOutages(rows: readonly OutageRow[], f: OutageFilter): OutageRow[] {
  return rows.filter(
    (r) =>
      (!f.site || r.device.siteId === f.site) &&
      (!f.kind || r.device.kind === f.kind) &&
      (!f.reason || r.codes.includes(f.reason)) &&
      (!f.state || stateMatches(r.device, f.state)),
  );
}

export interface ReasonSummary {
  code: string;
  devices: number;
  /** Schools with at least one device with this reason. */
  schools: number;
  /** Other sites (command centres) with this reason. */
  otherSites: string[];
}

/** Devices and schools per reason, most schools first (what a sweep reports: "7 of 33"). */
export function reasonSummary(rows: readonly OutageRow[], schoolIds: ReadonlySet<string>): ReasonSummary[] {
  const acc = new Map<string, { devices: number; sites: Set<string> }>();
  for (const r of rows) {
    for (const code of r.codes) {
      const e = acc.get(code) ?? { devices: 0, sites: new Set<string>() };
      e.devices++;
      e.sites.add(r.device.siteId);
      acc.set(code, e);
    }
  }
  return [...acc.entries()]
    .map(([code, e]) => {
      const sites = [...e.sites];
      return { code, devices: e.devices, schools: sites.filter((s) => schoolIds.has(s)).length, otherSites: sites.filter((s) => !schoolIds.has(s)).sort() };
    })
    .sort((a, b) => b.schools - a.schools || b.devices - a.devices || a.code.localeCompare(b.code));
}

/**
 * How many SMS a text takes: UCS-2 (any Chinese) fits 70 characters in one message and 67 per
 * part once concatenated; GSM 7-bit 160 and 153 (3GPP TS 23.040 9.2.3.24.1, the 6-byte
 * concatenation header). Printable ASCII stands in for the GSM alphabet: an estimate.
 */
export function smsParts(text: string): number {
  if (text.length === 0) return 0;
  const gsm = /^[\x20-\x7e\r\n]*$/.test(text);
  const [single, part] = gsm ? [160, 153] : [70, 67];
  return text.length <= single ? 1 : Math.ceil(text.length / part);
}
