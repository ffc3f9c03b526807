/**
 * The dashboard's state: open alarms, every device's health and the broadcasts from
 * /api/live, plus the registry (sites, devices) and the district's UI configuration from the
 * HTTP API. A snapshot replaces the live part whole, so after a reconnect no row is missing
 * and none is doubled.
 */
import { BroadcastBook, type BroadcastEntry } from './broadcast-book.js';
import { boardOrder, isSchoolSite } from './derive.js';
import type { LiveState } from './live.js';
import { isOpen, type Alarm, type Broadcast, type BroadcastSummary, type DeviceView, type Health, type LiveMessage, type SiteView, type UiConfig } from './model.js';

export type Change = 'alarms' | 'health' | 'registry' | 'connection' | 'broadcasts' | 'config' | 'states';

/** Resolved alarms kept for the "recently resolved" list; older ones drop out. */
const MAX_RESOLVED = 100;

export class DashboardStore {
  private readonly alarms = new Map<string, Alarm>();
  private readonly healthById = new Map<string, Health>();
  private readonly devicesById = new Map<string, DeviceView>();
  private siteList: SiteView[] = [];
  private readonly listeners = new Set<(change: Change) => void>();
  private readonly book = new BroadcastBook();
  /** From /api/health: the district's name when the UI configuration is not available. */
  district = '';
  /** GET /api/config/ui; undefined until it answered (older gateways never do). */
  ui: UiConfig | undefined;
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

  /** Applies a live message; returns the id of a broadcast that changed but is unknown here (fetch it). */
  apply(msg: LiveMessage): string | undefined {
    switch (msg.type) {
      case 'snapshot': {
        for (const [id, a] of this.alarms) if (isOpen(a)) this.alarms.delete(id);
        for (const a of msg.alarms) this.alarms.set(a.id, a);
        this.healthById.clear();
        for (const h of msg.health) this.healthById.set(h.deviceId, h);
        this.book.applySnapshot(msg.broadcasts ?? []);
        this.syncedAt = msg.at;
        this.emit('alarms');
        this.emit('health');
        this.emit('broadcasts');
        return undefined;
      }
      case 'alarm':
        // The gateway pushes every change of an alarm once, in the order it happened: the
        // latest message is the alarm's current state.
        this.alarms.set(msg.alarm.id, msg.alarm);
        this.trimResolved();
        this.emit('alarms');
        return undefined;
      case 'health':
        this.healthById.set(msg.health.deviceId, msg.health);
        this.emit('health');
        return undefined;
      case 'broadcast': {
        const missing = this.book.applyChange(msg);
        if (!missing) this.emit('broadcasts');
        return missing;
      }
      case 'ping':
        return undefined;
    }
  }

  /** Broadcast summaries from the list API. */
  addBroadcasts(list: readonly BroadcastSummary[]): void {
    if (list.length === 0) return;
    this.book.putSummaries(list);
    this.emit('broadcasts');
  }

  /** A whole broadcast from the API (a fetch, or the reply to sending one). */
  putBroadcast(b: Broadcast): void {
    this.book.putFull(b, false);
    this.emit('broadcasts');
  }

  broadcast(id: string): BroadcastEntry | undefined {
    return this.book.get(id);
  }

  /** Newest first. */
  broadcasts(limit?: number): BroadcastSummary[] {
    return this.book.list(limit);
  }

  openBroadcasts(): number {
    return this.book.openCount();
  }

  setUiConfig(ui: UiConfig): void {
    this.ui = ui;
    this.emit('config');
  }

  setConnection(state: LiveState, retryAt?: number): void {
    this.connection = state;
    this.retryAt = retryAt;
    this.emit('connection');
  }

  /**
   * Resolved alarms from the history API fill in what the live feed never carried (resolved
   * before this page connected); an alarm the live feed told about is never replaced by them.
   */
  addResolved(alarms: readonly Alarm[]): void {
    let changed = false;
    for (const a of alarms) {
      if (isOpen(a) || this.alarms.has(a.id)) continue;
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

  /** Fresh readings of devices (GET /api/devices, polled): each device's `state` is replaced. */
  setDeviceStates(devices: readonly DeviceView[]): void {
    for (const d of devices) {
      const held = this.devicesById.get(d.id);
      if (held) this.devicesById.set(d.id, { ...held, ...(d.state ? { state: d.state } : {}) });
    }
    this.emit('states');
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
