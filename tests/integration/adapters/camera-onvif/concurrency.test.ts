/**
 * 50 cameras checked at once, 5 of them hung: every check returns, the hung ones as
 * unreachable, and the whole sweep stays within timeout × ceil(n / concurrency).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cameraOnvifAdapter, cameraOnvifConfig } from '../../../../adapters/camera-onvif/index.js';
import { CameraFleetSimulator } from '../../../../simulators/camera-onvif/index.js';
import { fakeContext } from '../../../helpers/fake-context.js';

const CAMERAS = 50;
const HUNG = ['cam-003', 'cam-011', 'cam-024', 'cam-037', 'cam-050'];
const fleet = new CameraFleetSimulator({ cameras: CAMERAS, width: 320, height: 240, fps: 5 });
const config = cameraOnvifConfig({
  checkIntervalSeconds: 0,
  events: false,
  concurrency: 10,
  requestTimeoutMs: 2000,
  streamTimeoutMs: 4000,
  checkTimeoutMs: 15_000,
  // Half a second of video per camera: 45 decoders on 2 shared cores.
  probeSeconds: 0.5,
});
let dataDir: string;

beforeAll(async () => {
  await fleet.start();
  for (const id of HUNG) await fleet.setFault(id, 'offline');
  dataDir = await mkdtemp(join(tmpdir(), 'camera-onvif-many-'));
});

afterAll(async () => {
  await fleet.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('camera-onvif under load', () => {
  it('checks 50 cameras with 5 hung ones within the timeout budget', async () => {
    const devices = fleet.devices('site-1');
    const ctx = fakeContext({ devices, dataDir });
    const adapter = cameraOnvifAdapter.create(config, ctx);
    await adapter.start();
    const started = Date.now();
    try {
      const results = await Promise.all(devices.map((d) => adapter.check(d, new AbortController().signal).then((r) => [d.id, r] as const)));
      const elapsed = Date.now() - started;
      expect(results).toHaveLength(CAMERAS);
      const reasons = Object.fromEntries(results.map(([id, r]) => [id, r.reasons.map((x) => `${x.code}: ${x.detail ?? ''}`)]));
      const expected = Object.fromEntries(devices.map((d) => [d.id, HUNG.includes(d.id) ? [expect.stringMatching(/^unreachable: GetSystemDateAndTime/)] : []]));
      expect(reasons).toStrictEqual(expected);
      expect(results.filter(([, r]) => r.status === 'offline').map(([id]) => id)).toStrictEqual(HUNG);
      // Generous bound, not a speed target: every round of `concurrency` cameras ends by the check deadline.
      expect(elapsed).toBeLessThan(config.checkTimeoutMs * Math.ceil(CAMERAS / config.concurrency));
      expect(HUNG.map((id) => ctx.activeConditions(id))).toStrictEqual(HUNG.map(() => ['unreachable']));
    } finally {
      await adapter.stop();
    }
  });
});
