/**
 * camera-onvif checks against a simulated camera over loopback: every fault yields exactly its
 * reason code, and restoring the camera clears it, in the check result and the conditions.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cameraOnvifAdapter, cameraOnvifConfig, type CameraOnvifAdapter } from '../../../../adapters/camera-onvif/index.js';
import type { Device } from '../../../../gateway/contract/types.js';
import type { HealthReasonCode } from '../../../../gateway/contract/vocabulary.js';
import { CameraSimulator, type CameraFault } from '../../../../simulators/camera-onvif/index.js';
import { fakeContext, type FakeContext } from '../../../helpers/fake-context.js';

const sim = new CameraSimulator({ id: 'cam-gate', width: 320, height: 240, fps: 5 });
// One second of video per look (0.8 s between first and last frame at 5 fps) keeps the suite quick.
const config = cameraOnvifConfig({
  checkIntervalSeconds: 0, events: false, requestTimeoutMs: 1500, streamTimeoutMs: 4000, checkTimeoutMs: 15_000, probeSeconds: 1, frozenMinSpanMs: 800,
});
let dataDir: string;
let device: Device;
let ctx: FakeContext;
let adapter: CameraOnvifAdapter;

const check = (d: Device = device) => adapter.check(d, new AbortController().signal);

beforeAll(async () => {
  await sim.start();
  dataDir = await mkdtemp(join(tmpdir(), 'camera-onvif-check-'));
  device = sim.device('site-1');
  ctx = fakeContext({ devices: [device], dataDir });
  adapter = cameraOnvifAdapter.create(config, ctx);
  await adapter.start();
});

afterAll(async () => {
  await adapter.stop();
  await sim.stop();
  await rm(dataDir, { recursive: true, force: true });
});

afterEach(() => sim.restore());

describe('camera-onvif check of a healthy camera', () => {
  it('reports ok with what it saw, and keeps the first picture as the reference', async () => {
    const result = await check();
    expect(result).toStrictEqual({
      status: 'ok',
      reasons: [],
      evidence: {
        onvifLatencyMs: expect.any(Number),
        clockDriftSeconds: expect.any(Number),
        eventsService: true,
        manufacturer: 'CampusSim',
        model: 'IPC-SIM-2MP',
        firmware: 'V5.7.3 build 261101',
        serial: 'SIM-cam-gate',
        profile: 'Profile_1',
        streamUri: `rtsp://127.0.0.1:${sim.rtspPort}/stream1`,
        frames: expect.any(Number),
        resolution: '320x240',
        fps: 5,
        pictureSource: 'stream',
        pictureLuma: expect.any(Number),
        pictureMotion: expect.any(Number),
        referenceStored: true,
      },
    });
    expect(Math.abs(Number(result.evidence['clockDriftSeconds']))).toBeLessThanOrEqual(1);
    expect(existsSync(adapter.referenceFile(device.id))).toBe(true);
    expect(ctx.activeConditions(device.id)).toStrictEqual([]);
  });
});

const FAULTS: [string, CameraFault, HealthReasonCode, 'offline' | 'degraded'][] = [
  ['stops answering', 'offline', 'unreachable', 'offline'],
  ['had its password changed', 'wrong-password', 'auth-failed', 'degraded'],
  ['has its clock 10 min ahead', { kind: 'clock-skew', seconds: 600 }, 'clock-drift', 'degraded'],
  ['answers RTSP but sends no video', 'stream-down', 'stream-down', 'degraded'],
  ['has its lens covered', 'black', 'image-black', 'degraded'],
  ['shows a frozen picture', 'frozen', 'image-frozen', 'degraded'],
  ['was turned to another scene', 'moved', 'image-changed', 'degraded'],
];

describe('camera-onvif check of a faulty camera', () => {
  it.each(FAULTS)('a camera that %s yields exactly its reason, and recovery clears it', async (_what, fault, code, status) => {
    // The previous case's recovery check left a reference; a case run alone takes one first.
    if (!existsSync(adapter.referenceFile(device.id))) await check();
    await sim.setFault(fault);
    const faulty = await check();
    expect([faulty.status, faulty.reasons.map((r) => r.code)]).toStrictEqual([status, [code]]);
    expect(faulty.reasons[0]?.detail).toEqual(expect.any(String));
    expect(ctx.activeConditions(device.id)).toStrictEqual([code]);
    await sim.restore();
    const healthy = await check();
    expect([healthy.status, healthy.reasons]).toStrictEqual(['ok', []]);
    expect(ctx.activeConditions(device.id)).toStrictEqual([]);
  });

  it('accepts a new view as reference after a technician resets it', async () => {
    await sim.setFault('moved');
    expect((await check()).reasons.map((r) => r.code)).toStrictEqual(['image-changed']);
    await adapter.resetReference(device.id);
    const accepted = await check();
    expect([accepted.status, accepted.evidence['referenceStored']]).toStrictEqual(['ok', true]);
    await sim.restore();
    expect((await check()).reasons.map((r) => r.code)).toStrictEqual(['image-changed']);
    await adapter.resetReference(device.id);
    expect((await check()).status).toBe('ok');
  });
});

describe('camera-onvif check edge cases', () => {
  it('reports a camera whose port refuses connections as unreachable', async () => {
    const closed = net.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const gone: Device = { ...device, id: 'cam-gone', options: { ...device.options, port } };
    const result = await check(gone);
    expect([result.status, result.reasons.map((r) => r.code)]).toStrictEqual(['offline', ['unreachable']]);
    expect(result.reasons[0]?.detail).toMatch(/ECONNREFUSED/);
  });

  it('reports bad device options as a check error', async () => {
    const result = await check({ ...device, id: 'cam-bad', options: { port: 'eighty' } });
    expect([result.status, result.reasons.map((r) => r.code)]).toStrictEqual(['degraded', ['check-error']]);
    expect(result.reasons[0]?.detail).toMatch(/GW_ERR_CAMERA_OPTIONS|camera device options are invalid/);
  });

  it('analyses the snapshot URI when configured to', async () => {
    const snapCtx = fakeContext({ devices: [device], dataDir });
    const snap = cameraOnvifAdapter.create(cameraOnvifConfig({ ...config, pictureSource: 'snapshot' }), snapCtx);
    await snap.start();
    try {
      await sim.setFault('black');
      const result = await snap.check(device, new AbortController().signal);
      expect([result.reasons.map((r) => r.code), result.evidence['pictureSource']]).toStrictEqual([['image-black'], 'snapshot']);
    } finally {
      await snap.stop();
    }
  });

  it('reports a missing ffmpeg as a check error, not as a dead stream', async () => {
    const broken = cameraOnvifAdapter.create(cameraOnvifConfig({ ...config, ffmpegPath: '/nonexistent/ffmpeg' }), fakeContext({ devices: [device], dataDir }));
    const result = await broken.check(device, new AbortController().signal);
    expect([result.status, result.reasons.map((r) => r.code)]).toStrictEqual(['degraded', ['check-error']]);
    expect(result.reasons[0]?.detail).toMatch(/ffmpeg could not be run: \/nonexistent\/ffmpeg/);
  });

  it('rejects when the caller cancels the check', async () => {
    const cancel = new AbortController();
    const running = adapter.check(device, cancel.signal);
    cancel.abort();
    await expect(running).rejects.toMatchObject({ code: 'GW_ERR_CAMERA_ABORTED' });
  });
});
