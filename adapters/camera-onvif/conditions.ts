/**
 * Conditions of each camera as two sources see them: the checks (periodic and sweep) and the
 * ONVIF event subscription (tamper, video loss). A condition is on while either source has it;
 * ctx.setCondition is called only when that changes, and once for every code the first time a
 * camera is reported, so stale conditions from before a restart are cleared.
 */
import type { HealthReasonCode } from '../../gateway/contract/vocabulary.js';

export const CAMERA_CONDITIONS: readonly HealthReasonCode[] = [
  'unreachable', 'auth-failed', 'clock-drift', 'no-stream-uri', 'stream-down',
  'image-black', 'image-frozen', 'image-changed', 'tamper', 'check-error',
];

export type ConditionSource = 'check' | 'events';
type Reasons = Map<HealthReasonCode, string | undefined>;
type SetCondition = (deviceId: string, code: HealthReasonCode, active: boolean, detail?: string) => void;

export class ConditionTracker {
  private readonly bySource = new Map<string, Record<ConditionSource, Reasons>>();
  private readonly reported = new Map<string, Set<HealthReasonCode>>();

  constructor(private readonly setCondition: SetCondition) {}

  /** Replaces everything `source` says about the camera. */
  update(deviceId: string, source: ConditionSource, reasons: readonly { code: HealthReasonCode; detail?: string }[]): void {
    this.sources(deviceId)[source] = new Map(reasons.map((r) => [r.code, r.detail]));
    this.publish(deviceId);
  }

  /** Turns one condition of `source` on or off. */
  set(deviceId: string, source: ConditionSource, code: HealthReasonCode, active: boolean, detail?: string): void {
    const reasons = this.sources(deviceId)[source];
    if (active) reasons.set(code, detail);
    else reasons.delete(code);
    this.publish(deviceId);
  }

  active(deviceId: string): HealthReasonCode[] {
    return [...(this.reported.get(deviceId) ?? [])].sort();
  }

  forget(deviceId: string): void {
    this.bySource.delete(deviceId);
    this.reported.delete(deviceId);
  }

  private sources(deviceId: string): Record<ConditionSource, Reasons> {
    let s = this.bySource.get(deviceId);
    if (!s) {
      s = { check: new Map(), events: new Map() };
      this.bySource.set(deviceId, s);
    }
    return s;
  }

  private publish(deviceId: string): void {
    const s = this.sources(deviceId);
    const before = this.reported.get(deviceId);
    const now = new Set<HealthReasonCode>();
    for (const code of CAMERA_CONDITIONS) {
      const on = s.check.has(code) || s.events.has(code);
      if (on) now.add(code);
      if (before && before.has(code) === on) continue;
      if (!on) {
        this.setCondition(deviceId, code, false);
        continue;
      }
      const detail = s.check.get(code) ?? s.events.get(code);
      if (detail === undefined) this.setCondition(deviceId, code, true);
      else this.setCondition(deviceId, code, true, detail);
    }
    this.reported.set(deviceId, now);
  }
}
