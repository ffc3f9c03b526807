/**
 * Alarm notifications (GB/T 28181-2016 §9.4, A.2.5.3) mapped to the gateway's vocabulary.
 * AlarmMethod (A.2.5.3 / D.3): 1 phone, 2 device, 3 SMS, 4 GPS, 5 video, 6 device fault, 7 other;
 * Info/AlarmType refines it: for device alarms 1 video loss, 2 tamper (防拆), 3 disk full,
 * 4 high temperature, 5 low temperature; for video alarms 1 manual, 2 motion, 3 left object,
 * 4 removed object, 5 tripwire, 6 intrusion, 7 wrong way, 8 loitering, 9 flow count, 10 density,
 * 11 video abnormal, 12 fast movement; for device faults 1 disk, 2 fan.
 */
import type { DeviceEventType } from '../../gateway/contract/vocabulary.js';
import type { Scalar } from '../../gateway/contract/types.js';

export interface GbAlarm {
  priority?: number;
  method?: number;
  alarmType?: number;
  description?: string;
}

export interface MappedAlarm {
  type: DeviceEventType;
  data: Record<string, Scalar>;
}

const DEVICE_ALARMS: Readonly<Record<number, string>> = { 3: 'disk-full', 4: 'high-temperature', 5: 'low-temperature' };
const FAULTS: Readonly<Record<number, string>> = { 1: 'disk-fault', 2: 'fan-fault' };
const INTRUSIONS = new Set([5, 6, 7, 8]);

/** The vocabulary event an alarm is, or undefined when the gateway has no word for it. */
export function mapAlarm(a: GbAlarm): MappedAlarm | undefined {
  const base: Record<string, Scalar> = {
    ...(a.priority !== undefined ? { priority: a.priority } : {}),
    ...(a.method !== undefined ? { method: a.method } : {}),
    ...(a.alarmType !== undefined ? { alarmType: a.alarmType } : {}),
    ...(a.description ? { detail: a.description } : {}),
  };
  const t = a.alarmType;
  switch (a.method) {
    case 2:
      if (t === 1) return { type: 'video-loss', data: { ...base, active: true } };
      if (t === 2) return { type: 'tamper', data: { detail: a.description || 'device tamper (防拆)', ...base } };
      if (t !== undefined && DEVICE_ALARMS[t]) return { type: 'fault', data: { ...base, code: DEVICE_ALARMS[t] as string } };
      return { type: 'fault', data: { ...base, code: `device-alarm-${t ?? 'unspecified'}` } };
    case 5:
      if (t === 2 || t === 1) return { type: 'motion', data: base };
      if (t !== undefined && INTRUSIONS.has(t)) return { type: 'intrusion', data: { detail: a.description || `video analytics ${t}`, ...base } };
      // Video abnormal: the picture is covered or defocused, which is tampering with the camera.
      if (t === 11) return { type: 'tamper', data: { detail: a.description || 'video abnormal (遮挡/移位)', ...base } };
      return { type: 'motion', data: base };
    case 6:
      return { type: 'fault', data: { ...base, code: (t !== undefined ? FAULTS[t] : undefined) ?? `fault-${t ?? 'unspecified'}` } };
    default:
      return undefined;
  }
}
