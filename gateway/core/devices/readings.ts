/**
 * Every device's state at a glance: the latest reading of each field with its time, folded from
 * the events the pipeline ingests (telemetry fields as the device sends them; positions, impact
 * counters, fault bits, tamper and link state from discrete events). Kept in memory, written
 * behind to the state store's device state (key `state`) so a restart, or another node of a
 * cluster when it starts, begins from the last readings rather than from nothing.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Type } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { Clock, Timer } from '../../contract/clock.js';
import type { DeviceEvent, Scalar } from '../../contract/types.js';
import { eventMeaning } from '../../contract/vocabulary.js';
import type { DeviceStateRepository } from './state.js';

/** One field's latest value: `at` is the device's time of the reading (its arrival time when it gave none). */
export interface Reading {
  value: Scalar;
  at: number;
}

export type DeviceState = Record<string, Reading>;

const KEY = 'state';
/** Fields a device may send beyond these are kept too, up to this many per device. */
const MAX_FIELDS = 64;
/**
 * Written behind at most this often: telemetry arrives every few seconds from thousands of
 * devices, and writing 10,000 devices' states costs the event loop ~0.35 s (7 % of it at 5 s).
 */
const FLUSH_MS = 15_000;
/**
 * Devices per transaction when the readings are written, with a turn of the event loop between
 * transactions: the store's calls are synchronous (SQLite), so awaiting them alone never let
 * anything else run, and a flush of 10,000 devices held every socket (and every press) ~0.35 s.
 */
const FLUSH_CHUNK = 100;

/** What a discrete event says about the device's state, beyond its telemetry. */
function derived(e: DeviceEvent): Record<string, Scalar> {
  const meaning = eventMeaning(e.type);
  const out: Record<string, Scalar> = {};
  if (meaning?.position) out['position'] = meaning.position;
  switch (e.type) {
    case 'status':
      if (typeof e.data.status === 'string') out['link'] = e.data.status;
      break;
    case 'impact':
      if (typeof e.data.count === 'number') out['impactCount'] = e.data.count;
      break;
    case 'fault':
      out['faults'] = String(e.data.code ?? 'unspecified');
      break;
    case 'fault-cleared':
      out['faults'] = '';
      break;
    case 'tamper':
    case 'tamper-cleared':
      out['tamper'] = e.type === 'tamper';
      break;
    case 'manual-override':
      if (typeof e.data.active === 'boolean') out['manualOverride'] = e.data.active;
      break;
    case 'video-loss':
    case 'video-restored':
      out['videoLoss'] = e.type === 'video-loss' ? e.data.active !== false : false;
      break;
    case 'bound':
    case 'unbound':
      out['link'] = e.type;
      break;
    default:
      break;
  }
  return out;
}

/**
 * A device's readings as held in memory: the time most of its fields share, each field's value,
 * and the times of the fields read earlier than that, flat ([field, at, …]). A heartbeat sets the
 * same fields each time, so this is one small object per device, not one per field (a button's
 * six telemetry fields cost ~430 bytes as `{ value, at }` objects; bench heap-per-device).
 */
interface Held {
  at: number;
  values: Record<string, Scalar>;
  older: (string | number)[] | undefined;
}

/**
 * Whether `fields` sets exactly the held fields that share the held time (each to a storable
 * value, no non-finite number): then the others are exactly those with times of their own.
 */
function sameFields(h: Held, fields: Record<string, Scalar>): boolean {
  let n = 0;
  for (const k in fields) {
    const v = fields[k];
    if (!(k in h.values) || (typeof v === 'number' && !Number.isFinite(v))) return false;
    n++;
  }
  const o = h.older;
  if (o) {
    for (let i = 0; i < o.length; i += 2) if ((o[i] as string) in fields) return false;
    n += o.length / 2;
  }
  let m = 0;
  for (const _k in h.values) m++;
  return n === m;
}

function olderAt(h: Held, field: string): number | undefined {
  const o = h.older;
  if (!o) return undefined;
  for (let i = 0; i < o.length; i += 2) if (o[i] === field) return o[i + 1] as number;
  return undefined;
}

function materialize(h: Held): DeviceState {
  const state: DeviceState = {};
  for (const [k, value] of Object.entries(h.values)) state[k] = { value, at: olderAt(h, k) ?? h.at };
  return state;
}

/** The held form of a stored state: the latest time is the shared one. */
function hold(state: DeviceState): Held {
  let at = -Infinity;
  for (const r of Object.values(state)) at = Math.max(at, r.at);
  const h: Held = { at, values: {}, older: undefined };
  for (const [k, r] of Object.entries(state)) {
    h.values[k] = r.value;
    if (r.at !== at) (h.older ??= []).push(k, r.at);
  }
  return h;
}

/** A device state as another node sends it (the live relay): fields of `{value: scalar, at: number}`, at most MAX_FIELDS. */
const sentState = TypeCompiler.Compile(
  Type.Record(Type.String(), Type.Object({ value: Type.Union([Type.String(), Type.Number(), Type.Boolean()]), at: Type.Number() }), { maxProperties: MAX_FIELDS }),
);

/** Whether `v` is a device state as another node sends it (numbers finite: TypeBox refuses NaN and infinities). */
export function isDeviceState(v: unknown): v is DeviceState {
  return sentState.Check(v);
}

export class DeviceReadings {
  private readonly states = new Map<string, Held>();
  private readonly dirty = new Set<string>();
  /** Cluster mode with the live relay: devices whose readings changed here since they were last handed to ownChanges(). */
  private relayed?: Set<string>;
  private timer?: Timer;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly repo: DeviceStateRepository,
    private readonly clock: Clock,
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {}

  /** Loads what the store keeps (the last readings before a restart, or another node's). */
  async start(): Promise<void> {
    for (const [id, state] of await this.repo.deviceStates<DeviceState>(KEY)) {
      const held = this.states.get(id);
      // Readings ingested since the process started are newer than the store's.
      this.states.set(id, hold({ ...state, ...(held ? materialize(held) : {}) }));
    }
    this.timer = this.clock.setInterval(() => void this.flush(), FLUSH_MS);
  }

  async stop(): Promise<void> {
    if (this.timer) this.clock.clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  observe(e: DeviceEvent): void {
    // A reading's own fields are all it sets (set() copies the values, never keeps the object).
    if (e.type === 'telemetry') return this.set(e.deviceId, e.data, e.at);
    const fields = derived(e);
    if (Object.keys(fields).length > 0) this.set(e.deviceId, fields, e.at);
  }

  /** Readings an adapter reports outside events (a camera check's resolution and last frame). */
  set(deviceId: string, fields: Record<string, Scalar>, at: number): void {
    let h = this.states.get(deviceId);
    if (!h) {
      h = { at, values: {}, older: undefined };
      this.states.set(deviceId, h);
    } else if (sameFields(h, fields)) {
      // A heartbeat with the fields of the last one (the common case): they share the new time,
      // the fields it does not carry (a link state) keep theirs.
      // A value equal to the held one stays as it is: the reading's own string (a SIM status,
      // an ICCID) then dies young instead of being kept until the device's next heartbeat.
      for (const k in fields) {
        const v = fields[k] as Scalar;
        if (h.values[k] !== v) h.values[k] = v;
      }
      h.at = at;
      this.dirty.add(deviceId);
      this.relayed?.add(deviceId);
      return;
    }
    const taken: string[] = [];
    let count = Object.keys(h.values).length;
    for (const [k, v] of Object.entries(fields)) {
      if (typeof v === 'number' && !Number.isFinite(v)) continue;
      if (!(k in h.values)) {
        if (count >= MAX_FIELDS) continue;
        count++;
      }
      taken.push(k);
    }
    if (taken.length === 0) return;
    let older: (string | number)[] | undefined;
    if (at !== h.at) {
      // The fields not read now keep the time they had.
      for (const k of Object.keys(h.values)) if (!taken.includes(k)) (older ??= []).push(k, olderAt(h, k) ?? h.at);
      h.at = at;
    } else if (h.older) {
      for (let i = 0; i < h.older.length; i += 2) if (!taken.includes(h.older[i] as string)) (older ??= []).push(h.older[i] as string, h.older[i + 1] as number);
    }
    h.older = older;
    for (const k of taken) h.values[k] = fields[k] as Scalar;
    this.dirty.add(deviceId);
    this.relayed?.add(deviceId);
  }

  /**
   * Cluster mode: from now on, remember which devices' readings change here, for ownChanges().
   * A device's readings are taken where it is connected (or, for a polled device, on the node
   * that polls it); the other nodes adopt() them, so every node's device list shows them.
   */
  trackChanges(): void {
    this.relayed ??= new Set();
  }

  /** The readings of up to `max` devices that changed here since the last call, and forgets them. */
  ownChanges(max: number): [string, DeviceState][] {
    const out: [string, DeviceState][] = [];
    if (!this.relayed) return out;
    for (const id of this.relayed) {
      if (out.length >= max) break;
      this.relayed.delete(id);
      const h = this.states.get(id);
      if (h) out.push([id, materialize(h)]);
    }
    return out;
  }

  /**
   * Another node's readings of a device, merged field by field: a field read later there
   * replaces the held one, an older one does not. Not written to the store from here: the
   * node that took the readings writes them.
   */
  adopt(deviceId: string, state: DeviceState): void {
    const h = this.states.get(deviceId);
    const held = h ? materialize(h) : {};
    let changed = false;
    let count = Object.keys(held).length;
    for (const [k, r] of Object.entries(state)) {
      const mine = held[k];
      if (mine === undefined && count >= MAX_FIELDS) continue;
      if (mine !== undefined && mine.at >= r.at) continue;
      if (mine === undefined) count++;
      held[k] = { value: r.value, at: r.at };
      changed = true;
    }
    if (changed) this.states.set(deviceId, hold(held));
  }

  get(deviceId: string): DeviceState {
    const h = this.states.get(deviceId);
    return h ? materialize(h) : {};
  }

  /** Writes what changed since the last flush; one at a time. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      const ids = [...this.dirty];
      this.dirty.clear();
      // In transactions of FLUSH_CHUNK devices: one commit per device cost more than the readings.
      for (let i = 0; i < ids.length; i += FLUSH_CHUNK) {
        if (i > 0) await nextTurn();
        const part: [string, DeviceState][] = [];
        for (const id of ids.slice(i, i + FLUSH_CHUNK)) {
          const h = this.states.get(id);
          if (h) part.push([id, materialize(h)]);
        }
        try {
          await this.repo.setDeviceStates(KEY, part);
        } catch (err) {
          for (const [id] of part) this.dirty.add(id); // next time
          this.onError(err);
        }
      }
    });
    return this.flushing;
  }
}

/** Whether a device's state matches a filter `field:value` (value compared as text). */
export function stateMatches(state: DeviceState, filter: string): boolean {
  const i = filter.indexOf(':');
  if (i <= 0) return false;
  const reading = state[filter.slice(0, i)];
  return reading !== undefined && String(reading.value) === filter.slice(i + 1);
}
