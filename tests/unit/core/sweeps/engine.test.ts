import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CheckResult } from '../../../../gateway/contract/adapter.js';
import { systemClock } from '../../../../gateway/contract/clock.js';
import { Registry } from '../../../../gateway/core/devices/registry.js';
import type { CheckCapable, SweepExtra } from '../../../../gateway/core/sweeps/check.js';
import { SweepEngine, type SweepEngineDeps } from '../../../../gateway/core/sweeps/engine.js';
import { GatewayError } from '../../../../gateway/contract/errors.js';
import type { SweepProgressEvent, SweepResult } from '../../../../gateway/core/sweeps/types.js';
import type { Device } from '../../../../gateway/contract/types.js';
import type { SqliteSweepStore } from '../../../../gateway/store/sqlite/sweep-store.js';
import { delay, device, FakeHealth, memoryStore, okCheck, silentLog, SITES } from '../../reports/fixtures.js';

const T0 = Date.parse('2026-11-23T08:00:00+08:00');

async function setup(devices: Device[], adapters: Record<string, CheckCapable>, extra: Partial<SweepEngineDeps> = {}, opts = {}) {
  const { store } = memoryStore();
  const health = new FakeHealth();
  let n = 0;
  const engine = new SweepEngine(
    {
      registry: new Registry(SITES, devices),
      health,
      adapters: new Map(Object.entries(adapters)),
      recorder: store,
      clock: systemClock,
      log: silentLog,
      heartbeatTimeout: { 'alarm-button': 90 },
      district: { id: 'd1', name: '城东区' },
      newId: () => `sw-${++n}`,
      // Fake timers drive these tests; a real setImmediate would wait outside them.
      yieldTurn: () => Promise.resolve(),
      ...extra,
    },
    opts,
  );
  await engine.start();
  return { engine, store, health };
}

const cams = (count: number, siteId = 's01') => Array.from({ length: count }, (_, i) => device(`${siteId}-cam-${i + 1}`, siteId, 'camera', 'cam'));
const byId = (results: SweepResult[]) => Object.fromEntries(results.map((r) => [r.deviceId, r]));

describe('SweepEngine', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: T0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('never runs more checks at once than its concurrency, and checks every device once', async () => {
    let inFlight = 0;
    let peak = 0;
    const seen: string[] = [];
    const adapter: CheckCapable = {
      async check(d) {
        seen.push(d.id);
        inFlight += 1;
        peak = Math.max(peak, inFlight);
        await delay(100 + (seen.length % 7) * 10);
        inFlight -= 1;
        return okCheck({ latencyMs: 100 });
      },
    };
    const devices = cams(40);
    const { engine, store } = await setup(devices, { cam: adapter });
    const rec = await engine.startSweep({ selection: {}, concurrency: 4 });
    const done = engine.whenDone(rec.id);
    await vi.advanceTimersByTimeAsync(10 * 200);
    const final = await done;
    expect(final?.state).toBe('done');
    expect(peak).toBe(4);
    expect(seen.sort()).toStrictEqual(devices.map((d) => d.id).sort());
    expect(await store.results(rec.id)).toHaveLength(40);
    expect((await store.get(rec.id))?.summary).toMatchObject({ total: 40, done: 40, ok: 40, failing: 0 });
  });

  it('cuts off hung checks at the deadline (even those ignoring the signal): done within timeout × rounds', async () => {
    const signals = new Map<string, AbortSignal>();
    const adapter: CheckCapable = {
      async check(d, signal) {
        signals.set(d.id, signal);
        if (d.id.includes('hang')) return new Promise<CheckResult>(() => undefined); // ignores its signal
        if (d.id.includes('polite'))
          return new Promise<CheckResult>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error)));
        await delay(10);
        return okCheck();
      },
    };
    const ids = ['hang-1', 'polite-1', 'fast-1', 'hang-2', 'hang-3', 'fast-2'];
    const devices = ids.map((id) => device(id, 's01', 'camera', 'cam'));
    const { engine, store } = await setup(devices, { cam: adapter });
    const rec = await engine.startSweep({ selection: {}, concurrency: 2, timeoutMs: 1000 });
    let state = 'running';
    void engine.whenDone(rec.id)?.then((r) => (state = r.state));
    // 6 devices, 2 slots: at most 3 rounds of the deadline, each timed-out check asked twice.
    await vi.advanceTimersByTimeAsync(3 * 2 * 1000);
    expect(state).toBe('done');
    const results = byId(await recorded(engine, store, rec.id));
    for (const id of ['hang-1', 'polite-1', 'hang-2', 'hang-3']) {
      expect(results[id]).toMatchObject({ status: 'unknown', reasons: [{ code: 'check-error', detail: 'timed out after 1000 ms' }], evidence: { retriedAfter: 'check-error: timed out after 1000 ms' }, durationMs: 1000, method: 'active' });
      expect(signals.get(id)?.aborted).toBe(true);
      expect((signals.get(id)?.reason as DOMException).name).toBe('TimeoutError');
    }
    expect(results['fast-1']?.status).toBe('ok');
    expect(results['fast-2']?.status).toBe('ok');
  });

  it('cancels: in-flight checks are aborted and left out, pending ones never start, the report is sealed', async () => {
    const started: string[] = [];
    const aborted: string[] = [];
    const adapter: CheckCapable = {
      check(d, signal) {
        started.push(d.id);
        signal.addEventListener('abort', () => aborted.push(d.id));
        return delay(d.id.endsWith('-1') ? 10 : 10_000).then(() => okCheck());
      },
    };
    const { engine, store } = await setup(cams(10), { cam: adapter });
    const events: SweepProgressEvent['type'][] = [];
    engine.onProgress((e) => events.push(e.type));
    const rec = await engine.startSweep({ selection: {}, concurrency: 2 });
    await vi.advanceTimersByTimeAsync(50);
    expect(engine.progress(rec.id)).toStrictEqual({ done: 1, total: 10 });
    const final = await engine.cancelSweep(rec.id, 'technician went home');
    expect(final).toMatchObject({ state: 'cancelled', cancelReason: 'technician went home', summary: { total: 10, done: 1 } });
    expect(started).toStrictEqual(['s01-cam-1', 's01-cam-2', 's01-cam-3']);
    expect(aborted.sort()).toStrictEqual(['s01-cam-2', 's01-cam-3']);
    expect((await store.results(rec.id)).map((r) => r.deviceId)).toStrictEqual(['s01-cam-1']);
    expect((await store.link(rec.id))?.seq).toBe(1);
    expect(events).toStrictEqual(['started', 'result', 'finished']);
    await expect(engine.cancelSweep(rec.id)).rejects.toMatchObject({ code: 'GW_ERR_SWEEP_NOT_RUNNING' });
  });

  it('turns a throwing check into check-error with its message and carries on; cleans up careless results', async () => {
    const adapter: CheckCapable = {
      async check(d) {
        if (d.id === 's01-cam-1') throw new Error('ONVIF said no');
        if (d.id === 's01-cam-2') return { status: 'ok', reasons: [{ code: 'made-up' }], evidence: { nested: { a: 1 }, fps: 25, inf: Infinity } } as unknown as CheckResult;
        return okCheck({ latencyMs: 42 });
      },
    };
    const { engine, store } = await setup(cams(3), { cam: adapter });
    const rec = await engine.startSweep({ selection: {} });
    await vi.advanceTimersByTimeAsync(0);
    const results = byId(await recorded(engine, store, rec.id));
    expect(results['s01-cam-1']).toStrictEqual({
      deviceId: 's01-cam-1', siteId: 's01', kind: 'camera', status: 'unknown', reasons: [{ code: 'check-error', detail: 'ONVIF said no' }],
      evidence: { retriedAfter: 'check-error: ONVIF said no' }, method: 'active', startedAt: T0, durationMs: 0,
    });
    expect(results['s01-cam-2']).toMatchObject({ status: 'degraded', reasons: [{ code: 'check-error', detail: "unknown reason 'made-up'" }], evidence: { fps: 25, inf: 'Infinity' } });
    expect(results['s01-cam-3']).toMatchObject({ status: 'ok', reasons: [], evidence: { latencyMs: 42 } });
  });

  it('judges devices without a check() from the health tracker, against their heartbeat timeout', async () => {
    const b = ['ok', 'stale', 'never', 'fault'].map((x) => device(`s01-btn-${x}`, 's01', 'alarm-button', 'mqtt-native'));
    const [ok, stale, never, fault] = b as [Device, Device, Device, Device];
    const { engine, store, health } = await setup(b, {});
    health.set(ok, { lastSeen: T0 - 10_000 });
    health.set(stale, { lastSeen: T0 - 100_000 }); // 100 s > 90 s, tracker has not ticked yet
    health.set(never, { status: 'unknown' });
    health.set(fault, { status: 'degraded', lastSeen: T0 - 1000, reasons: [{ code: 'sim-suspended', detail: 'suspended', since: T0 - 5000 }] });
    const rec = await engine.startSweep({ selection: { kinds: ['alarm-button'] } });
    await vi.advanceTimersByTimeAsync(0);
    const r = byId(await recorded(engine, store, rec.id));
    expect(r['s01-btn-ok']).toMatchObject({ status: 'ok', reasons: [], method: 'passive', lastSeen: T0 - 10_000, evidence: { lastSeenAgeS: 10, heartbeatTimeoutS: 90, trackerStatus: 'ok' } });
    expect(r['s01-btn-stale']).toMatchObject({ status: 'offline', reasons: [{ code: 'no-heartbeat', detail: 'last message 100 s ago (timeout 90 s)' }] });
    expect(r['s01-btn-never']).toMatchObject({ status: 'unknown', reasons: [{ code: 'no-heartbeat', detail: 'no message since the gateway started' }] });
    expect(r['s01-btn-fault']).toMatchObject({ status: 'degraded', reasons: [{ code: 'sim-suspended', detail: 'suspended' }] });
  });

  it('selects by district, school, kind and device (all filters hold) and refuses unknown names', async () => {
    const devices = [
      device('a', 's01', 'camera', 'cam'), device('b', 's01', 'alarm-button', 'x'), device('c', 's02', 'camera', 'cam'),
      device('d', 's03', 'camera', 'cam'), device('e', 's03', 'barrier', 'bar'),
    ];
    const { engine, store } = await setup(devices, {}, {}, { maxRunning: 10 });
    const chosen = async (selection: object) => {
      const rec = await engine.startSweep({ selection });
      return Object.keys((await store.context(rec.id))?.devices ?? {});
    };
    expect(await chosen({})).toStrictEqual(['a', 'b', 'c', 'd', 'e']);
    expect(await chosen({ district: 'd1' })).toStrictEqual(['a', 'b', 'c']);
    expect(await chosen({ sites: ['s01', 's03'], kinds: ['camera'] })).toStrictEqual(['a', 'd']);
    expect(await chosen({ devices: ['e', 'a'], district: 'd2' })).toStrictEqual(['e']);
    let err: unknown;
    try {
      await engine.startSweep({ selection: { sites: ['s01', 'nope'], devices: ['zz'], district: 'mars' } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).code).toBe('GW_ERR_SWEEP_SELECTION');
    expect((err as GatewayError).details).toStrictEqual(["unknown district 'mars'", "unknown site 'nope'", "unknown device 'zz'"]);
    await expect(engine.startSweep({ selection: { sites: ['s02'], kinds: ['barrier'] } })).rejects.toThrow('the selection matches no device');
  });

  it('refuses more sweeps than maxRunning and unknown extras', async () => {
    const { engine } = await setup(cams(2), { cam: { check: () => new Promise(() => undefined) } }, {}, { maxRunning: 1 });
    await engine.startSweep({ selection: {} });
    await expect(engine.startSweep({ selection: {} })).rejects.toThrow(expect.objectContaining({ code: 'GW_ERR_SWEEP_BUSY' }) as Error);
    const { engine: other } = await setup(cams(1), {});
    await expect(other.startSweep({ selection: {}, extras: ['x-ray'] })).rejects.toThrow(expect.objectContaining({ code: 'GW_ERR_SWEEP_EXTRA_UNKNOWN' }) as Error);
  });

  it('reports every result as a progress event in order, then the sealed link', async () => {
    const { engine } = await setup(cams(3), { cam: { check: async () => okCheck() } });
    const events: SweepProgressEvent[] = [];
    engine.onProgress((e) => events.push(e));
    engine.onProgress(() => {
      throw new Error('a bad listener');
    });
    const rec = await engine.startSweep({ selection: {} });
    await engine.whenDone(rec.id);
    expect(events.map((e) => (e.type === 'result' ? `${e.done}/${e.total}` : e.type))).toStrictEqual(['started', '1/3', '2/3', '3/3', 'finished']);
    const last = events.at(-1);
    expect(last?.type === 'finished' && last.link.seq).toBe(1);
  });

  it('runs an extra only for its kinds and only when asked; an extra may clear a stale reason', async () => {
    const b = device('s01-btn-1', 's01', 'alarm-button', 'mqtt-native');
    const c = device('s01-cam-1', 's01', 'camera', 'cam');
    const runs: string[] = [];
    const extra: SweepExtra = {
      kinds: ['alarm-button'],
      async run(d) {
        runs.push(d.id);
        return { clear: ['not-linked-110'], evidence: { selfTest: 'passed' } };
      },
    };
    const { engine, store, health } = await setup([b, c], { cam: { check: async () => okCheck() } }, { extras: new Map([['self', extra]]) });
    health.set(b, { status: 'degraded', lastSeen: T0, reasons: [{ code: 'not-linked-110', since: T0 }] });
    const plain = await engine.startSweep({ selection: {} });
    await engine.whenDone(plain.id);
    expect(runs).toStrictEqual([]);
    const asked = await engine.startSweep({ selection: {}, extras: ['self'] });
    await engine.whenDone(asked.id);
    expect(runs).toStrictEqual(['s01-btn-1']);
    const r = byId(await recorded(engine, store, asked.id));
    expect(r['s01-btn-1']).toMatchObject({ status: 'ok', reasons: [], evidence: { selfTest: 'passed' } });
  });

  it('gives the event loop a turn between checks by default, so a large passive sweep does not hold it', async () => {
    vi.useRealTimers();
    const buttons = Array.from({ length: 300 }, (_, i) => device(`b${i}`, 's01', 'alarm-button', 'mqtt-native'));
    const { engine, health } = await setup(buttons, {}, { yieldTurn: undefined });
    for (const b of buttons) health.set(b, { lastSeen: Date.now() });
    const rec = await engine.startSweep({ selection: {} });
    let doneAtFirstTurn = -1;
    setImmediate(() => (doneAtFirstTurn = engine.progress(rec.id)?.done ?? 300));
    const final = await engine.whenDone(rec.id);
    expect(final?.summary?.ok).toBe(300);
    expect(doneAtFirstTurn).toBeGreaterThanOrEqual(0);
    expect(doneAtFirstTurn).toBeLessThan(300);
  });

  it('closes a sweep a crash left running as cancelled, sealed, on start()', async () => {
    const { store } = memoryStore();
    await store.create({ id: 'sw-old', trigger: 'api', state: 'running', createdAt: T0 - 5000, total: 2, selection: {}, options: { concurrency: 1, timeoutMs: 1000, extras: [] } }, { sites: [], devices: {} });
    const engine = new SweepEngine({ registry: new Registry(SITES, []), health: new FakeHealth(), adapters: new Map(), recorder: store, clock: systemClock, log: silentLog, heartbeatTimeout: {} });
    await engine.start();
    expect(await store.get('sw-old')).toMatchObject({ state: 'cancelled', finishedAt: T0, cancelReason: 'interrupted: the gateway stopped before the sweep ended' });
    expect((await store.link('sw-old'))?.seq).toBe(1);
  });

  it('cluster mode: leaves sweeps recorded as running alone at start (another node may run them); closeLeftovers() (the node taking the duties) seals them', async () => {
    const { store } = memoryStore();
    await store.create({ id: 'sw-other', trigger: 'api', state: 'running', createdAt: T0 - 5000, total: 2, selection: {}, options: { concurrency: 1, timeoutMs: 1000, extras: [] } }, { sites: [], devices: {} });
    const engine = new SweepEngine({ registry: new Registry(SITES, []), health: new FakeHealth(), adapters: new Map(), recorder: store, clock: systemClock, log: silentLog, heartbeatTimeout: {} });
    await engine.start({ leftovers: false });
    expect(await store.get('sw-other')).toMatchObject({ state: 'running' });
    await engine.closeLeftovers();
    expect(await store.get('sw-other')).toMatchObject({ state: 'cancelled', cancelReason: 'interrupted: the gateway stopped before the sweep ended' });
  });
});

/** Results as recorded, after the sweep ends. */
async function recorded(engine: SweepEngine, store: SqliteSweepStore, id: string): Promise<SweepResult[]> {
  await engine.whenDone(id);
  return await store.results(id);
}

describe('SweepEngine: sweeps that never cry wolf', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: T0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('gives a kind its own pool within the sweep, and its timeout counts from when its check starts', async () => {
    let cams = 0;
    let peakCams = 0;
    let buttons = 0;
    const camAdapter: CheckCapable = {
      async check() {
        cams += 1;
        peakCams = Math.max(peakCams, cams);
        await delay(1500); // longer than the sweep's 1 s, shorter than the camera's own 2 s
        cams -= 1;
        return okCheck();
      },
    };
    const btnAdapter: CheckCapable = {
      async check() {
        buttons += 1;
        await delay(10);
        return okCheck();
      },
    };
    const devices = [...Array.from({ length: 8 }, (_, i) => device(`s01-cam-${i + 1}`, 's01', 'camera', 'cam')), ...Array.from({ length: 8 }, (_, i) => device(`s01-btn-${i + 1}`, 's01', 'alarm-button', 'btn'))];
    const { engine, store } = await setup(devices, { cam: camAdapter, btn: btnAdapter }, {}, { kinds: { camera: { concurrency: 2, timeoutMs: 2000 } } });
    const rec = await engine.startSweep({ selection: {}, concurrency: 6, timeoutMs: 1000 });
    const done = engine.whenDone(rec.id);
    // Cameras wait for their 2 slots; the other 4 workers check every button meanwhile.
    await vi.advanceTimersByTimeAsync(100);
    expect(buttons).toBe(8);
    expect(peakCams).toBe(2);
    await vi.advanceTimersByTimeAsync(4 * 1500 + 100);
    const final = await done;
    expect(final?.state).toBe('done');
    const results = await store.results(rec.id);
    // 8 cameras, 2 at a time, 1.5 s each: the last ones waited 4.5 s for a slot, none timed out.
    expect(results.filter((r) => r.status !== 'ok')).toStrictEqual([]);
    expect(peakCams).toBe(2);
  });

  it('asks a check-error once more before reporting it: a passing second check is the verdict', async () => {
    const calls = new Map<string, number>();
    const adapter: CheckCapable = {
      async check(d) {
        const n = (calls.get(d.id) ?? 0) + 1;
        calls.set(d.id, n);
        if (d.id === 's01-cam-1' && n === 1) throw new Error('ffmpeg starved');
        if (d.id === 's01-cam-2') throw new Error('really broken');
        return okCheck();
      },
    };
    const { engine, store } = await setup(cams(3), { cam: adapter });
    const rec = await engine.startSweep({ selection: {} });
    const done = engine.whenDone(rec.id);
    await vi.advanceTimersByTimeAsync(0);
    await done;
    const results = byId(await store.results(rec.id));
    expect(results['s01-cam-1']).toMatchObject({ status: 'ok', reasons: [], evidence: { retriedAfter: 'check-error: ffmpeg starved' } });
    expect(results['s01-cam-2']).toMatchObject({ status: 'unknown', reasons: [{ code: 'check-error', detail: 'really broken' }] });
    expect(Object.fromEntries(calls)).toStrictEqual({ 's01-cam-1': 2, 's01-cam-2': 2, 's01-cam-3': 1 });
  });
});
