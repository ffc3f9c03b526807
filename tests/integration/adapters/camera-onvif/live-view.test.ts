/**
 * Live view: RTSP from a simulated camera to WebSocket viewers through ffmpeg (MPEG-1 in
 * MPEG-TS for jsmpeg); stops when the last viewer leaves; at most N streams at once.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { cameraOnvifAdapter, cameraOnvifConfig, LiveViewManager, type CameraOnvifAdapter } from '../../../../adapters/camera-onvif/index.js';
import { CameraFleetSimulator } from '../../../../simulators/camera-onvif/index.js';
import { fakeContext } from '../../../helpers/fake-context.js';

const fleet = new CameraFleetSimulator({ cameras: 2, width: 320, height: 240, fps: 5 });
let dir: string;
let adapter: CameraOnvifAdapter;
let live: LiveViewManager;

beforeAll(async () => {
  await fleet.start();
  dir = await mkdtemp(join(tmpdir(), 'camera-onvif-live-'));
  const ctx = fakeContext({ devices: fleet.devices('site-1'), dataDir: dir });
  adapter = cameraOnvifAdapter.create(cameraOnvifConfig({ checkIntervalSeconds: 0, events: false }), ctx);
  await adapter.start();
  live = new LiveViewManager({
    resolve: (id, signal) => adapter.liveSource(id, signal),
    log: pino({ level: 'silent' }),
    workDir: join(dir, 'live'),
    maxStreams: 1,
    width: 320,
    height: 240,
    idleMs: 300,
  });
  await live.start();
});

afterAll(async () => {
  await live.stop();
  await adapter.stop();
  await fleet.stop();
  await rm(dir, { recursive: true, force: true });
});

/** Connects a viewer and collects what it receives. */
function viewer(port: number, path: string): { ws: WebSocket; messages: Buffer[]; bytes: (n: number) => Promise<void>; closed: Promise<number> } {
  const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`);
  const messages: Buffer[] = [];
  let want: { n: number; resolve: () => void } | undefined;
  const total = () => messages.reduce((s, m) => s + m.length, 0);
  ws.on('message', (data: Buffer) => {
    messages.push(data);
    if (want && total() >= want.n) want.resolve();
  });
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  const bytes = (n: number) => (total() >= n ? Promise.resolve() : new Promise<void>((resolve) => (want = { n, resolve })));
  return { ws, messages, bytes, closed };
}

describe('LiveViewManager', () => {
  it('streams a camera to WebSocket viewers and stops when the last one leaves', async () => {
    const handle = await live.open('cam-001');
    expect(handle).toStrictEqual({ deviceId: 'cam-001', path: '/live/cam-001', wsPort: live.wsPort, width: 320, height: 240 });
    const a = viewer(handle.wsPort ?? 0, handle.path);
    const b = viewer(handle.wsPort ?? 0, handle.path);
    await a.bytes(8 + 188 * 20);
    // jsmpeg header ("jsmp", width, height), then MPEG-TS packets (sync byte 0x47).
    expect(a.messages[0]).toStrictEqual(Buffer.from([0x6a, 0x73, 0x6d, 0x70, 0x01, 0x40, 0x00, 0xf0]));
    expect(a.messages[1]?.[0]).toBe(0x47);
    await b.bytes(8 + 188);
    expect(live.viewers('cam-001')).toBe(2);

    a.ws.close();
    await vi.waitFor(() => expect(live.viewers('cam-001')).toBe(1));
    b.ws.close();
    await vi.waitFor(() => expect(live.openStreams()).toStrictEqual([]), { timeout: 5000 });
  });

  it('allows at most maxStreams at once and refuses viewers of streams not opened', async () => {
    await live.open('cam-001');
    await expect(live.open('cam-002')).rejects.toMatchObject({ code: 'GW_ERR_LIVE_VIEW_BUSY' });
    const stray = viewer(live.wsPort ?? 0, '/live/cam-002');
    expect(await stray.closed).toBe(4404);
    live.close('cam-001');
    expect(live.openStreams()).toStrictEqual([]);
    const handle = await live.open('cam-002');
    expect(handle.path).toBe('/live/cam-002');
    live.close('cam-002');
  });

  it('never exceeds maxStreams when different cameras are opened at the same moment', async () => {
    // Both pass the first limit check while their stream URIs are looked up over ONVIF.
    const results = await Promise.allSettled([live.open('cam-001'), live.open('cam-002')]);
    expect(results.map((r) => r.status).sort()).toStrictEqual(['fulfilled', 'rejected']);
    expect(results.find((r) => r.status === 'rejected')).toMatchObject({ reason: { code: 'GW_ERR_LIVE_VIEW_BUSY' } });
    expect(live.openStreams()).toHaveLength(1);
    for (const id of live.openStreams()) live.close(id);
  });

  it('refuses devices that are not camera-onvif cameras', async () => {
    await expect(live.open('no-such-camera')).rejects.toMatchObject({ code: 'GW_ERR_UNKNOWN_DEVICE' });
    expect(live.openStreams()).toStrictEqual([]);
  });
});
