/**
 * Core domain types. Pure data: no I/O, no protocol knowledge.
 * Adapters produce DeviceEvents; the core turns them into Health and Alarms.
 */
import type { AlarmType, Severity } from './alarm-types.js';
import type { DeviceEventType, DeviceKind, HealthReasonCode } from './vocabulary.js';

/** Weekly protection window, local time of the site's time zone ("HH:MM"). */
export interface ProtectionWindow {
  /** ISO weekdays, 1 = Monday … 7 = Sunday. */
  days: number[];
  start: string;
  end: string;
  label?: string;
}

export interface Site {
  id: string;
  name: string;
  /** English name, for the dashboard's English view. */
  nameEn?: string;
  /** 'school' when omitted. */
  kind?: 'school' | 'police';
  district: string;
  location?: { lat: number; lon: number };
  timeZone: string;
  protectionWindows: ProtectionWindow[];
  /** Dates (YYYY-MM-DD) on which no window applies (holidays). */
  holidays: string[];
  /** Account number at the 110 alarm centre (SIA DC-09 account). */
  arcAccount?: string;
  contacts: { name: string; role: string; phone?: string; radio?: string }[];
}

export interface Device {
  id: string;
  siteId: string;
  kind: DeviceKind;
  /** Adapter type that owns this device, e.g. 'mqtt-native'. */
  adapter: string;
  name: string;
  /** The device's MQTT secret as a mosquitto `$7$` PBKDF2 hash (plaintext never reaches the registry). */
  secretHash?: string;
  /** Seconds without a heartbeat before `no-heartbeat`; overrides the kind's default. */
  heartbeatTimeout?: number;
  options: Record<string, unknown>;
}

export type Scalar = number | string | boolean;

export interface DeviceEvent {
  id: string;
  deviceId: string;
  siteId: string;
  /** Discrete events (vocabulary.ts: press, cancel, test, impact, fault, tamper, raised, lowered…);
   *  'telemetry' for periodic readings; 'status' for online/offline. */
  type: DeviceEventType;
  /** Device time (ms since epoch); receivedAt when the device gave none. */
  at: number;
  receivedAt: number;
  seq?: number;
  data: Record<string, Scalar>;
}

export interface HealthReason {
  code: HealthReasonCode;
  /** Human detail, e.g. the fault code or the SIM status. */
  detail?: string;
  since: number;
}

export type HealthStatus = 'ok' | 'degraded' | 'offline' | 'unknown';

export interface Health {
  deviceId: string;
  siteId: string;
  kind: DeviceKind;
  status: HealthStatus;
  reasons: HealthReason[];
  lastSeen?: number;
  checkedAt: number;
}

export type AlarmState = 'active' | 'acknowledged' | 'resolved';

export interface AlarmEntry {
  at: number;
  /** raised, repeat, acknowledged, resolved, forward-queued, forward-sent, forward-acked, … */
  action: string;
  /** Operator name, or 'system', or the device id. */
  by: string;
  note?: string;
  data?: Record<string, Scalar>;
}

export interface Alarm {
  id: string;
  type: AlarmType;
  severity: Severity;
  siteId: string;
  deviceId?: string;
  state: AlarmState;
  raisedAt: number;
  updatedAt: number;
  repeats: number;
  /** True for alarms raised during a drill; never forwarded as a real alarm. */
  drill: boolean;
  /** Short text shown on the board. */
  summary: string;
  timeline: AlarmEntry[];
}
