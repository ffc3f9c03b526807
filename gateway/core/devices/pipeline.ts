/**
 * The core pipeline: every DeviceEvent goes to the telemetry store (batched; a reading waits only
 * while the store's bounded queue is full, a press never),
 * the health tracker, the alarm rules and the durable steps (awaited: what they commit is
 * committed before ingest resolves, so before the device is acknowledged), in that order, then
 * to the bus's listeners.
 */
import { fieldKeyProblem, type TelemetryPoint, type TelemetrySink } from './telemetry.js';
import { randomBytes } from 'node:crypto';
import type { DeviceEventInput, DeviceRegistry } from '../../contract/adapter.js';
import type { Clock } from '../../contract/clock.js';
import type { Counters } from '../counters.js';
import type { EventBus } from '../bus.js';
import type { HealthTracker } from './health.js';
import type { AlarmRules } from '../alarms/rules.js';
import type { Device, DeviceEvent, Scalar } from '../../contract/types.js';
import { GatewayError } from '../../contract/errors.js';
import type { ArrivalMarks } from '../../contract/press-timing.js';

/** Per device, the sequence numbers seen in the last few minutes (devices resend after a lost
 *  ACK within seconds; a counter that restarts after a reboot must not look like a resend). */
const SEQ_WINDOW = 64;
const SEQ_TTL_MS = 5 * 60_000;
/** Distinct field keys remembered with their stored form. */
const STORED_KEYS_MEMO = 4096;

/** Event types whose telemetry point waits for room in the store (back-pressure). */
const BACK_PRESSURED: ReadonlySet<string> = new Set(['telemetry', 'status']);
/**
 * Event ids: unique across processes and restarts by a random prefix, within one by a counter. A
 * randomUUID per reading left ~0.5 KB of garbage each (sampling heap profile, press-110 at
 * 5,150 readings/s: 4 % of all the gateway allocated), for an id nothing looks up.
 */
const EVENT_ID_PREFIX = randomBytes(6).toString('hex');
/** Process-wide: two gateways in one process (tests, an in-process cluster) never share an id. */
let eventCount = 0;

/** A step whose work must be committed before the event is acknowledged (a test press's report). */
export type DurableStep = (e: DeviceEvent) => Promise<void> | undefined;

export class Pipeline {
  private readonly steps: { name: string; run: DurableStep }[] = [];
  /**
   * What the pipeline keeps per device, in one record (see PerDevice): one Map of 19,000 entries
   * costs ~48 bytes an entry in its table alone, and three of them (the sequence numbers, the
   * last reading's time, the tags) cost ~1.7 MB more than one (heap snapshot, `connections`).
   */
  private readonly devices = new Map<string, PerDevice>();
  /** Field key → key as stored (null: refused); see storedKey(). */
  private readonly storedKeys = new Map<string, string | null>();
  /** Told of every event with the device time it carried (the clock view). */
  private clockObserver?: (device: Device, e: DeviceEvent, deviceAt: number | undefined) => void;
  /** A reading had to wait for room in the telemetry store (one function, not one per reading). */
  private readonly throttled = (): void => this.counters.inc('telemetry.throttled');

  constructor(
    private readonly registry: DeviceRegistry,
    private readonly health: HealthTracker,
    private readonly rules: AlarmRules,
    private readonly telemetry: TelemetrySink | undefined,
    private readonly bus: EventBus,
    private readonly clock: Clock,
    private readonly counters: Counters,
  ) {}

  observeClocks(fn: (device: Device, e: DeviceEvent, deviceAt: number | undefined) => void): void {
    this.clockObserver = fn;
  }

  /** Adds a durable step after the rules; the returned function removes it. */
  durable(name: string, run: DurableStep): () => void {
    const step = { name, run };
    this.steps.push(step);
    return () => {
      const i = this.steps.indexOf(step);
      if (i >= 0) this.steps.splice(i, 1);
    };
  }

  /**
   * Processes one event; resolves once what it raised is committed (undefined for a duplicate).
   * Rejects when that could not be committed: the event is then not remembered as seen, so the
   * device's resend (it got no acknowledgement) is processed, not dropped as a duplicate.
   * `arrival`: the adapter's marks on the alarm path (a press), handed to the rules.
   */
  async ingest(input: DeviceEventInput, arrival?: ArrivalMarks): Promise<DeviceEvent | undefined> {
    return this.ingestNow(input, arrival);
  }

  /**
   * As ingest, without a promise when nothing waits: an event that neither raises anything nor
   * is stored as a device's reading is handled here and now, and its event (or undefined for a
   * duplicate) returned; a promise when something must be committed first (an alarm, a test
   * press's report, a reading or status report: acknowledged once its point is kept). Throws
   * (synchronously) what ingest would reject with.
   */
  ingestNow(input: DeviceEventInput, arrival?: ArrivalMarks): DeviceEvent | undefined | Promise<DeviceEvent | undefined> {
    const device = this.registry.get(input.deviceId);
    if (!device) throw new GatewayError('GW_ERR_UNKNOWN_DEVICE', input.deviceId);
    const own = this.own(device);
    // A device announcing itself online starts a new session: its counter may have restarted.
    if (input.type === 'status' && input.data?.status === 'online') own.seen.length = 0;
    if (input.seq !== undefined && this.isDuplicate(own.seen, input.seq)) {
      this.counters.inc('events.duplicate');
      return undefined;
    }
    const receivedAt = this.clock.now();
    const event: DeviceEvent = {
      id: `${EVENT_ID_PREFIX}-${(++eventCount).toString(36)}`,
      deviceId: device.id,
      siteId: device.siteId,
      type: input.type,
      // A device clock at 0 (or before) means it has no time: use the arrival time.
      at: input.at !== undefined && input.at > 0 ? input.at : receivedAt,
      receivedAt,
      ...(input.seq !== undefined ? { seq: input.seq } : {}),
      data: input.data ?? {},
    };
    this.counters.inc(`events.${event.type}`);
    // Two readings of one device in the same millisecond would be one point in the store
    // (InfluxDB overwrites, the embedded store merges): keep them apart by a millisecond.
    let pointAt = event.at;
    if (event.type === 'telemetry') {
      if (pointAt <= own.lastAt) pointAt = own.lastAt + 1;
      own.lastAt = pointAt;
    }
    const points = [
      {
        measurement: event.type === 'telemetry' ? 'telemetry' : 'event',
        tags: own.tags,
        fields: event.type === 'telemetry' ? this.storable(event.data) : { ...this.storable(event.data), type: event.type },
        at: pointAt,
      },
    ];
    // Readings and status reports wait for room in the telemetry store's bounded queue and then
    // for its readings journal (the device is acknowledged only once its point is kept: a crash
    // loses nothing acknowledged); a discrete event (a press, a fault)
    // is the alarm path and never waits on telemetry.
    let held: Promise<void> | undefined;
    if (BACK_PRESSURED.has(event.type) && this.telemetry?.admit) {
      held = this.telemetry.admit(points, this.throttled);
    } else this.telemetry?.write(points);
    this.health.observe(event);
    this.clockObserver?.(device, event, input.at !== undefined && input.at > 0 ? input.at : undefined);
    // The rules first, then the durable steps in order; from the first that must wait, the rest
    // follow once it is committed.
    let pending: Promise<void> | undefined;
    try {
      pending = this.rules.onEvent(event, arrival)?.then(() => this.runSteps(event, 0));
      for (let i = 0; pending === undefined && i < this.steps.length; i++) {
        pending = this.steps[i]?.run(event)?.then(() => this.runSteps(event, i + 1));
      }
    } catch (err) {
      if (input.seq !== undefined) this.forgetSeq(device.id, input.seq);
      // Never awaited now: its rejection (the store stopping) is not "unhandled".
      held?.catch(() => undefined);
      throw err;
    }
    // Awaited after what the rules wait for: marked handled now so that a rejection meanwhile is
    // not "unhandled" (with nothing pending, settle() awaits it in this same turn).
    if (pending && held) held.catch(() => undefined);
    if (pending || held) return this.settle(event, input.seq, pending, held);
    this.bus.emit('device.event', event);
    return event;
  }

  private async runSteps(e: DeviceEvent, from: number): Promise<void> {
    for (let i = from; i < this.steps.length; i++) await this.steps[i]?.run(e);
  }

  /** Once what the event waits for is done, it is announced; if that fails, it is not remembered as seen. */
  private async settle(event: DeviceEvent, seq: number | undefined, pending: Promise<void> | undefined, held: Promise<void> | undefined): Promise<DeviceEvent> {
    try {
      if (pending) await pending;
      if (held) await held;
    } catch (err) {
      if (seq !== undefined) this.forgetSeq(event.deviceId, seq);
      throw err;
    }
    this.bus.emit('device.event', event);
    return event;
  }

  /**
   * Field names as stored: dots of flattened payloads become underscores (sim.status →
   * sim_status). Keys no store can keep (empty, 'time', control characters, quotes, overlong)
   * and non-finite numbers are dropped one by one and counted, so one odd extra key in a device's
   * payload never costs the whole reading.
   */
  private storable(data: Record<string, Scalar>): Record<string, Scalar> {
    const out: Record<string, Scalar> = {};
    for (const k in data) {
      const v = data[k] as Scalar;
      const key = this.storedKey(k);
      if (key === null || (typeof v === 'number' && !Number.isFinite(v))) {
        this.counters.inc('telemetry.fields-dropped');
        continue;
      }
      out[key] = v;
    }
    return out;
  }

  /** The device's record, made at its first event. */
  private own(device: Device): PerDevice {
    let own = this.devices.get(device.id);
    if (own === undefined) {
      own = new PerDevice(device);
      this.devices.set(device.id, own);
    }
    return own;
  }

  /**
   * A field key as stored, or null when no store can keep it. Remembered: devices send the same
   * few keys with every reading (bounded, so a device inventing keys only empties the memo).
   */
  private storedKey(k: string): string | null {
    let key = this.storedKeys.get(k);
    if (key === undefined) {
      const stored = k.replaceAll('.', '_');
      key = fieldKeyProblem(stored) === undefined ? stored : null;
      if (this.storedKeys.size >= STORED_KEYS_MEMO) this.storedKeys.clear();
      this.storedKeys.set(k, key);
    }
    return key;
  }

  private forgetSeq(deviceId: string, seq: number): void {
    const seen = this.devices.get(deviceId)?.seen;
    if (!seen) return;
    for (let i = 0; i < seen.length; i += 2) {
      if (seen[i] === seq) {
        seen.splice(i, 2);
        return;
      }
    }
  }

  /** Whether `seq` was seen in the last SEQ_TTL_MS (among the last SEQ_WINDOW); remembers it if not. */
  private isDuplicate(seen: number[], seq: number): boolean {
    const now = this.clock.now();
    // Entries are oldest first, so the expired ones are a prefix. Moved down within the array by a
    // plain loop, never spliced: splice(0, n) makes an array of what it removes and trims the
    // array's store from the front, so the next push grows it again (a new store per reading once
    // the window is full). Not copyWithin either: V8 runs it element by element through the
    // generic path, ~14x the time of this whole function at 20,000 readings/s (CPU profile).
    let expired = 0;
    while (expired < seen.length && now - (seen[expired + 1] as number) >= SEQ_TTL_MS) expired += 2;
    if (expired > 0) {
      shiftDown(seen, expired);
      seen.length -= expired;
    }
    let duplicate = false;
    for (let i = 0; i < seen.length; i += 2) {
      if (seen[i] === seq) {
        duplicate = true;
        break;
      }
    }
    if (duplicate) return true;
    if (seen.length < 2 * SEQ_WINDOW) seen.push(seq, now);
    else {
      // Full: the oldest goes, the rest move down one entry, the new one is last.
      shiftDown(seen, 2);
      seen[seen.length - 2] = seq;
      seen[seen.length - 1] = now;
    }
    return false;
  }
}

/** What the pipeline keeps of a device between its events. */
class PerDevice {
  /**
   * The recent sequence numbers and when each was seen, flat and oldest first: [seq, at, seq,
   * at, …]. One array of doubles (16 bytes an entry) instead of one object per entry (~80 bytes
   * with its boxed time): at one heartbeat per 30 s a device keeps 10 entries.
   */
  readonly seen: number[] = [];
  /**
   * The time of its last reading's point (a store keys a point by series and time), -Infinity
   * before the first. A field updated in place: a Map holding the number itself boxed a new
   * heap number at every reading, which lived until the device's next reading.
   */
  lastAt = -Infinity;
  /**
   * Its points' tags, one frozen object shared by all its points (the store keeps it as it is).
   * Made once: a device's site and kind never change (Registry.add refuses that).
   */
  readonly tags: TelemetryPoint['tags'];

  constructor(device: Device) {
    this.tags = Object.freeze({ site: device.siteId, device: device.id, kind: device.kind });
  }
}

/** Moves a[by…] to a[0…] in place (the last `by` elements are left as they were). */
function shiftDown(a: number[], by: number): void {
  for (let i = by; i < a.length; i++) a[i - by] = a[i] as number;
}
