/**
 * Keeps every device's health: passive supervision (a device that stops reporting times out
 * with `no-heartbeat`), retained status and LWT (`offline`), device-reported faults and
 * tamper, telemetry thresholds (battery, SIM), and conditions adapters report themselves.
 */
import type { DeviceRegistry } from '../../contract/adapter.js';
import type { Clock, Timer } from '../../contract/clock.js';
import type { EventBus } from '../bus.js';
import type { Device, DeviceEvent, Health, HealthReason, HealthStatus } from '../../contract/types.js';
import { eventMeaning, OFFLINE_REASONS, type HealthReasonCode } from '../../contract/vocabulary.js';

export interface HealthOptions {
  /** Seconds without a message before `no-heartbeat`, per kind (a device may override). */
  heartbeatTimeout: Record<string, number>;
  lowBatteryPercent: number;
  simExpiringDays: number;
}


/** SIM states the operators report for a line that cannot carry an alarm (欠费停机 and kin). */
const SIM_SUSPENDED = new Set(['suspended', 'arrears', 'barred', 'deactivated', 'inactive', 'terminated']);

interface DeviceHealthState {
  device: Device;
  supervised: boolean;
  timeoutMs: number;
  since: number;
  lastSeen?: number;
  /**
   * The conditions now in force, made at the first and replaced (never grown in place) when one
   * comes or goes: a few entries at most, and an array of exactly that many costs ~60 bytes where
   * a Map of one costs ~230, times every device of a district (a button without a 110 link test
   * holds `not-linked-110` for good).
   */
  conditions?: readonly Condition[];
  /** Cluster mode: what other nodes see of it (their own view, by node id); made at the first. */
  remote?: Map<string, { reasons: HealthReason[]; lastSeen?: number }>;
  /** A condition came or went (or its detail changed) since the last publish. */
  changed: boolean;
  /** This node's own view (without other nodes'): what it tells the others. */
  own: Health;
  /** What this node shows: its own view with every other node's reasons. */
  last: Health;
  /**
   * Set by a heartbeat that moved only the times (the common case): `own` and `last` still
   * carry the times before it and are rebuilt with `lastSeen` and this check time when read
   * (fresh()). A heartbeat then makes no object that would live until the device's next one
   * (10,000 devices: ~5,000 a second, each outliving young-generation collections).
   */
  checkedAt: number | undefined;
}

interface Condition {
  readonly code: HealthReasonCode;
  readonly since: number;
  readonly detail?: string;
}

function conditionOf(s: DeviceHealthState, code: HealthReasonCode): Condition | undefined {
  const list = s.conditions;
  if (list === undefined) return undefined;
  for (let i = 0; i < list.length; i++) if ((list[i] as Condition).code === code) return list[i];
  return undefined;
}

/**
 * `list` without `drop` and with `add`, as a new array of exactly that many entries (undefined
 * when none): built with `new Array(n)`, because push, spread and filter give even a one-entry
 * array room for 17 (~180 bytes, as much as the Map this replaced).
 */
function replaced(list: readonly Condition[] | undefined, drop: Condition | undefined, add: Condition | undefined): readonly Condition[] | undefined {
  const old = list ?? [];
  const n = old.length - (drop ? 1 : 0) + (add ? 1 : 0);
  if (n === 0) return undefined;
  const out = new Array<Condition>(n);
  let j = 0;
  for (const c of old) if (c !== drop) out[j++] = c;
  if (add) out[j] = add;
  return out;
}

function sameHealth(a: Health, b: Health): boolean {
  return a.status === b.status && a.reasons.length === b.reasons.length && a.reasons.every((r, i) => r.code === b.reasons[i]?.code && r.detail === b.reasons[i]?.detail);
}

const DAY_MS = 86_400_000;

/** A fault's reason names its code ('unspecified' without one); others the event's detail, if any. */
function reasonDetail(code: HealthReasonCode, e: DeviceEvent): string | undefined {
  if (code === 'fault') return String(e.data.code ?? 'unspecified');
  return e.data.detail === undefined ? undefined : String(e.data.detail);
}

export class HealthTracker {
  private readonly states = new Map<string, DeviceHealthState>();
  private readonly ownListeners: ((own: Health) => void)[] = [];
  private readonly expiries = new Map<string, number>();
  private timer?: Timer;

  constructor(
    private readonly registry: DeviceRegistry,
    private readonly bus: EventBus,
    private readonly clock: Clock,
    private readonly opts: HealthOptions,
    /** Whether a device's adapter leaves availability to heartbeats (passive). */
    private readonly isPassive: (device: Device) => boolean,
  ) {}

  start(): void {
    const now = this.clock.now();
    let minTimeout = Infinity;
    for (const device of this.registry.list()) {
      const timeoutMs = 1000 * (device.heartbeatTimeout ?? this.opts.heartbeatTimeout[device.kind] ?? 120);
      const supervised = this.isPassive(device);
      if (supervised) minTimeout = Math.min(minTimeout, timeoutMs);
      const state: DeviceHealthState = { device, supervised, timeoutMs, since: now, lastSeen: undefined, conditions: undefined, remote: undefined, changed: false, own: this.blank(device, now), last: this.blank(device, now), checkedAt: undefined };
      this.states.set(device.id, state);
    }
    if (Number.isFinite(minTimeout)) {
      // Granularity a quarter of the shortest timeout, at most a second.
      const tick = Math.max(50, Math.min(1000, Math.floor(minTimeout / 4)));
      this.timer = this.clock.setInterval(() => this.supervise(), tick);
    }
  }

  /**
   * Starts keeping the health of a device added after start() (an adapter discovered it), or
   * takes a renamed device's new record. Devices added at run time belong to adapters that check
   * them (active), so no supervision timer is needed for them.
   */
  track(device: Device): void {
    const existing = this.states.get(device.id);
    if (existing) {
      existing.device = device;
      return;
    }
    const now = this.clock.now();
    const timeoutMs = 1000 * (device.heartbeatTimeout ?? this.opts.heartbeatTimeout[device.kind] ?? 120);
    this.states.set(device.id, { device, supervised: this.isPassive(device), timeoutMs, since: now, lastSeen: undefined, conditions: undefined, remote: undefined, changed: false, own: this.blank(device, now), last: this.blank(device, now), checkedAt: undefined });
  }

  stop(): void {
    if (this.timer) this.clock.clearInterval(this.timer);
    this.timer = undefined;
  }

  observe(e: DeviceEvent): void {
    const s = this.states.get(e.deviceId);
    if (!s) return;
    if (e.type === 'status') {
      if (e.data.status === 'offline') this.set(s, 'offline', true, undefined, e.receivedAt);
      else {
        this.seen(s, e.receivedAt);
        this.set(s, 'offline', false);
      }
      this.publish(s);
      return;
    }
    this.seen(s, e.receivedAt);
    if (e.type === 'telemetry') this.telemetry(s, e);
    // What the vocabulary says an event sets or clears (fault, tamper).
    const meaning = eventMeaning(e.type);
    if (meaning?.sets) this.set(s, meaning.sets, true, reasonDetail(meaning.sets, e), e.receivedAt);
    if (meaning?.clears) this.set(s, meaning.clears, false);
    this.publish(s);
  }

  /**
   * Cluster mode: a device connected to another node was heard there (its status, telemetry or
   * event, relayed through the broker's Redis emitter). Only its liveness is taken here: that
   * node ingests the message and keeps its conditions; this one must not see it go silent.
   */
  heardElsewhere(deviceId: string, at: number, offline = false): void {
    const s = this.states.get(deviceId);
    if (!s) return;
    if (offline) this.set(s, 'offline', true, undefined, at);
    else {
      this.seen(s, at);
      this.set(s, 'offline', false);
    }
    this.publish(s);
  }

  setCondition(deviceId: string, code: HealthReasonCode, active: boolean, detail?: string): void {
    const s = this.states.get(deviceId);
    if (!s) return;
    // For devices an adapter checks (active), any report but "cannot reach it" is a sign of life.
    // For devices that report by themselves (passive), only their own messages are: a monitor
    // setting not-linked-110 on a dead button must not make it look alive.
    if (!s.supervised && !(active && OFFLINE_REASONS.has(code))) this.seen(s, this.clock.now());
    this.set(s, code, active, detail);
    this.publish(s);
  }

  /**
   * Cluster mode: another node's own view of a device (relayed over Redis, gateway/cluster/live-relay.ts).
   * Its reasons join this node's (a camera fault seen by the lease holder, a low battery seen
   * by the node the button is connected to); the change is announced with `from: node`.
   */
  adopt(node: string, health: Health): void {
    const s = this.states.get(health.deviceId);
    if (!s) return;
    (s.remote ??= new Map()).set(node, { reasons: health.reasons, ...(health.lastSeen !== undefined ? { lastSeen: health.lastSeen } : {}) });
    this.publish(s, node);
  }

  /** Cluster mode: a node left or stopped heart-beating; what it saw no longer counts. */
  forgetNode(node: string): void {
    for (const s of this.states.values()) {
      if (!s.remote?.delete(node)) continue;
      if (s.remote.size === 0) s.remote = undefined;
      this.publish(s, node);
    }
  }

  /** Nodes whose views are held here. */
  remoteNodes(): Set<string> {
    const nodes = new Set<string>();
    for (const s of this.states.values()) for (const n of s.remote?.keys() ?? []) nodes.add(n);
    return nodes;
  }

  /** Every change of this node's own view of a device (cluster mode: told to the other nodes). */
  onOwnChange(listener: (own: Health) => void): () => void {
    this.ownListeners.push(listener);
    return () => {
      const i = this.ownListeners.indexOf(listener);
      if (i >= 0) this.ownListeners.splice(i, 1);
    };
  }

  /** This node's own views worth telling a node that just joined: any reason, or a device only this node checks. */
  ownViews(): Health[] {
    return [...this.states.values()].filter((s) => s.own.reasons.length > 0 || (!s.supervised && s.own.lastSeen !== undefined)).map((s) => this.fresh(s).own);
  }

  get(deviceId: string): Health | undefined {
    const s = this.states.get(deviceId);
    return s && this.fresh(s).last;
  }

  all(): Health[] {
    return [...this.states.values()].map((s) => this.fresh(s).last);
  }

  /** Thresholds on a reading. A condition neither met nor held is left alone (no detail built). */
  private telemetry(s: DeviceHealthState, e: DeviceEvent): void {
    const battery = e.data.battery;
    if (typeof battery === 'number') {
      const low = battery < this.opts.lowBatteryPercent;
      if (low || conditionOf(s, 'low-battery')) this.set(s, 'low-battery', low, `${battery}%`, e.receivedAt);
    }
    const sim = e.data['sim.status'];
    if (typeof sim === 'string') {
      const suspended = SIM_SUSPENDED.has(sim.toLowerCase());
      if (suspended || conditionOf(s, 'sim-suspended')) this.set(s, 'sim-suspended', suspended, sim, e.receivedAt);
    }
    const expires = e.data['sim.expires'];
    if (typeof expires === 'string') {
      const at = this.expiryAt(expires);
      const expiring = Number.isFinite(at) && at - e.receivedAt < this.opts.simExpiringDays * DAY_MS;
      if (expiring || conditionOf(s, 'sim-expiring')) this.set(s, 'sim-expiring', expiring, expires, e.receivedAt);
    }
  }

  /** Date.parse of a SIM expiry, remembered: a device sends the same date with every reading. */
  private expiryAt(text: string): number {
    let at = this.expiries.get(text);
    if (at === undefined) {
      at = Date.parse(text);
      if (this.expiries.size >= 1024) this.expiries.clear();
      this.expiries.set(text, at);
    }
    return at;
  }

  private seen(s: DeviceHealthState, at: number): void {
    s.lastSeen = Math.max(s.lastSeen ?? 0, at);
    this.set(s, 'no-heartbeat', false);
  }

  private set(s: DeviceHealthState, code: HealthReasonCode, active: boolean, detail?: string, at?: number): void {
    const current = conditionOf(s, code);
    if (active) {
      if (current && current.detail === detail) return;
      s.conditions = replaced(s.conditions, current, { code, since: current?.since ?? at ?? this.clock.now(), ...(detail !== undefined ? { detail } : {}) });
      s.changed = true;
    } else if (current) {
      s.conditions = replaced(s.conditions, current, undefined);
      s.changed = true;
    }
  }

  private supervise(): void {
    const now = this.clock.now();
    for (const s of this.states.values()) {
      if (!s.supervised || conditionOf(s, 'no-heartbeat')) continue;
      const deadline = (s.lastSeen ?? s.since) + s.timeoutMs;
      if (now >= deadline) {
        this.set(s, 'no-heartbeat', true, s.lastSeen ? undefined : 'never reported', deadline);
        this.publish(s);
      }
    }
  }

  /** Folds the times of heartbeats since the last change into `own` and `last` (see DeviceHealthState.checkedAt). */
  private fresh(s: DeviceHealthState): DeviceHealthState {
    if (s.checkedAt === undefined) return s;
    // Set only while nothing but the times moved and no other node's view is held: `last` is `own`.
    const next: Health = { ...s.own, ...(s.lastSeen !== undefined ? { lastSeen: s.lastSeen } : {}), checkedAt: s.checkedAt };
    s.own = next;
    s.last = next;
    s.checkedAt = undefined;
    return s;
  }

  private blank(device: Device, now: number): Health {
    return { deviceId: device.id, siteId: device.siteId, kind: device.kind, status: 'unknown', reasons: [], checkedAt: now };
  }

  private view(s: DeviceHealthState, reasons: HealthReason[], lastSeen: number | undefined, now: number): Health {
    let status: HealthStatus;
    if (reasons.some((r) => OFFLINE_REASONS.has(r.code))) status = 'offline';
    else if (reasons.length > 0) status = 'degraded';
    else status = lastSeen === undefined ? 'unknown' : 'ok';
    return { deviceId: s.device.id, siteId: s.device.siteId, kind: s.device.kind, status, reasons, ...(lastSeen !== undefined ? { lastSeen } : {}), checkedAt: now };
  }

  /** `from`: the other node whose view changed (undefined: this node's own). */
  private publish(s: DeviceHealthState, from?: string): void {
    const now = this.clock.now();
    if (!s.changed && from === undefined && s.remote === undefined && s.own.lastSeen !== undefined) {
      // The common case, a heartbeat of a device already heard with nothing changed: the same
      // status and reasons, only the times move. No listener is told (nothing changed for them),
      // and the reasons are not rebuilt and sorted on every reading (10,000 devices: ~5,000/s).
      // The new times are folded in when the view is read (fresh()).
      s.checkedAt = now;
      return;
    }
    this.fresh(s);
    s.changed = false;
    const reasons: HealthReason[] = (s.conditions ?? [])
      .map((c) => ({ code: c.code, since: c.since, ...(c.detail !== undefined ? { detail: c.detail } : {}) }))
      .sort((a, b) => a.code.localeCompare(b.code));
    const own = this.view(s, reasons, s.lastSeen, now);
    const ownChanged = !sameHealth(s.own, own);
    s.own = own;
    let next = own;
    if (s.remote && s.remote.size > 0) {
      // Other nodes' reasons join this node's (its own detail first when both see one).
      const merged = new Map(reasons.map((r) => [r.code, r]));
      let lastSeen = s.lastSeen;
      for (const view of s.remote.values()) {
        for (const r of view.reasons) if (!merged.has(r.code)) merged.set(r.code, r);
        if (view.lastSeen !== undefined) lastSeen = Math.max(lastSeen ?? 0, view.lastSeen);
      }
      next = this.view(s, [...merged.values()].sort((a, b) => a.code.localeCompare(b.code)), lastSeen, now);
    }
    const previous = s.last;
    s.last = next;
    if (ownChanged && from === undefined) {
      for (const l of [...this.ownListeners]) l(own);
    }
    if (!sameHealth(previous, next)) this.bus.emit('health.changed', { health: next, previous, ...(from !== undefined ? { from } : {}) });
  }
}
