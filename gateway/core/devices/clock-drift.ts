/**
 * One clock view: every device and link that reports time, with how far its clock is from the
 * gateway's and when that was measured. Sources: a device's own time on what it sends (MQTT
 * `at`, DC-09 timestamps), and what adapters measure themselves as `clockDriftSeconds` readings
 * (ONVIF GetSystemDateAndTime, the 110 centre's NAK time). Over `health.clockDriftSeconds`, a
 * device-time drift is the `clock-drift` health reason; an adapter that measures the drift
 * itself keeps that reason itself (its own limit).
 */
import type { Device, DeviceEvent } from '../../contract/types.js';
import type { HealthTracker } from './health.js';

export type ClockSource = 'mqtt' | 'dc09' | 'onvif' | '110-nak' | 'device';

export interface ClockReading {
  deviceId: string;
  siteId: string;
  kind: string;
  source: ClockSource;
  /** Device clock minus gateway clock, seconds (positive: the device is ahead). */
  driftSeconds: number;
  measuredAt: number;
}

/** Where an adapter's measured drift comes from. */
const MEASURED_BY: Readonly<Record<string, ClockSource>> = { 'camera-onvif': 'onvif', 'alarm-centre-dc09': '110-nak' };
/** Where a device's own time on its messages comes from. */
const STAMPED_BY: Readonly<Record<string, ClockSource>> = { 'mqtt-native': 'mqtt', 'panel-dc09': 'dc09' };

/** The furthest off first, then by device id. */
function furthestFirst(a: Pick<ClockReading, 'deviceId' | 'driftSeconds'>, b: Pick<ClockReading, 'deviceId' | 'driftSeconds'>): number {
  return Math.abs(b.driftSeconds) - Math.abs(a.driftSeconds) || a.deviceId.localeCompare(b.deviceId);
}

/**
 * Several nodes' views in one (cluster mode: each node measures the devices connected to it, and
 * a device that moved between nodes is in both): per device the latest measurement, the
 * furthest off first.
 */
export function mergeClockViews<T extends Pick<ClockReading, 'deviceId' | 'driftSeconds' | 'measuredAt'>>(views: readonly (readonly T[])[]): T[] {
  const latest = new Map<string, T>();
  for (const view of views) {
    for (const r of view) {
      const held = latest.get(r.deviceId);
      if (held === undefined || held.measuredAt < r.measuredAt) latest.set(r.deviceId, r);
    }
  }
  return [...latest.values()].sort(furthestFirst);
}

export class ClockDriftBook {
  private readonly readings = new Map<string, ClockReading>();

  constructor(
    private readonly health: Pick<HealthTracker, 'setCondition'>,
    private readonly limitSeconds: number,
  ) {}

  /**
   * An ingested event, with the device time it carried (undefined when it carried none). An
   * MQTT device's discrete events may have waited in its queue: only its readings measure it.
   */
  observe(device: Device, e: DeviceEvent, deviceAt: number | undefined): void {
    const measured = e.type === 'telemetry' ? e.data['clockDriftSeconds'] : undefined;
    if (typeof measured === 'number' && Number.isFinite(measured)) {
      this.put(device, MEASURED_BY[device.adapter] ?? 'device', measured, e.receivedAt);
      return;
    }
    if (deviceAt === undefined || e.type === 'status') return;
    const source = STAMPED_BY[device.adapter] ?? 'device';
    if (source === 'mqtt' && e.type !== 'telemetry') return;
    const drift = Math.round((deviceAt - e.receivedAt) / 100) / 10;
    this.put(device, source, drift, e.receivedAt);
    const over = Math.abs(drift) > this.limitSeconds;
    this.health.setCondition(device.id, 'clock-drift', over, over ? `device clock ${drift > 0 ? 'ahead' : 'behind'} by ${Math.abs(drift)} s (limit ${this.limitSeconds} s)` : undefined);
  }

  list(): ClockReading[] {
    // Copies: the book updates its readings in place.
    return [...this.readings.values()].map((r) => ({ ...r })).sort(furthestFirst);
  }

  get limit(): number {
    return this.limitSeconds;
  }

  /** A device's reading is updated in place: a new object per reading lived until the next one. */
  private put(device: Device, source: ClockSource, driftSeconds: number, measuredAt: number): void {
    const r = this.readings.get(device.id);
    if (r === undefined) {
      this.readings.set(device.id, { deviceId: device.id, siteId: device.siteId, kind: device.kind, source, driftSeconds, measuredAt });
      return;
    }
    r.siteId = device.siteId;
    r.kind = device.kind;
    r.source = source;
    r.driftSeconds = driftSeconds;
    r.measuredAt = measuredAt;
  }
}
