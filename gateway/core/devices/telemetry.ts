/**
 * What the core writes to telemetry (readings, events, health and alarm transitions) and the
 * field names any store can keep. The stores (gateway/store/telemetry-*.ts) implement the sink;
 * write() never blocks and never throws: alarm handling never waits on telemetry. Device readings
 * go through admit() instead, which waits while the store's bounded queue is full and then until
 * the reading is kept (in the store's readings journal): the device is acknowledged only then,
 * so a crash never loses what a device was told was stored, and a store that cannot keep up slows
 * the senders rather than dropping what they were told was kept.
 */
import type { Scalar } from '../../contract/types.js';
import type { DeviceKind } from '../../contract/vocabulary.js';

export interface TelemetryPoint {
  /** 'telemetry' (device readings), 'health' (transitions), 'alarm' (alarm events), 'event'. */
  measurement: string;
  tags: { site: string; device: string; kind: DeviceKind } & Record<string, string>;
  fields: Record<string, Scalar>;
  /** ms since epoch */
  at: number;
}

export interface TelemetrySink {
  /** Never throws and never blocks on the server: points are buffered and batched (the alarm path). */
  write(points: TelemetryPoint[]): void;
  /**
   * Device readings under back-pressure: a promise that resolves once the points are kept
   * (in the store's readings journal on disk; undefined when nothing is left to wait for) and
   * rejects (GW_ERR_STORE_UNAVAILABLE) when the store stops first. Never drops what it kept.
   * `onWait()` is told when they must first wait for room (the store is behind).
   */
  admit?(points: TelemetryPoint[], onWait?: () => void): Promise<void> | undefined;
}

const MAX_NAME = 256;

// Line protocol escapes ',', '=' and ' ' in names and tag values but has no escape for newlines
// and treats '\' as an escape character, so names that contain them would corrupt the whole
// batch (InfluxDB 1.x line protocol reference, "Special characters"). Both stores refuse them.
// eslint-disable-next-line no-control-regex
const BAD_NAME = /[\u0000-\u001f\\]/;

/** Why a measurement, tag or field name cannot be stored (by either store), or undefined. */
export function nameProblem(what: string, s: unknown): string | undefined {
  if (typeof s !== 'string' || s.length === 0) return `${what} must be a non-empty string`;
  if (s.length > MAX_NAME) return `${what} longer than ${MAX_NAME}`;
  if (BAD_NAME.test(s)) return `${what} contains a control character or backslash`;
  // 'time' is InfluxQL's reserved column: InfluxDB refuses it as a tag or field key.
  if (s === 'time') return `${what} may not be 'time'`;
  return undefined;
}

/** Why a field key cannot be stored (both stores), or undefined. */
export function fieldKeyProblem(k: string): string | undefined {
  return nameProblem('field key', k) ?? (k.includes('"') ? `field key ${k} contains '"'` : undefined);
}
