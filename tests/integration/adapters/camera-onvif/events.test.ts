/**
 * ONVIF events through a pull point: the simulator's tamper and video-loss faults become
 * DeviceEvents and conditions; restoring clears them; re-subscriptions do not repeat events.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { cameraOnvifAdapter, cameraOnvifConfig, type CameraOnvifAdapter } from '../../../../adapters/camera-onvif/index.js';
import type { Device } from '../../../../gateway/contract/types.js';
import type { HealthReasonCode } from '../../../../gateway/contract/vocabulary.js';
import { CameraSimulator } from '../../../../simulators/camera-onvif/index.js';
import { fakeContext, type FakeContext } from '../../../helpers/fake-context.js';

// Short pulls keep the simulator's parked requests brief; the adapter pulls again at once.
const sim = new CameraSimulator({ id: 'cam-hall', pullWaitMaxMs: 2000 });
let dataDir: string;
let device: Device;
let ctx: FakeContext;
let adapter: CameraOnvifAdapter;
const waiters: (() => void)[] = [];

/** Resolves once the camera's active conditions are exactly `codes`. */
function conditionsBecome(codes: HealthReasonCode[]): Promise<void> {
  const matches = () => JSON.stringify(ctx.activeConditions(device.id)) === JSON.stringify(codes) && ctx.conditions.length > 0;
  if (matches()) return Promise.resolve();
  return new Promise((resolve) => {
    const check = () => {
      if (!matches()) return;
      waiters.splice(waiters.indexOf(check), 1);
      resolve();
    };
    waiters.push(check);
  });
}

beforeAll(async () => {
  await sim.start();
  dataDir = await mkdtemp(join(tmpdir(), 'camera-onvif-events-'));
  device = sim.device('site-1');
  ctx = fakeContext({ devices: [device], dataDir });
  const record = ctx.setCondition.bind(ctx);
  ctx.setCondition = (...args) => {
    record(...args);
    for (const w of [...waiters]) w();
  };
  adapter = cameraOnvifAdapter.create(cameraOnvifConfig({ checkIntervalSeconds: 0, events: true, requestTimeoutMs: 2000 }), ctx);
  await adapter.start();
  // The subscription's first pull restates the properties (Initialized): every code is reported off.
  await conditionsBecome([]);
});

afterAll(async () => {
  await adapter.stop();
  await sim.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('camera-onvif events', () => {
  it('does not turn the initial state of a subscription into events', () => {
    expect(ctx.events).toStrictEqual([]);
  });

  it('turns a tamper event into a tamper DeviceEvent and condition, and clears it', async () => {
    await sim.setFault('tamper');
    const raised = await ctx.waitForEvent((e) => e.type === 'tamper' && e.data?.['active'] === true);
    expect(raised).toStrictEqual({ deviceId: 'cam-hall', type: 'tamper', at: expect.any(Number), data: { active: true, topic: 'tns1:RuleEngine/TamperDetector/Tamper' } });
    await conditionsBecome(['tamper']);
    await sim.restore('tamper');
    await ctx.waitForEvent((e) => e.type === 'tamper' && e.data?.['active'] === false);
    await conditionsBecome([]);
  });

  it('turns video loss into a video-loss DeviceEvent and the stream-down condition, and clears it', async () => {
    await sim.setFault('video-loss');
    const raised = await ctx.waitForEvent((e) => e.type === 'video-loss' && e.data?.['active'] === true);
    expect(raised.data).toStrictEqual({ active: true, topic: 'tns1:VideoSource/SignalLoss' });
    await conditionsBecome(['stream-down']);
    await sim.restore('video-loss');
    await conditionsBecome([]);
    expect(ctx.events.map((e) => [e.type, e.data?.['active']])).toStrictEqual([
      ['tamper', true],
      ['tamper', false],
      ['video-loss', true],
      ['video-loss', false],
    ]);
  });

  it('subscribes again after the camera was offline and picks up the current state', async () => {
    const before = ctx.events.length;
    await sim.setFault('offline');
    await vi.waitFor(() => expect(sim.hungRequests()).toBeGreaterThan(0), { timeout: 5000 }); // the adapter's pull now hangs
    await sim.setFault('tamper'); // happens while nobody can hear it
    await sim.restore('offline');
    // The new subscription restates tamper as Initialized: a condition, not a second event.
    await conditionsBecome(['tamper']);
    expect(ctx.events.slice(before)).toStrictEqual([]);
    await sim.restore();
    await conditionsBecome([]);
  });
});
