/**
 * Camera live view through the gateway (issue 7): the real gateway with the default district,
 * its NVR endpoint pointed at a camera fleet simulator; viewers are WebSocket clients as the
 * dashboard's player is (token as the `bearer.` subprotocol).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { CameraFleetSimulator } from '../../../simulators/camera-onvif/index.js';
import { startGateway, type TestGateway } from '../../helpers/gateway.js';

const CAMERAS = ['sch-01-cam-1', 'sch-01-cam-2', 'sch-01-cam-3', 'sch-01-cam-4', 'sch-02-cam-1'];
const fleet = new CameraFleetSimulator({
  cameras: CAMERAS.map((id) => ({ id, username: 'admin', password: 'demo-pass-camera' })),
  width: 320,
  height: 240,
  fps: 5,
});
let t: TestGateway;

beforeAll(async () => {
  await fleet.start();
  t = await startGateway({
    adapters: {
      'camera-onvif': {
        endpoints: { 'district-nvr': { host: '127.0.0.1', port: fleet.httpPort } },
        events: false,
        requestTimeoutMs: 1000,
        liveView: { maxStreams: 2, width: 320, height: 240, idleSeconds: 1 },
      },
      // The ONVIF cameras' live view only: the totals below are theirs (GB/T 28181 channels have
      // their own live-view tests in tests/integration/adapters/camera-gb28181).
      'camera-gb28181': { liveView: { maxStreams: 0 } },
    },
  });
}, 60_000);

afterAll(async () => {
  await t?.close();
  await fleet.stop();
});

interface Viewer {
  ws: WebSocket;
  messages: Buffer[];
  /** Resolves once at least n bytes arrived. */
  bytes(n: number): Promise<void>;
  /** 'open', or the HTTP status and error body of a refused upgrade. */
  outcome: Promise<{ status: number; body: { code?: string } }>;
  closed: Promise<number>;
}

function viewer(deviceId: string, token: string | undefined): Viewer {
  const protocols = token ? ['campus-camera.v1', `bearer.${token}`] : ['campus-camera.v1'];
  const ws = new WebSocket(`ws://127.0.0.1:${t.httpPort}/api/cameras/${deviceId}/live`, protocols);
  const messages: Buffer[] = [];
  let want: { n: number; resolve: () => void } | undefined;
  const total = () => messages.reduce((s, m) => s + m.length, 0);
  ws.on('message', (data: Buffer) => {
    messages.push(data);
    if (want && total() >= want.n) want.resolve();
  });
  const outcome = new Promise<{ status: number; body: { code?: string } }>((resolve, reject) => {
    ws.once('open', () => resolve({ status: 101, body: {} }));
    ws.once('unexpected-response', (_req, res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? (JSON.parse(text) as { code?: string }) : {} }));
    });
    ws.once('error', (err) => reject(err));
  });
  outcome.catch(() => undefined);
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  const bytes = (n: number) => (total() >= n ? Promise.resolve() : new Promise<void>((resolve) => (want = { n, resolve })));
  return { ws, messages, bytes, outcome, closed };
}

/** ffmpeg processes re-encoding for live view (children of this process: the gateway runs in it). */
function liveEncoders(): number {
  let n = 0;
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('mpeg1video')) n++;
    } catch {
      // the process ended while we looked
    }
  }
  return n;
}

async function liveViews(as: string, site?: string) {
  const res = await t.api(`/api/cameras/live-views${site ? `?site=${site}` : ''}`, { as });
  expect(res.status).toBe(200);
  return (await res.json()) as { inUse: number; maxStreams: number; cameras: { deviceId: string; streaming: boolean; viewers: number; busy: boolean }[] };
}

async function audit(action: string) {
  const res = await t.api(`/api/audit?action=${action}&limit=1000`, { as: 'admin' });
  return ((await res.json()) as { actor: string; target: string; detail: Record<string, unknown> }[]).map(({ actor, target, detail }) => ({ actor, target, detail }));
}

describe('camera live view routes', () => {
  it('lists the cameras that offer live view, in the caller\'s scope', async () => {
    const sch01 = await liveViews('duty', 'sch-01');
    expect(sch01).toStrictEqual({
      inUse: 0,
      maxStreams: 2,
      cameras: ['sch-01-cam-1', 'sch-01-cam-2', 'sch-01-cam-3', 'sch-01-cam-4'].map((id) => ({
        deviceId: id,
        siteId: 'sch-01',
        width: 320,
        height: 240,
        streaming: false,
        viewers: 0,
        busy: false,
        maxStreams: 2,
        path: `/api/cameras/${id}/live`,
      })),
    });
    // A school sees its own cameras only, whatever it asks for.
    expect((await liveViews('sch-02')).cameras.map((c) => c.deviceId)).toStrictEqual(['sch-02-cam-1', 'sch-02-cam-2', 'sch-02-cam-3', 'sch-02-cam-4']);
    expect((await liveViews('sch-02', 'sch-01')).cameras).toStrictEqual([]);
  });

  it('streams MPEG-TS to viewers and stops ffmpeg after the last one leaves', async () => {
    const token = await t.login('duty');
    const a = viewer('sch-01-cam-1', token);
    expect((await a.outcome).status).toBe(101);
    expect(a.ws.protocol).toBe('campus-camera.v1');
    await a.bytes(8 + 188 * 20);
    // jsmpeg header ("jsmp", width 320, height 240), then MPEG-TS packets (sync byte 0x47).
    expect(a.messages[0]).toStrictEqual(Buffer.from([0x6a, 0x73, 0x6d, 0x70, 0x01, 0x40, 0x00, 0xf0]));
    expect(a.messages[1]?.[0]).toBe(0x47);
    const b = viewer('sch-01-cam-1', await t.login('tech'));
    await b.bytes(8 + 188);
    expect(liveEncoders()).toBe(1);
    const listed = (await liveViews('duty', 'sch-01')).cameras.find((c) => c.deviceId === 'sch-01-cam-1');
    expect(listed).toMatchObject({ streaming: true, viewers: 2, busy: false });

    a.ws.close();
    b.ws.close();
    await Promise.all([a.closed, b.closed]);
    // idleSeconds: 1 after the last viewer, the stream and its ffmpeg are gone.
    await vi.waitFor(() => expect(liveEncoders()).toBe(0), { timeout: 10_000, interval: 100 });
    expect((await liveViews('duty', 'sch-01')).inUse).toBe(0);

    const opened = (await audit('camera.live-view')).filter((e) => e.target === 'sch-01-cam-1');
    expect(opened).toStrictEqual([
      { actor: 'duty', target: 'sch-01-cam-1', detail: { outcome: 'opened' } },
      { actor: 'tech', target: 'sch-01-cam-1', detail: { outcome: 'opened' } },
    ]);
    await vi.waitFor(async () => expect((await audit('camera.live-view.closed')).filter((e) => e.target === 'sch-01-cam-1').map((e) => e.actor).sort()).toStrictEqual(['duty', 'tech']));
  });

  it('refuses without a login (401), another school\'s camera and non-cameras alike (404), and a plain GET (426)', async () => {
    expect((await viewer('sch-01-cam-1', undefined).outcome).status).toBe(401);
    const school = await t.login('sch-02');
    const other = await viewer('sch-01-cam-1', school).outcome;
    const unknown = await viewer('no-such-camera', school).outcome;
    expect([other.status, other.body.code]).toStrictEqual([404, 'GW_ERR_UNKNOWN_DEVICE']);
    expect([unknown.status, unknown.body.code]).toStrictEqual([404, 'GW_ERR_UNKNOWN_DEVICE']);
    const button = await viewer('sch-01-btn-1', await t.login('duty')).outcome;
    expect([button.status, button.body.code]).toStrictEqual([404, 'GW_ERR_UNKNOWN_DEVICE']);
    const plain = await t.api('/api/cameras/sch-01-cam-2/live', { as: 'duty' });
    expect([plain.status, ((await plain.json()) as { code: string }).code]).toStrictEqual([426, 'GW_ERR_UPGRADE_REQUIRED']);
    expect(liveEncoders()).toBe(0);
  });

  it('closes a viewer whose session ends (4401) and records how long it watched', async () => {
    const token = await t.login('duty');
    const v = viewer('sch-01-cam-3', token);
    await v.bytes(8 + 188);
    const logout = await t.api('/api/auth/logout', { as: null, method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(logout.status).toBe(204);
    // The session check runs every 15 s.
    expect(await v.closed).toBe(4401);
    await vi.waitFor(() => expect(liveEncoders()).toBe(0), { timeout: 10_000, interval: 100 });
    const ends = (await audit('camera.live-view.closed')).filter((e) => e.target === 'sch-01-cam-3');
    expect(ends).toStrictEqual([{ actor: 'duty', target: 'sch-01-cam-3', detail: { seconds: expect.any(Number) } }]);
  }, 30_000);

  it('answers 503 beyond maxStreams and 502 for a camera that does not answer', async () => {
    const token = await t.login('duty');
    const one = viewer('sch-01-cam-1', token);
    const two = viewer('sch-01-cam-2', token);
    await Promise.all([one.bytes(8 + 188), two.bytes(8 + 188)]);
    expect((await liveViews('duty', 'sch-01')).cameras.map((c) => [c.deviceId, c.streaming, c.busy])).toStrictEqual([
      ['sch-01-cam-1', true, false],
      ['sch-01-cam-2', true, false],
      ['sch-01-cam-3', false, true],
      ['sch-01-cam-4', false, true],
    ]);
    const third = await viewer('sch-01-cam-3', token).outcome;
    expect([third.status, third.body.code]).toStrictEqual([503, 'GW_ERR_LIVE_VIEW_BUSY']);
    // Joining a camera that already streams is not a new stream.
    const joined = viewer('sch-01-cam-2', await t.login('admin'));
    expect((await joined.outcome).status).toBe(101);
    expect(liveEncoders()).toBe(2);
    expect((await audit('camera.live-view')).filter((e) => e.detail.outcome === 'busy')).toStrictEqual([
      { actor: 'duty', target: 'sch-01-cam-3', detail: { outcome: 'busy' } },
    ]);

    for (const v of [one, two, joined]) v.ws.close();
    await vi.waitFor(() => expect(liveEncoders()).toBe(0), { timeout: 10_000, interval: 100 });

    await fleet.setFault('sch-01-cam-4', 'offline');
    try {
      const offline = await viewer('sch-01-cam-4', token).outcome;
      expect(offline.status).toBe(502);
      expect(offline.body.code).toMatch(/^GW_ERR_CAMERA_(UNREACHABLE|TIMEOUT)$/);
    } finally {
      await fleet.restore('sch-01-cam-4');
    }
    expect((await liveViews('duty', 'sch-01')).inUse).toBe(0);
  });
});
