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
  /** Made at the first condition: an empty Map costs ~230 bytes, times every device of a district. */
  conditions?: Map<HealthReasonCode, { detail?: string; since: number }>;
  last: Health;
}

const DAY_MS = 86_400_000;

/** A fault's reason names its code ('unspecified' without one); others the event's detail, if any. */
function reasonDetail(code: HealthReasonCode, e: DeviceEvent): string | undefined {
  if (code === 'fault') return String(e.data.code ?? 'unspecified');
  return e.data.detail === undefined ? undefined : String(e.data.detail);
}

export class HealthTracker {
  private readonly states = new Map<string, DeviceHealthState>();
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
      const state: DeviceHealthState = { device, supervised, timeoutMs, since: now, lastSeen: undefined, conditions: undefined, last: this.blank(device, now) };
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
    this.states.set(device.id, { device, supervised: this.isPassive(device), timeoutMs, since: now, lastSeen: undefined, conditions: undefined, last: this.blank(device, now) });
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

  get(deviceId: string): Health | undefined {
    return this.states.get(deviceId)?.last;
  }

  all(): Health[] {
    return [...this.states.values()].map((s) => s.last);
  }

  private telemetry(s: DeviceHealthState, e: DeviceEvent): void {
    const battery = e.data.battery;
    if (typeof battery === 'number') {
      this.set(s, 'low-battery', battery < this.opts.lowBatteryPercent, `${battery}%`, e.receivedAt);
    }
    const sim = e.data['sim.status'];
    if (typeof sim === 'string') this.set(s, 'sim-suspended', SIM_SUSPENDED.has(sim.toLowerCase()), sim, e.receivedAt);
    const expires = e.data['sim.expires'];
    if (typeof expires === 'string') {
      const at = Date.parse(expires);
      const expiring = Number.isFinite(at) && at - e.receivedAt < this.opts.simExpiringDays * DAY_MS;
      this.set(s, 'sim-expiring', expiring, expires, e.receivedAt);
    }
  }

  private seen(s: DeviceHealthState, at: number): void {
    s.lastSeen = Math.max(s.lastSeen ?? 0, at);
    this.set(s, 'no-heartbeat', false);
  }

  private set(s: DeviceHealthState, code: HealthReasonCode, active: boolean, detail?: string, at?: number): void {
    const current = s.conditions?.get(code);
    if (active) {
      if (current && current.detail === detail) return;
      s.conditions ??= new Map();
      s.conditions.set(code, { since: current?.since ?? at ?? this.clock.now(), ...(detail !== undefined ? { detail } : {}) });
    } else if (current) {
      s.conditions?.delete(code);
      if (s.conditions?.size === 0) s.conditions = undefined;
    }
  }

  private supervise(): void {
    const now = this.clock.now();
    for (const s of this.states.values()) {
      if (!s.supervised || s.conditions?.has('no-heartbeat')) continue;
      const deadline = (s.lastSeen ?? s.since) + s.timeoutMs;
      if (now >= deadline) {
        this.set(s, 'no-heartbeat', true, s.lastSeen ? undefined : 'never reported', deadline);
        this.publish(s);
      }
    }
  }

  private blank(device: Device, now: number): Health {
    return { deviceId: device.id, siteId: device.siteId, kind: device.kind, status: 'unknown', reasons: [], checkedAt: now };
  }

  private publish(s: DeviceHealthState): void {
    const reasons: HealthReason[] = [...(s.conditions?.entries() ?? [])]
      .map(([code, c]) => ({ code, since: c.since, ...(c.detail !== undefined ? { detail: c.detail } : {}) }))
      .sort((a, b) => a.code.localeCompare(b.code));
    let status: HealthStatus;
    if (reasons.some((r) => OFFLINE_REASONS.has(r.code))) status = 'offline';
    else if (reasons.length > 0) status = 'degraded';
    else status = s.lastSeen === undefined ? 'unknown' : 'ok';
    const previous = s.last;
    const next: Health = {
      deviceId: s.device.id,
      siteId: s.device.siteId,
      kind: s.device.kind,
      status,
      reasons,
      ...(s.lastSeen !== undefined ? { lastSeen: s.lastSeen } : {}),
      checkedAt: this.clock.now(),
    };
    s.last = next;
    const changed =
      previous.status !== next.status ||
      previous.reasons.length !== next.reasons.length ||
      previous.reasons.some((r, i) => r.code !== next.reasons[i]?.code || r.detail !== next.reasons[i]?.detail);
    if (changed) this.bus.emit('health.changed', { health: next, previous });
  }
}
