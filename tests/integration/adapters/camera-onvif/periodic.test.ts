/**
 * Background checks: each tick of the adapter's interval checks every camera and feeds
 * ctx.setCondition, setting and clearing. The interval runs on a hand-driven clock, so the
 * test decides when a tick happens instead of waiting a minute.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cameraOnvifAdapter, cameraOnvifConfig, type CameraOnvifAdapter } from '../../../../adapters/camera-onvif/index.js';
import type { Clock, Timer } from '../../../../gateway/contract/clock.js';
import type { HealthReasonCode } from '../../../../gateway/contract/vocabulary.js';
import { CameraFleetSimulator } from '../../../../simulators/camera-onvif/index.js';
import { fakeContext, type FakeContext } from '../../../helpers/fake-context.js';

/** Real time for deadlines; the interval and the first tick fire only when the test says. */
class TickClock implements Clock {
  readonly intervals = new Map<Timer, { fn: () => void; ms: number }>();
  private readonly zeroTimeouts = new Map<Timer, () => void>();
  now = () => Date.now();
  setTimeout(fn: () => void, ms: number): Timer {
    if (ms > 0) return globalThis.setTimeout(fn, ms);
    const t = globalThis.setTimeout(() => undefined, 2 ** 30);
    this.zeroTimeouts.set(t, fn);
    return t;
  }
  clearTimeout(t: Timer): void {
    this.zeroTimeouts.delete(t);
    globalThis.clearTimeout(t);
  }
  setInterval(fn: () => void, ms: number): Timer {
    const t = globalThis.setTimeout(() => undefined, 2 ** 30);
    this.intervals.set(t, { fn, ms });
    return t;
  }
  clearInterval(t: Timer): void {
    this.intervals.delete(t);
    globalThis.clearTimeout(t);
  }
  /** Runs the adapter's first tick (a 0 ms timeout) and its interval. */
  tick(): void {
    for (const [t, fn] of [...this.zeroTimeouts]) {
      this.clearTimeout(t);
      fn();
      return;
    }
    for (const { fn } of this.intervals.values()) fn();
  }
}

const fleet = new CameraFleetSimulator({ cameras: 2, width: 320, height: 240, fps: 5 });
const clock = new TickClock();
let dataDir: string;
let ctx: FakeContext;
let adapter: CameraOnvifAdapter;
let onCondition: (() => void) | undefined;

/** Resolves once every listed camera has reported and shows exactly the given conditions. */
function conditions(expected: Record<string, HealthReasonCode[]>): Promise<void> {
  const ok = () =>
    Object.entries(expected).every(
      ([id, codes]) => ctx.conditions.some((c) => c.deviceId === id) && JSON.stringify(ctx.activeConditions(id)) === JSON.stringify(codes),
    );
  return new Promise((resolve) => {
    onCondition = () => {
      if (!ok()) return;
      onCondition = undefined;
      resolve();
    };
  });
}

beforeAll(async () => {
  await fleet.start();
  dataDir = await mkdtemp(join(tmpdir(), 'camera-onvif-periodic-'));
  ctx = fakeContext({ devices: fleet.devices('site-1'), dataDir, clock });
  const record = ctx.setCondition.bind(ctx);
  ctx.setCondition = (...args) => {
    record(...args);
    onCondition?.();
  };
  const config = cameraOnvifConfig({ checkIntervalSeconds: 60, events: false, requestTimeoutMs: 1500, streamTimeoutMs: 4000, probeSeconds: 0.5 });
  adapter = cameraOnvifAdapter.create(config, ctx);
  await adapter.start();
});

afterAll(async () => {
  await adapter.stop();
  await fleet.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('camera-onvif background checks', () => {
  it('schedules on the context clock at the configured interval', () => {
    expect([...clock.intervals.values()].map((i) => i.ms)).toStrictEqual([60_000]);
  });

  it('sets and clears conditions from periodic checks', async () => {
    const firstRound = conditions({ 'cam-001': [], 'cam-002': [] });
    clock.tick(); // the check right after start
    await firstRound;
    // The first report of a camera states every code, so stale conditions are cleared.
    expect(ctx.conditions.filter((c) => c.deviceId === 'cam-001').length).toBe(10);

    await fleet.setFault('cam-002', 'black');
    const black = conditions({ 'cam-001': [], 'cam-002': ['image-black'] });
    clock.tick();
    await black;

    await fleet.restore('cam-002');
    const cleared = conditions({ 'cam-001': [], 'cam-002': [] });
    clock.tick();
    await cleared;
    expect(ctx.conditions.filter((c) => c.deviceId === 'cam-002').slice(10)).toStrictEqual([
      { deviceId: 'cam-002', code: 'image-black', active: true, detail: expect.stringMatching(/^mean luma/) },
      { deviceId: 'cam-002', code: 'image-black', active: false },
    ]);
  });

  it('stops: no interval left and no check running', async () => {
    await adapter.stop();
    expect(clock.intervals.size).toBe(0);
  });
});
