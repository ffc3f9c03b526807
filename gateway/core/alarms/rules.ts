/**
 * Turns device events and health changes into alarms. Protocol-free: it sees DeviceEvents
 * and Health only.
 */
import type { Logger } from 'pino';
import type { DeviceRegistry } from '../../contract/adapter.js';
import type { AlarmService } from './service.js';
import type { Clock, Timer } from '../../contract/clock.js';
import type { AlarmType, Device, DeviceEvent, Health, HealthReasonCode, Severity } from '../../contract/types.js';

export interface RuleOptions {
  /** Seconds a device may stay offline before a device-offline alarm (0 disables). */
  offlineAlarmAfter: number;
  /** Whether a drill is running at the school: emergencies raised there then are drills. */
  isDrill?(siteId: string): boolean;
}

/** Emergencies a drill exercises; device faults and outages stay real during a drill. */
const DRILLABLE = new Set(['press', 'impact', 'emergency-call']);

const EVENT_ALARMS: Record<string, { type: AlarmType; severity: Severity; label: string }> = {
  press: { type: 'panic', severity: 'critical', label: '一键报警' },
  impact: { type: 'barrier-impact', severity: 'critical', label: '防冲撞装置受撞击' },
  tamper: { type: 'tamper', severity: 'major', label: '设备被拆动' },
  fault: { type: 'device-fault', severity: 'minor', label: '设备故障' },
  // A school's emergency call on its radio handset is a press (一呼百应 works both ways).
  'emergency-call': { type: 'panic', severity: 'critical', label: '对讲紧急呼叫' },
};

/** Health reasons that are alarms in their own right, raised at once and cleared with the reason. */
const REASON_ALARMS: Partial<Record<HealthReasonCode, { type: AlarmType; severity: Severity; label: string }>> = {
  'link-down': { type: 'link-down', severity: 'critical', label: '110 联网中断 (主备线路均不可用)' },
  'channel-unbound': { type: 'channel-down', severity: 'major', label: '广播通道中断' },
};

export class AlarmRules {
  private readonly offlineTimers = new Map<string, Timer>();

  constructor(
    private readonly alarms: AlarmService,
    private readonly registry: DeviceRegistry,
    private readonly clock: Clock,
    private readonly opts: RuleOptions,
    private readonly log: Logger,
  ) {}

  onEvent(e: DeviceEvent): void {
    const device = this.registry.get(e.deviceId);
    if (!device) return;
    const rule = EVENT_ALARMS[e.type];
    if (rule) {
      let detail = e.type === 'fault' && e.data.code !== undefined ? ` (${String(e.data.code)})` : '';
      // A radio box serves many schools: the call belongs to the school whose talkgroup it came on.
      const callSite = typeof e.data.siteId === 'string' && this.registry.site(e.data.siteId) ? e.data.siteId : undefined;
      if (e.type === 'emergency-call') detail = ` (${String(e.data.talkgroup ?? '')} ${String(e.data.unit ?? '')})`;
      const siteId = callSite ?? device.siteId;
      const { alarm, created } = this.alarms.raise({
        type: rule.type,
        severity: rule.severity,
        siteId,
        deviceId: device.id,
        summary: `${this.registry.site(siteId)?.name ?? siteId} · ${device.name} · ${rule.label}${detail}`,
        by: device.id,
        at: e.receivedAt,
        data: e.data,
        drill: DRILLABLE.has(e.type) && (this.opts.isDrill?.(siteId) ?? false),
      });
      if (created) this.log.warn({ alarmId: alarm.id, type: alarm.type, deviceId: device.id }, 'alarm raised');
      return;
    }
    if (e.type === 'cancel' || e.type === 'emergency-cancel') {
      // A school's cancel is recorded for the duty officer; it never silences a panic by itself.
      const open = this.alarms.openAlarms().find((a) => a.type === 'panic' && a.deviceId === device.id);
      if (open) this.alarms.note(open.id, { action: 'cancel-requested', by: device.id, at: e.receivedAt });
    }
  }

  onHealth(health: Health, previous?: Health): void {
    const device = this.registry.get(health.deviceId);
    if (!device) return;
    for (const [code, rule] of Object.entries(REASON_ALARMS) as [HealthReasonCode, { type: AlarmType; severity: Severity; label: string }][]) {
      const now = health.reasons.find((r) => r.code === code);
      const before = previous?.reasons.some((r) => r.code === code) ?? false;
      if (now && !before) {
        this.alarms.raise({
          type: rule.type,
          severity: rule.severity,
          siteId: device.siteId,
          deviceId: device.id,
          summary: `${device.name} · ${rule.label}${now.detail ? ` (${now.detail})` : ''}`,
          by: 'system',
        });
      } else if (!now) {
        // Also after a restart, when the alarm was raised by the previous run: clear() is a no-op without one.
        this.alarms.clear(rule.type, device.siteId, device.id, '已恢复 / restored');
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
        this.alarms.raise({
          type: 'device-offline',
          severity: 'major',
          siteId: device.siteId,
          deviceId: device.id,
          summary: `${this.siteName(device)} · ${device.name} · 设备离线 (${reasons})`,
          by: 'system',
        });
      }, this.opts.offlineAlarmAfter * 1000);
      this.offlineTimers.set(device.id, t);
    } else if (!isOffline) {
      const t = this.offlineTimers.get(device.id);
      if (t) this.clock.clearTimeout(t);
      this.offlineTimers.delete(device.id);
      if (health.status !== 'unknown') this.alarms.clear('device-offline', device.siteId, device.id, '设备恢复在线 / device back online');
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
