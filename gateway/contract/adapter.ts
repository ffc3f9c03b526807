/**
 * The Adapter contract (DESIGN.md). An adapter turns one protocol into DeviceEvents, or
 * carries outbound messages to one kind of far end. Adapters know nothing of alarms.
 */
import type { TSchema } from '@sinclair/typebox';
import type { Logger } from 'pino';
import type { Clock } from './clock.js';
import type { ArrivalMarks } from './press-timing.js';
import type { BroadcastChannel, ChannelName, CommandResult, DeliveryResult, ForwardingLink, LiveViewPort, Outbound } from './capabilities.js';
import type { ErrorSection } from './errors.js';
import type { BarrierCommand, DeviceEventType } from './vocabulary.js';
import type { Device, HealthStatus, Scalar, Site } from './types.js';
import type { DeviceKind, HealthReasonCode } from './vocabulary.js';

/**
 * Latest device time the gateway can keep: the telemetry stores hold ms timestamps up to
 * InfluxDB's int64 nanoseconds (2262-04-11) and refuse later points, which would silently
 * drop the event's record. An adapter refuses later times itself, where the device is told
 * and it is counted.
 */
export const MAX_DEVICE_TIME_MS = 9_223_372_036_854;

/** An event as an adapter reports it; the core assigns id and receivedAt. */
export interface DeviceEventInput {
  deviceId: string;
  /** One of the vocabulary's events (vocabulary.ts), `telemetry` or `status`. */
  type: DeviceEventType;
  at?: number;
  seq?: number;
  data?: Record<string, Scalar>;
}

export interface DeviceRegistry {
  get(id: string): Device | undefined;
  site(id: string): Site | undefined;
  list(filter?: { siteId?: string; kind?: DeviceKind; adapter?: string }): Device[];
  sites(): Site[];
}

/**
 * A device an adapter found at run time (a channel an NVR lists in its GB/T 28181 catalog), to
 * be added under a site the configuration declares. Owned by the adapter that adds it.
 */
export interface DiscoveredDevice {
  id: string;
  siteId: string;
  kind: DeviceKind;
  name: string;
  options?: Record<string, unknown>;
}

/**
 * `receivedAt` is when the broker took a device's publish (preciseNow(), press-timing.ts); absent
 * for the gateway's own publishes.
 */
export type MqttHandler = (topic: string, payload: Buffer, receivedAt?: number) => void | Promise<void>;

/** The gateway's own broker, seen from inside the process. */
export interface MqttBus {
  /** Device publishes reach the handler before the broker acknowledges them (QoS 1 PUBACK). */
  subscribe(filter: string, handler: MqttHandler): Promise<() => Promise<void>>;
  publish(topic: string, payload: string | Buffer, opts?: { qos?: 0 | 1; retain?: boolean }): Promise<void>;
}

export interface AdapterContext {
  log: Logger;
  /**
   * Hand an event to the core. Resolves once the event is durable (an alarm it raises is
   * committed), so transports may acknowledge the device after it. Rejects with a coded
   * error for events the core refuses (unknown device, bad data); the reject is counted.
   * Rejects with GW_ERR_STORE_UNAVAILABLE (isUncommitted) when the state database could not
   * commit it: the transport must then not acknowledge the device (no PUBACK, no ACK) and let
   * the error through, so the device sends it again.
   *
   * `arrival`: when the message reached the gateway and was decoded (press-timing.ts), passed
   * for discrete events (a press) so the alarm path's timing covers those hops; never needed
   * for telemetry or status.
   */
  emit(e: DeviceEventInput, arrival?: ArrivalMarks): Promise<void>;
  /**
   * As emit, for an adapter's hot path (mqtt-native: thousands of readings a second): undefined
   * when the event was handled at once (a reading or a status report with room in the telemetry
   * store), else the promise emit would return. Throws what emit would reject with. Absent in
   * contexts that do not offer it (a benchmark's bare context): use emit there.
   */
  emitNow?(e: DeviceEventInput, arrival?: ArrivalMarks): Promise<void> | undefined;
  /** Report an adapter-detected condition (e.g. `unreachable`) on or off for a device. */
  setCondition(deviceId: string, code: HealthReasonCode, active: boolean, detail?: string): void;
  /**
   * Adds (or renames) a device the adapter discovered at run time under a configured site; the
   * registry and the health tracker know it from then on, until the gateway stops (it is found
   * again after a restart). Throws GW_ERR_UNKNOWN_SITE for a site the configuration does not
   * declare, GW_ERR_CONFIG_INVALID for an id another adapter's device already has. Absent where
   * devices cannot be added (a benchmark's bare context): the adapter keeps to configured devices.
   */
  addDevice?(device: DiscoveredDevice): Device;
  /** Count and log an input the adapter refused (malformed frame, bad payload). */
  reject(reason: string, detail: string, deviceId?: string): void;
  devices: DeviceRegistry;
  bus: MqttBus;
  clock: Clock;
  /** Directory this adapter may keep files in (created on demand). */
  dataDir: string;
}

export interface CheckResult {
  status: HealthStatus;
  reasons: { code: HealthReasonCode; detail?: string }[];
  /** What the check saw: latencies, firmware, resolution… kept as sweep evidence. */
  evidence: Record<string, Scalar>;
}

export interface Adapter {
  start(): Promise<void>;
  stop(): Promise<void>;
  check?(device: Device, signal: AbortSignal): Promise<CheckResult>;
  deliver?(msg: Outbound, signal: AbortSignal): Promise<DeliveryResult>;
  /**
   * Device commands (vocabulary.ts COMMANDS: barriers raise and lower), verified by reading the
   * position back; rejects with GW_ERR_COMMAND_FAILED or GW_ERR_COMMAND_TIMEOUT (commandFailure()).
   */
  command?(deviceId: string, command: BarrierCommand, signal: AbortSignal): Promise<CommandResult>;
  /** Live pictures of its cameras, while it runs (camera-onvif: RTSP → MPEG-1 over WebSocket). */
  liveView?(): LiveViewPort | undefined;
  /** The broadcast channel it carries (sms-smpp, radio), bound to the broadcast service. */
  channel?(): BroadcastChannel | undefined;
  /** The link alarms are forwarded over (alarm-centre-dc09: the 110 centre). */
  forwarding?(): ForwardingLink | undefined;
}

/** What the HTTP layer needs of an adapter's live view (GET /api/cameras/:id/live). */
export interface AdapterFactory<C = unknown> {
  /** 'mqtt-native', 'barrier-modbus', 'camera-onvif', 'alarm-centre-dc09', … */
  type: string;
  /** What the adapter is for, shown in logs and the README. */
  description: string;
  /** Device kinds it can own (empty for channel-only adapters). */
  kinds: DeviceKind[];
  /** 'passive': devices report by themselves and time out; 'active': the adapter polls or checks. */
  availability: 'passive' | 'active';
  /**
   * In cluster mode (README "Cluster mode"): 'every-node' adapters run on every node (their
   * devices connect to whichever node the load balancer picks: mqtt-native, panel-dc09);
   * 'singleton' adapters hold a link, a bind or a poll that must exist once in the district
   * (the 110 link, SMPP, the radio box, Modbus polling, camera checks) and run only on the node
   * holding the `singleton` lease. Absent means 'singleton'. Without cluster mode every adapter runs.
   */
  cluster?: 'singleton' | 'every-node';
  /**
   * Broadcast channels its adapters offer through channel(), declared so the configuration can
   * name which adapter carries a channel two of them offer before anything starts.
   */
  channels?: readonly ChannelName[];
  configSchema: TSchema;
  /** The adapter's own error codes: its section of the gateway's error catalogue (contract/errors.ts). */
  errors?: ErrorSection;
  create(config: C, ctx: AdapterContext): Adapter;
}
