/**
 * A recording AdapterContext for adapter unit tests: no broker, no core, just what the
 * adapter reported. Integration tests use the real gateway instead.
 */
import pino from 'pino';
import type { AdapterContext, DeviceEventInput, DeviceRegistry, MqttBus, MqttHandler } from '../../gateway/contract/adapter.js';
import { topicMatches } from '../../gateway/contract/topics.js';
import { systemClock, type Clock } from '../../gateway/contract/clock.js';
import type { Device, Site } from '../../gateway/contract/types.js';
import type { HealthReasonCode } from '../../gateway/contract/vocabulary.js';

export interface RecordedCondition {
  deviceId: string;
  code: HealthReasonCode;
  active: boolean;
  detail?: string;
}

export interface FakeContext extends AdapterContext {
  events: DeviceEventInput[];
  conditions: RecordedCondition[];
  rejects: { reason: string; detail: string; deviceId?: string }[];
  published: { topic: string; payload: Buffer; retain: boolean }[];
  /** Deliver a message to the fake bus's subscribers as if a device had published it. */
  inject(topic: string, payload: string | Buffer): Promise<void>;
  /** Resolves when an event satisfying `pred` has been emitted. */
  waitForEvent(pred: (e: DeviceEventInput) => boolean, timeoutMs?: number): Promise<DeviceEventInput>;
  /** Resolves with the first condition for `deviceId` with that code and state, recorded at index `from` or later. */
  waitForCondition(deviceId: string, code: HealthReasonCode, active: boolean, opts?: { from?: number; timeoutMs?: number }): Promise<RecordedCondition>;
  /** Active conditions per device, as the health tracker would hold them. */
  activeConditions(deviceId: string): HealthReasonCode[];
}

export function makeRegistry(sites: Site[], devices: Device[]): DeviceRegistry {
  return {
    get: (id) => devices.find((d) => d.id === id),
    site: (id) => sites.find((s) => s.id === id),
    list: (filter) =>
      devices.filter(
        (d) =>
          (!filter?.siteId || d.siteId === filter.siteId) &&
          (!filter?.kind || d.kind === filter.kind) &&
          (!filter?.adapter || d.adapter === filter.adapter),
      ),
    sites: () => sites,
  };
}

/** `adapter`: the type devices added at run time (addDevice) are owned by. */
export function fakeContext(opts: { sites?: Site[]; devices?: Device[]; clock?: Clock; dataDir?: string; adapter?: string } = {}): FakeContext {
  const events: DeviceEventInput[] = [];
  const conditions: RecordedCondition[] = [];
  const rejects: FakeContext['rejects'] = [];
  const published: FakeContext['published'] = [];
  const subs: { filter: string; handler: MqttHandler }[] = [];
  const waiters: { pred: (e: DeviceEventInput) => boolean; resolve: (e: DeviceEventInput) => void }[] = [];
  const conditionWaiters = new Set<{ pred: (c: RecordedCondition) => boolean; resolve: (c: RecordedCondition) => void }>();

  const bus: MqttBus = {
    async subscribe(filter, handler) {
      const sub = { filter, handler };
      subs.push(sub);
      return async () => {
        const i = subs.indexOf(sub);
        if (i >= 0) subs.splice(i, 1);
      };
    },
    async publish(topic, payload, o) {
      const buf = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
      published.push({ topic, payload: buf, retain: o?.retain ?? false });
      for (const s of subs) if (topicMatches(s.filter, topic)) await s.handler(topic, buf);
    },
  };

  // Devices an adapter adds at run time (addDevice) join the configured ones.
  const deviceList = [...(opts.devices ?? [])];
  const ctx: FakeContext = {
    log: pino({ level: 'silent' }),
    clock: opts.clock ?? systemClock,
    dataDir: opts.dataDir ?? '/tmp',
    devices: makeRegistry(opts.sites ?? [], deviceList),
    bus,
    events,
    conditions,
    rejects,
    published,
    async emit(e) {
      events.push(e);
      for (const w of [...waiters]) {
        if (w.pred(e)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(e);
        }
      }
    },
    setCondition(deviceId, code, active, detail) {
      const c: RecordedCondition = detail === undefined ? { deviceId, code, active } : { deviceId, code, active, detail };
      conditions.push(c);
      for (const w of [...conditionWaiters]) {
        if (w.pred(c)) {
          conditionWaiters.delete(w);
          w.resolve(c);
        }
      }
    },
    addDevice(d) {
      if (!(opts.sites ?? []).some((site) => site.id === d.siteId)) throw new Error(`unknown site ${d.siteId}`);
      const device: Device = { id: d.id, siteId: d.siteId, kind: d.kind, adapter: opts.adapter ?? 'fake', name: d.name, options: { ...(d.options ?? {}) } };
      const at = deviceList.findIndex((x) => x.id === d.id);
      if (at >= 0) deviceList[at] = { ...(deviceList[at] as Device), name: d.name, options: device.options };
      else deviceList.push(device);
      return deviceList[at >= 0 ? at : deviceList.length - 1] as Device;
    },
    reject(reason, detail, deviceId) {
      rejects.push(deviceId === undefined ? { reason, detail } : { reason, detail, deviceId });
    },
    async inject(topic, payload) {
      const buf = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
      for (const s of subs) if (topicMatches(s.filter, topic)) await s.handler(topic, buf);
    },
    waitForEvent(pred, timeoutMs = 10_000) {
      const found = events.find(pred);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const w = { pred, resolve: (e: DeviceEventInput) => { clearTimeout(t); resolve(e); } };
        const t = setTimeout(() => {
          waiters.splice(waiters.indexOf(w), 1);
          reject(new Error(`no matching event within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.push(w);
      });
    },
    waitForCondition(deviceId, code, active, o = {}) {
      const pred = (c: RecordedCondition) => c.deviceId === deviceId && c.code === code && c.active === active;
      const found = conditions.slice(o.from ?? 0).find(pred);
      if (found) return Promise.resolve(found);
      const timeoutMs = o.timeoutMs ?? 5000;
      return new Promise((resolve, reject) => {
        const w = { pred, resolve: (c: RecordedCondition) => { clearTimeout(t); resolve(c); } };
        const t = setTimeout(() => {
          conditionWaiters.delete(w);
          reject(new Error(`no ${code}=${String(active)} condition on ${deviceId} within ${timeoutMs} ms`));
        }, timeoutMs);
        conditionWaiters.add(w);
      });
    },
    activeConditions(deviceId) {
      const state = new Map<HealthReasonCode, boolean>();
      for (const c of conditions) if (c.deviceId === deviceId) state.set(c.code, c.active);
      return [...state].filter(([, on]) => on).map(([code]) => code).sort();
    },
  };
  return ctx;
}
