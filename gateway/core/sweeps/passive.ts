/**
 * The sweep check of a device nobody can ask (mqtt-native buttons and other passive devices,
 * or a device whose adapter is not running): what the health tracker knows, with the age of
 * the last message judged again against the device's heartbeat timeout at sweep time (the
 * tracker's supervision tick may not have fired yet).
 */
import type { CheckResult } from '../../contract/adapter.js';
import type { Device, Health, HealthStatus, Scalar } from '../../contract/types.js';
import { OFFLINE_REASONS, type HealthReasonCode } from '../../contract/vocabulary.js';


/** Seconds without a message before `no-heartbeat`: the device's own, else its kind's, else 120 (tracker default). */
export function heartbeatTimeoutSeconds(device: Device, perKind: Readonly<Record<string, number>>): number {
  return device.heartbeatTimeout ?? perKind[device.kind] ?? 120;
}

export function statusOfReasons(reasons: readonly { code: HealthReasonCode }[]): HealthStatus {
  if (reasons.some((r) => OFFLINE_REASONS.has(r.code))) return 'offline';
  return reasons.length > 0 ? 'degraded' : 'ok';
}

const round1 = (n: number) => Math.round(n * 10) / 10;

export function passiveCheck(device: Device, health: Health | undefined, now: number, timeoutS: number): CheckResult {
  const evidence: Record<string, Scalar> = { heartbeatTimeoutS: timeoutS };
  if (!health) {
    return { status: 'unknown', reasons: [{ code: 'check-error', detail: 'the health tracker does not know this device' }], evidence };
  }
  evidence.trackerStatus = health.status;
  const reasons: CheckResult['reasons'] = health.reasons.map((r) => ({ code: r.code, ...(r.detail !== undefined ? { detail: r.detail } : {}) }));
  const silent = reasons.some((r) => OFFLINE_REASONS.has(r.code));
  if (health.lastSeen === undefined) {
    evidence.lastSeenAgeS = -1;
    // Never heard from since the gateway started and not yet timed out: not proven healthy,
    // so never reported ok (a dead device reported healthy is what a sweep must not do).
    if (reasons.length === 0) return { status: 'unknown', reasons: [{ code: 'no-heartbeat', detail: 'no message since the gateway started' }], evidence };
    return { status: statusOfReasons(reasons), reasons, evidence };
  }
  const ageS = Math.max(0, (now - health.lastSeen) / 1000);
  evidence.lastSeenAgeS = round1(ageS);
  if (!silent && ageS > timeoutS) reasons.push({ code: 'no-heartbeat', detail: `last message ${round1(ageS)} s ago (timeout ${timeoutS} s)` });
  reasons.sort((a, b) => a.code.localeCompare(b.code));
  return { status: statusOfReasons(reasons), reasons, evidence };
}
