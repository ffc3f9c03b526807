/**
 * What devices say, and what the core does with it: the closed vocabulary an adapter speaks
 * to the core, per device kind. Read this (with adapter.ts) before writing an adapter:
 *
 * - events (DeviceEventInput.type): which kinds send them, and the core's reaction: an alarm
 *   raised at once (core/alarms/rules.ts), a health reason set or cleared
 *   (core/devices/health.ts), a barrier position (core/barriers/watch.ts);
 * - event data the core reads: `code` (a fault's code), `detail` (shown in the alarm's
 *   summary), `siteId` (the school an event concerns when the device serves several, like a
 *   radio box), `position` (a barrier's), the telemetry fields below;
 * - health: which reasons mean the device cannot be reached (offline), which raise alarms;
 * - commands and check evidence per kind.
 *
 * Adapters report what they read; the core decides what it means (an adapter never raises
 * an alarm, and never judges a barrier against a protection window).
 */
import type { AlarmType } from './alarm-types.js';

/** The kinds of device the gateway knows. */
export const DEVICE_KINDS = ['alarm-button', 'barrier', 'camera', 'nvr', 'sms', 'radio', 'alarm-centre'] as const;
export type DeviceKind = (typeof DEVICE_KINDS)[number];

/** Health reasons: each is something a technician can act on. */
export const HEALTH_REASONS = [
  'no-heartbeat',
  'offline',
  'fault',
  'sim-suspended',
  'sim-expiring',
  'not-linked-110',
  'low-battery',
  'tamper',
  'unreachable',
  'auth-failed',
  'stream-down',
  'no-stream-uri',
  'image-black',
  'image-frozen',
  'image-changed',
  'clock-drift',
  'barrier-down-in-window',
  'barrier-fault',
  'barrier-command-failed',
  'channel-unbound',
  'throttled',
  'link-down',
  'receiver-down',
  'nak',
  'flooding',
  'check-error',
  // GB/T 28181 video (camera-gb28181): the NVR or IPC missed its keepalives; the NVR reports a channel off
  'gb-keepalive-lost',
  'gb-channel-off',
] as const;
export type HealthReasonCode = (typeof HEALTH_REASONS)[number];

export interface EventMeaning {
  /** Device kinds that send it. */
  readonly kinds: readonly DeviceKind[];
  /** What it says. */
  readonly meaning: string;
  /** The alarm the core raises at once (its severity and words come from the alarm-type catalogue). */
  readonly raises?: AlarmType;
  /** Words for the alarm's summary when they differ from the alarm type's. */
  readonly label?: string;
  /** The data field whose value the summary adds in brackets (a fault's code). */
  readonly summaryFrom?: string;
  /** An emergency a drill exercises: raised during a school's drill, it is a drill alarm. */
  readonly drillable?: boolean;
  /** Asks to cancel the device's open alarm of this type: noted on it for the duty officer, never clears it. */
  readonly cancels?: AlarmType;
  /** The health reason it sets (detail from data.code, else data.detail) or clears. */
  readonly sets?: HealthReasonCode;
  readonly clears?: HealthReasonCode;
  /** A barrier position (core/barriers/watch.ts). */
  readonly position?: BarrierPosition;
}

const EVERY_KIND: readonly DeviceKind[] = ['alarm-button', 'barrier', 'camera', 'nvr', 'sms', 'radio', 'alarm-centre'];

/** Positions a barrier reports (events of these types, or `data.position` on any event). */
export const BARRIER_POSITIONS = ['raised', 'lowered', 'moving', 'fault', 'unknown'] as const;
export type BarrierPosition = (typeof BARRIER_POSITIONS)[number];

/** Discrete events. Besides these, every kind sends `telemetry` (readings) and `status` (online/offline). */
export const DEVICE_EVENTS = {
  // alarm buttons (and radio handsets' emergency calls, which are presses)
  press: { kinds: ['alarm-button', 'radio'], meaning: 'the one-touch button was pressed', raises: 'panic', drillable: true },
  cancel: { kinds: ['alarm-button'], meaning: 'the school asks to cancel its press: noted on the open panic, never silences it', cancels: 'panic' },
  test: { kinds: ['alarm-button'], meaning: 'an end-to-end test press: carried to the 110 centre as a test report' },
  'self-test': { kinds: ['alarm-button'], meaning: "the button's answer to a self-test command" },
  'emergency-call': { kinds: ['radio'], meaning: "a school's emergency call on its handset (data.siteId: the school; data.detail: talkgroup and unit)", raises: 'panic', label: '对讲紧急呼叫', summaryFrom: 'detail', drillable: true },
  'emergency-cancel': { kinds: ['radio'], meaning: 'the handset cancels its call: noted like a cancel', cancels: 'panic' },
  // any kind
  fault: { kinds: EVERY_KIND, meaning: 'the device reports a fault (data.code)', raises: 'device-fault', summaryFrom: 'code', sets: 'fault' },
  'fault-cleared': { kinds: EVERY_KIND, meaning: 'its fault is gone', clears: 'fault' },
  tamper: { kinds: ['alarm-button', 'barrier', 'camera', 'nvr'], meaning: 'the device was opened or moved (data.detail)', raises: 'tamper', sets: 'tamper' },
  'tamper-cleared': { kinds: ['alarm-button', 'barrier', 'camera', 'nvr'], meaning: 'the tamper contact closed again', clears: 'tamper' },
  // barriers
  raised: { kinds: ['barrier'], meaning: 'the barrier is up (protecting the gate)', position: 'raised' },
  lowered: { kinds: ['barrier'], meaning: 'the barrier is down (the gate is open to vehicles)', position: 'lowered' },
  moving: { kinds: ['barrier'], meaning: 'the barrier is travelling', position: 'moving' },
  'position-fault': { kinds: ['barrier'], meaning: 'the position sensors contradict each other', position: 'fault' },
  unknown: { kinds: ['barrier'], meaning: 'the position cannot be read (controller unreachable)', position: 'unknown' },
  impact: { kinds: ['barrier'], meaning: 'a vehicle hit the barrier (data.count: the impact counter)', raises: 'barrier-impact', drillable: true },
  'manual-override': { kinds: ['barrier'], meaning: 'the barrier was switched to or from local manual control (data.active)' },
  // cameras
  'video-loss': { kinds: ['camera'], meaning: 'the camera lost its video signal (data.active)' },
  'video-restored': { kinds: ['camera'], meaning: 'the video signal is back' },
  motion: { kinds: ['camera'], meaning: 'motion detected' },
  intrusion: { kinds: ['camera'], meaning: 'video analytics saw an intrusion (zone, tripwire; data.detail)' },
  // channels
  bound: { kinds: ['sms'], meaning: 'the link to the SMS centre is bound (data.host, data.port)' },
  unbound: { kinds: ['sms'], meaning: 'the link to the SMS centre is lost (data.detail)' },
} as const satisfies Record<string, EventMeaning>;

export type DiscreteEventType = keyof typeof DEVICE_EVENTS;
/** Every type an adapter may hand the core. */
export type DeviceEventType = DiscreteEventType | 'telemetry' | 'status';

/** The meaning of an event type, if it is one of the discrete events. */
export function eventMeaning(type: string): EventMeaning | undefined {
  return (DEVICE_EVENTS as Record<string, EventMeaning | undefined>)[type];
}

/** Discrete events a kind may send (mqtt-native validates device payloads against these). */
export function eventTypesOf(kind: DeviceKind): DiscreteEventType[] {
  return (Object.keys(DEVICE_EVENTS) as DiscreteEventType[]).filter((t) => (DEVICE_EVENTS[t].kinds as readonly DeviceKind[]).includes(kind));
}

/**
 * Telemetry fields the core reads (`telemetry` events; one level of nesting arrives flattened
 * with a dot): everything else is stored and charted as it is.
 */
export const TELEMETRY_FIELDS = {
  battery: 'percent; below health.lowBatteryPercent sets low-battery',
  'sim.status': "the SIM's state as the operator reports it; suspended, arrears, barred… set sim-suspended (欠费停机)",
  'sim.expires': 'YYYY-MM-DD; within health.simExpiringDays sets sim-expiring',
  position: "a barrier's position (one of BARRIER_POSITIONS)",
} as const;

// ── health ───────────────────────────────────────────────────────────────────────────────

/** Reasons that mean the device cannot be reached at all: its status is `offline`. Any other reason makes it `degraded`. */
export const OFFLINE_REASONS: ReadonlySet<HealthReasonCode> = new Set(['no-heartbeat', 'offline', 'unreachable', 'link-down', 'gb-keepalive-lost', 'gb-channel-off']);

/** Health reasons that are alarms in their own right: raised when the reason appears, cleared with it. */
export const REASON_ALARMS: Readonly<Partial<Record<HealthReasonCode, { raises: AlarmType; label: string }>>> = {
  'link-down': { raises: 'link-down', label: '110 联网中断 (主备线路均不可用)' },
  'channel-unbound': { raises: 'channel-down', label: '广播通道中断' },
};

// ── commands and check evidence ───────────────────────────────────────────────────────────

/**
 * Commands a kind takes (`command()`), and the position each must reach (read back by the
 * adapter before it resolves). Failures: GW_ERR_COMMAND_FAILED, GW_ERR_COMMAND_TIMEOUT (commandFailure()).
 */
export const COMMANDS = {
  barrier: { raise: 'raised', lower: 'lowered' },
} as const satisfies Partial<Record<DeviceKind, Record<string, BarrierPosition>>>;
export type BarrierCommand = keyof (typeof COMMANDS)['barrier'];

/**
 * Evidence of a check (CheckResult.evidence) the core judges, per kind; everything else is kept
 * as the sweep's evidence as it is. A barrier's check reports the position it read; the core
 * decides whether that is a barrier down in a protection window (core/barriers/sweep-judge.ts).
 */
export const CHECK_EVIDENCE = {
  barrier: { position: 'one of BARRIER_POSITIONS, as read by the check' },
} as const;
