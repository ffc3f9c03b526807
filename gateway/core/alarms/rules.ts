/**
 * Turns device events and health changes into alarms: the one place that decides which
 * event or reason is an alarm, reading the contract's vocabulary (DEVICE_EVENTS `raises`,
 * REASON_ALARMS) and the alarm-type catalogue (severity, words). Protocol-free: it sees
 * DeviceEvents and Health only (barrier windows are core/barriers/watch.ts's).
 */
import type { Logger } from 'pino';
import type { DeviceRegistry } from '../../contract/adapter.js';
import type { AlarmService } from './service.js';
import type { Clock, Timer } from '../../contract/clock.js';
import type { Device, DeviceEvent, Health } from '../../contract/types.js';
import { eventMeaning, REASON_ALARMS, type EventMeaning, type HealthReasonCode } from '../../contract/vocabulary.js';
import { ALARM_TYPE_CATALOGUE, type AlarmType } from '../../contract/alarm-types.js';
import { errorMessage } from '../../contract/errors.js';
import type { ArrivalMarks } from '../../contract/press-timing.js';

export interface RuleOptions {
  /** Seconds a device may stay offline before a device-offline alarm (0 disables). */
  offlineAlarmAfter: number;
  /** Whether a drill is running at the school: emergencies raised there then are drills. */
  isDrill?(siteId: string): boolean;
}

/** What an event's data adds to the summary: the field its meaning names (a fault's code). */
function summaryDetail(e: DeviceEvent, field: string | undefined): string {
  const value = field === undefined ? undefined : e.data[field];
  return value === undefined ? '' : ` (${String(value)})`;
}

export class AlarmRules {
  private readonly offlineTimers = new Map<string, Timer>();

  constructor(
    private readonly alarms: AlarmService,
    private readonly registry: DeviceRegistry,
    private readonly clock: Clock,
    private readonly opts: RuleOptions,
    private readonly log: Logger,
  ) {}

  /**
   * What the event decides (an alarm raised, a cancel noted): a promise that resolves once that
   * is committed and rejects when it could not be (the caller must then not acknowledge the
   * event); undefined when the event decides nothing, as a reading or a status report (the
   * broker's hot path then needs no promise). `arrival`: the event's marks on the alarm path
   * (press-timing.ts), kept with the alarm it raises.
   */
  onEvent(e: DeviceEvent, arrival?: ArrivalMarks): Promise<void> | undefined {
    const meaning = eventMeaning(e.type);
    if (!meaning?.raises && !meaning?.cancels) return undefined;
    const device = this.registry.get(e.deviceId);
    if (!device) return undefined;
    return meaning.raises ? this.raise(e, device, meaning.raises, meaning, arrival) : meaning.cancels ? this.cancel(e, device, meaning.cancels) : undefined;
  }

  private async raise(e: DeviceEvent, device: Device, type: AlarmType, meaning: EventMeaning, arrival: ArrivalMarks | undefined): Promise<void> {
    // A device that serves several schools (a radio box) names the school the event concerns.
    const named = typeof e.data.siteId === 'string' && this.registry.site(e.data.siteId) ? e.data.siteId : undefined;
    const siteId = named ?? device.siteId;
    const { alarm, created } = await this.alarms.raise({
      type,
      severity: ALARM_TYPE_CATALOGUE[type].severity,
      siteId,
      deviceId: device.id,
      summary: `${this.registry.site(siteId)?.name ?? siteId} · ${device.name} · ${meaning.label ?? ALARM_TYPE_CATALOGUE[type].zh}${summaryDetail(e, meaning.summaryFrom)}`,
      by: device.id,
      at: e.receivedAt,
      data: e.data,
      // Emergencies a drill exercises; device faults and outages stay real during a drill.
      drill: (meaning.drillable ?? false) && (this.opts.isDrill?.(siteId) ?? false),
      ...(arrival ? { arrival: { receivedAt: arrival.receivedAt, decodedAt: arrival.decodedAt, ...(e.seq !== undefined ? { seq: e.seq } : {}) } } : {}),
    });
    if (created) this.log.warn({ alarmId: alarm.id, type: alarm.type, deviceId: device.id }, 'alarm raised');
  }

  /** A school's cancel is recorded for the duty officer; it never silences the alarm by itself. */
  private async cancel(e: DeviceEvent, device: Device, cancels: AlarmType): Promise<void> {
    const open = this.alarms.openAlarms().find((a) => a.type === cancels && a.deviceId === device.id);
    if (open) await this.alarms.note(open.id, { action: 'cancel-requested', by: device.id, at: e.receivedAt });
  }

  /**
   * Health changes raise and clear alarms in the background: nobody waits for them, so a change
   * that cannot be committed is logged (the condition is seen again on the next change).
   */
  onHealth(health: Health, previous?: Health): Promise<void> {
    const work: Promise<unknown>[] = [];
    const track = (p: Promise<unknown>, what: string) =>
      work.push(p.catch((err: unknown) => this.log.error({ err: errorMessage(err), deviceId: health.deviceId, what }, 'health alarm could not be committed')));
    this.healthAlarms(health, previous, track);
    return Promise.all(work).then(() => undefined);
  }

  private healthAlarms(health: Health, previous: Health | undefined, track: (p: Promise<unknown>, what: string) => void): void {
    const device = this.registry.get(health.deviceId);
    if (!device) return;
    for (const [code, rule] of Object.entries(REASON_ALARMS) as [HealthReasonCode, { raises: AlarmType; label: string }][]) {
      const now = health.reasons.find((r) => r.code === code);
      const before = previous?.reasons.some((r) => r.code === code) ?? false;
      if (now && !before) {
        track(this.alarms.raise({
          type: rule.raises,
          severity: ALARM_TYPE_CATALOGUE[rule.raises].severity,
          siteId: device.siteId,
          deviceId: device.id,
          summary: `${device.name} · ${rule.label}${now.detail ? ` (${now.detail})` : ''}`,
          by: 'system',
        }), rule.raises);
      } else if (!now) {
        // Also after a restart, when the alarm was raised by the previous run: clear() is a no-op without one.
        track(this.alarms.clear(rule.raises, device.siteId, device.id, '已恢复 / restored'), `clear ${rule.raises}`);
      }
    }
    if (this.opts.offlineAlarmAfter <= 0) return;
    const wasOffline = previous?.status === 'offline';
    const isOffline = health.status === 'offline';
    // A reason with its own alarm (link-down) is not reported twice as device-offline.
    const ownAlarm = health.reasons.some((r) => REASON_ALARMS[r.code]);
    if (isOffline && !wasOffline && !ownAlarm) {
      const t = this.clock.setTimeout(() => {
        this.offlineTimers.delete(device.id);
        const reasons = health.reasons.map((r) => r.code).join(', ');
        this.alarms
          .raise({
            type: 'device-offline',
            severity: ALARM_TYPE_CATALOGUE['device-offline'].severity,
            siteId: device.siteId,
            deviceId: device.id,
            summary: `${this.siteName(device)} · ${device.name} · ${ALARM_TYPE_CATALOGUE['device-offline'].zh} (${reasons})`,
            by: 'system',
          })
          .catch((err: unknown) => this.log.error({ err: errorMessage(err), deviceId: device.id }, 'device-offline alarm could not be committed'));
      }, this.opts.offlineAlarmAfter * 1000);
      this.offlineTimers.set(device.id, t);
    } else if (!isOffline) {
      const t = this.offlineTimers.get(device.id);
      if (t) this.clock.clearTimeout(t);
      this.offlineTimers.delete(device.id);
      if (health.status !== 'unknown') track(this.alarms.clear('device-offline', device.siteId, device.id, '设备恢复在线 / device back online'), 'clear device-offline');
    }
  }

  stop(): void {
    for (const t of this.offlineTimers.values()) this.clock.clearTimeout(t);
    this.offlineTimers.clear();
  }

  private siteName(device: Device): string {
    return this.registry.site(device.siteId)?.name ?? device.siteId;
  }
}
