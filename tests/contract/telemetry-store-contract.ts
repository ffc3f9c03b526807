/**
 * One behaviour suite for every TelemetryStore (after MQTT.js's abstract_store): each
 * implementation's test file calls telemetryStoreContract() with a factory.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Scalar } from '../../gateway/contract/types.js';
import type { DeviceKind } from '../../gateway/contract/vocabulary.js';
import type { TelemetryStore } from '../../gateway/store/telemetry-store.js';
import type { TelemetryPoint } from '../../gateway/core/devices/telemetry.js';

export interface ContractStoreOptions {
  batchSize?: number;
  flushIntervalMs?: number;
}

export interface StoreHarness {
  store: TelemetryStore;
  /** A new, unstarted store instance over the same data (a gateway restart). */
  reopen(): TelemetryStore;
  /** Removes what the store left behind (temp dirs, databases); the store is stopped first. */
  dispose(): Promise<void>;
}

export type MakeStore = (opts?: ContractStoreOptions) => Promise<StoreHarness>;

const MIN = 60_000;
const HOUR = 60 * MIN;

export function point(
  device: string,
  at: number,
  fields: Record<string, Scalar>,
  measurement = 'telemetry',
  kind: DeviceKind = 'alarm-button',
): TelemetryPoint {
  return { measurement, tags: { site: 'sch-01', device, kind }, fields, at };
}

const health = (device: string, at: number, fields: Record<string, Scalar>): TelemetryPoint => point(device, at, fields, 'health');

export function telemetryStoreContract(name: string, makeStore: MakeStore): void {
  describe(`TelemetryStore contract: ${name}`, () => {
    const open: StoreHarness[] = [];
    const started: TelemetryStore[] = [];
    // A few hours back: inside every retention, whole hours so buckets line up.
    const T0 = Math.floor((Date.now() - 3 * HOUR) / HOUR) * HOUR;

    async function fresh(opts?: ContractStoreOptions): Promise<TelemetryStore> {
      const h = await makeStore(opts);
      open.push(h);
      await h.store.start();
      started.push(h.store);
      return h.store;
    }

    afterEach(async () => {
      for (const s of started.splice(0)) await s.stop();
      for (const h of open.splice(0)) await h.dispose();
    });

    it('returns written points as per-bucket means, buckets aligned to the epoch', async () => {
      const store = await fresh();
      store.write([
        point('d1', T0, { battery: 10 }),
        point('d1', T0 + 20_000, { battery: 20 }),
        point('d1', T0 + 65_000, { battery: 30 }),
        point('d1', T0 + 130_000, { battery: 50, power: 'mains' }),
        point('d1', T0 + 200_000, { battery: 99 }),
      ]);
      await store.flush();
      const q = { deviceId: 'd1', field: 'battery', everyMs: MIN };
      expect(await store.series({ ...q, from: T0, to: T0 + 3 * MIN })).toStrictEqual([
        { at: T0, value: 15 },
        { at: T0 + MIN, value: 30 },
        { at: T0 + 2 * MIN, value: 50 },
      ]);
      // An unaligned start still gets the epoch-aligned bucket; points before `from` are out.
      expect(await store.series({ ...q, from: T0 + 30_000, to: T0 + 2 * MIN })).toStrictEqual([
        { at: T0, value: null },
        { at: T0 + MIN, value: 30 },
      ]);
      expect(await store.series({ ...q, field: 'nothing', from: T0, to: T0 + 2 * MIN })).toStrictEqual([
        { at: T0, value: null },
        { at: T0 + MIN, value: null },
      ]);
    });

    it('keeps devices and measurements apart by their tags', async () => {
      const store = await fresh();
      store.write([
        point('d1', T0 + 1000, { rssi: -60 }),
        point('d2', T0 + 1000, { rssi: -80 }, 'telemetry', 'barrier'),
        point('d1', T0 + 2000, { rssi: 1 }, 'event'),
      ]);
      await store.flush();
      const q = { field: 'rssi', from: T0, to: T0 + MIN, everyMs: MIN };
      expect(await store.series({ ...q, deviceId: 'd1' })).toStrictEqual([{ at: T0, value: -60 }]);
      expect(await store.series({ ...q, deviceId: 'd2' })).toStrictEqual([{ at: T0, value: -80 }]);
      expect(await store.series({ ...q, deviceId: 'd1', measurement: 'event' })).toStrictEqual([{ at: T0, value: 1 }]);
      expect(await store.series({ ...q, deviceId: 'd3' })).toStrictEqual([{ at: T0, value: null }]);
    });

    it('computes availability from health transitions, with the state carried in before `from`', async () => {
      const store = await fresh();
      const from = T0;
      const to = T0 + HOUR;
      store.write([
        // up before the period, down for 30 of its 60 minutes
        health('a', from - HOUR, { status: 'ok', up: 1 }),
        health('a', from + 15 * MIN, { status: 'offline', up: 0, reason: 'no-heartbeat' }),
        health('a', from + 45 * MIN, { status: 'ok', up: 1 }),
        // unknown until its first report half-way through: unknown counts as not up
        health('b', from + 30 * MIN, { status: 'ok', up: 1 }),
        // down before the period and never back
        health('d', from - 2 * HOUR, { status: 'offline', up: 0 }),
        // a writer that only sets status: degraded still works
        health('e', from - 10 * MIN, { status: 'degraded', reason: 'low-battery' }),
        // transitions after the period do not count
        health('f', from - MIN, { status: 'ok', up: 1 }),
        health('f', to + MIN, { status: 'offline', up: 0 }),
      ]);
      await store.flush();
      expect(await store.availability({ deviceIds: ['a', 'b', 'c', 'd', 'e', 'f'], from, to })).toStrictEqual({
        a: 0.5,
        b: 0.5,
        c: 0,
        d: 0,
        e: 1,
        f: 1,
      });
      expect(await store.availability({ deviceIds: [], from, to })).toStrictEqual({});
    });

    it('flush() pushes out what is buffered and stats() says where points are', async () => {
      const store = await fresh();
      store.write([point('d1', T0, { battery: 1 }), point('d1', T0 + 1, { battery: 2 }), point('d1', T0 + 2, { battery: 3 })]);
      expect(store.stats()).toMatchObject({ written: 0, buffered: 3, spooled: 0, dropped: 0 });
      await store.flush();
      expect(store.stats()).toMatchObject({ written: 3, buffered: 0, spooled: 0, dropped: 0 });
      expect(await store.series({ deviceId: 'd1', field: 'battery', from: T0, to: T0 + MIN, everyMs: MIN })).toStrictEqual([
        { at: T0, value: 2 },
      ]);
    });

    it('sends a batch as soon as it is full, and a partial batch on the timer', async () => {
      const store = await fresh({ batchSize: 100, flushIntervalMs: 60_000 });
      store.write(Array.from({ length: 250 }, (_, i) => point('d1', T0 + i, { battery: i })));
      await vi.waitFor(() => expect(store.stats().written).toBe(200), { timeout: 10_000, interval: 20 });
      expect(store.stats().buffered).toBe(50);

      const timed = await fresh({ batchSize: 100, flushIntervalMs: 50 });
      timed.write([point('d1', T0, { battery: 1 })]);
      await vi.waitFor(() => expect(timed.stats().written).toBe(1), { timeout: 10_000, interval: 20 });
    });

    it('accepts strings and booleans, refuses NaN/Infinity and malformed points without throwing', async () => {
      const store = await fresh();
      const odd = 'gate 1, east=门';
      const bad = [
        point('d1', T0, { battery: Number.NaN }),
        point('d1', T0, { battery: Number.POSITIVE_INFINITY }),
        point('d1', T0, { battery: Number.NEGATIVE_INFINITY }),
        point('d1', T0, {}),
        point('d1', Number.NaN, { battery: 1 }),
        { measurement: 'telemetry', tags: { site: 's', kind: 'camera' }, fields: { x: 1 }, at: T0 } as unknown as TelemetryPoint,
        point('line\nbreak', T0, { battery: 1 }),
        null as unknown as TelemetryPoint,
      ];
      const good = [
        point(odd, T0 + 1000, { battery: 42, power: 'mains "on"\\', charging: true }),
        point(odd, T0 + 2000, { battery: -1e6, charging: false, note: '' }),
        { ...point('d9', T0 + 3000, { battery: 7 }), tags: { site: 'sch-01', device: 'd9', kind: 'camera', zone: '' } } as TelemetryPoint,
      ];
      expect(() => store.write([...bad, ...good])).not.toThrow();
      await store.flush();
      expect(store.stats()).toMatchObject({
        written: 3,
        buffered: 0,
        spooled: 0,
        dropped: bad.length,
        lastError: expect.stringMatching(/^GW_ERR_PAYLOAD_INVALID/),
      });
      const q = { from: T0, to: T0 + MIN, everyMs: MIN };
      expect(await store.series({ ...q, deviceId: odd, field: 'battery' })).toStrictEqual([{ at: T0, value: (42 - 1e6) / 2 }]);
      // No numeric mean of a string or boolean field.
      expect(await store.series({ ...q, deviceId: odd, field: 'power' })).toStrictEqual([{ at: T0, value: null }]);
      expect(await store.series({ ...q, deviceId: odd, field: 'charging' })).toStrictEqual([{ at: T0, value: null }]);
      expect(await store.series({ ...q, deviceId: 'd9', field: 'battery' })).toStrictEqual([{ at: T0, value: 7 }]);
    });

    it('rejects impossible queries with a coded error', async () => {
      const store = await fresh();
      const q = { deviceId: 'd1', field: 'battery', from: T0, to: T0 + MIN, everyMs: MIN };
      await expect(store.series({ ...q, to: T0 })).rejects.toMatchObject({ code: 'GW_ERR_BAD_REQUEST' });
      await expect(store.series({ ...q, everyMs: 0 })).rejects.toMatchObject({ code: 'GW_ERR_BAD_REQUEST' });
      await expect(store.series({ ...q, to: T0 + 10 * HOUR, everyMs: 1 })).rejects.toMatchObject({ code: 'GW_ERR_BAD_REQUEST' });
      await expect(store.availability({ deviceIds: ['d1'], from: T0, to: T0 })).rejects.toMatchObject({ code: 'GW_ERR_BAD_REQUEST' });
    });

    it('keeps data across a restart and spools nothing when stopped cleanly', async () => {
      const h = await makeStore();
      open.push(h);
      await h.store.start();
      h.store.write([point('d1', T0 + 5, { battery: 80 })]);
      await h.store.stop();
      expect(h.store.stats()).toMatchObject({ written: 1, buffered: 0, spooled: 0, dropped: 0 });
      const again = h.reopen();
      await again.start();
      started.push(again);
      expect(await again.series({ deviceId: 'd1', field: 'battery', from: T0, to: T0 + MIN, everyMs: MIN })).toStrictEqual([
        { at: T0, value: 80 },
      ]);
    });
  });
}
