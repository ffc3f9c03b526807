/**
 * The dashboard's state: open alarms and every device's health from /api/live, plus the
 * registry (sites, devices) from the HTTP API. A snapshot replaces the live part whole, so
 * after a reconnect no row is missing and none is doubled.
 */
import { boardOrder, isSchoolSite } from './derive.js';
import type { LiveState } from './live.js';
import { isOpen, type Alarm, type DeviceView, type Health, type LiveMessage, type SiteView } from './model.js';

export type Change = 'alarms' | 'health' | 'registry' | 'connection';

/** Resolved alarms kept for the "recently resolved" list; older ones drop out. */
const MAX_RESOLVED = 100;

/** True when `next` is the same or a later version of the alarm than `prev`. */
export function isNewer(next: Alarm, prev: Alarm | undefined): boolean {
  if (!prev) return true;
  return next.updatedAt > prev.updatedAt || (next.updatedAt === prev.updatedAt && next.timeline.length >= prev.timeline.length);
}

export class DashboardStore {
  private readonly alarms = new Map<string, Alarm>();
  private readonly healthById = new Map<string, Health>();
  private readonly devicesById = new Map<string, DeviceView>();
  private siteList: SiteView[] = [];
  private readonly listeners = new Set<(change: Change) => void>();
  district = '';
  connection: LiveState = 'connecting';
  retryAt: number | undefined;
  /** Time of the last snapshot; 0 before the first. */
  syncedAt = 0;

  subscribe(fn: (change: Change) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private emit(change: Change): void {
    for (const fn of this.listeners) fn(change);
  }

  apply(msg: LiveMessage): void {
    switch (msg.type) {
      case 'snapshot': {
        for (const [id, a] of this.alarms) if (isOpen(a)) this.alarms.delete(id);
        for (const a of msg.alarms) this.alarms.set(a.id, a);
        this.healthById.clear();
        for (const h of msg.health) this.healthById.set(h.deviceId, h);
        this.syncedAt = msg.at;
        this.emit('alarms');
        this.emit('health');
        return;
      }
      case 'alarm':
        this.upsertAlarm(msg.alarm);
        return;
      case 'health':
        this.healthById.set(msg.health.deviceId, msg.health);
        this.emit('health');
        return;
    }
  }

  setConnection(state: LiveState, retryAt?: number): void {
    this.connection = state;
    this.retryAt = retryAt;
    this.emit('connection');
  }

  /** An alarm from any source (live push, an action's reply, a history fetch): newest wins. */
  upsertAlarm(alarm: Alarm): void {
    if (!isNewer(alarm, this.alarms.get(alarm.id))) return;
    this.alarms.set(alarm.id, alarm);
    this.trimResolved();
    this.emit('alarms');
  }

  /** Resolved alarms from the history API; never reopens what is known to be closed later. */
  addResolved(alarms: readonly Alarm[]): void {
    let changed = false;
    for (const a of alarms) {
      if (isOpen(a) || !isNewer(a, this.alarms.get(a.id))) continue;
      this.alarms.set(a.id, a);
      changed = true;
    }
    if (!changed) return;
    this.trimResolved();
    this.emit('alarms');
  }

  setRegistry(sites: readonly SiteView[], devices: readonly DeviceView[], district: string): void {
    this.siteList = [...sites];
    this.devicesById.clear();
    for (const d of devices) this.devicesById.set(d.id, d);
    this.district = district;
    this.emit('registry');
  }

  private trimResolved(): void {
    const resolved = [...this.alarms.values()].filter((a) => !isOpen(a));
    if (resolved.length <= MAX_RESOLVED) return;
    resolved.sort((a, b) => b.updatedAt - a.updatedAt);
    for (const a of resolved.slice(MAX_RESOLVED)) this.alarms.delete(a.id);
  }

  alarm(id: string): Alarm | undefined {
    return this.alarms.get(id);
  }

  /** Open alarms in board order. */
  openAlarms(): Alarm[] {
    return [...this.alarms.values()].filter(isOpen).sort(boardOrder);
  }

  /** Resolved alarms, most recently changed first. */
  resolvedAlarms(limit: number): Alarm[] {
    return [...this.alarms.values()]
      .filter((a) => !isOpen(a))
      .sort((a, b) => b.updatedAt - a.updatedAt)
      .slice(0, limit);
  }

  sites(): readonly SiteView[] {
    return this.siteList;
  }

  site(id: string): SiteView | undefined {
    return this.siteList.find((s) => s.id === id);
  }

  devices(): DeviceView[] {
    return [...this.devicesById.values()];
  }

  device(id: string): DeviceView | undefined {
    return this.devicesById.get(id);
  }

  /** Live health when known, else what the device list said, else unknown. */
  healthOf(device: DeviceView): Health {
    return this.healthById.get(device.id) ?? device.health;
  }

  /** Ids of the sites that are schools (see isSchoolSite). */
  schoolIds(): Set<string> {
    const devices = this.devices();
    return new Set(this.siteList.filter((s) => isSchoolSite(s, devices)).map((s) => s.id));
  }

  hasRegistry(): boolean {
    return this.siteList.length > 0;
  }
}
