/**
 * The simulated camera seen by real clients over loopback: the `onvif` npm client, unmodified,
 * for the SOAP services and events; ffmpeg for RTSP and the snapshot URI.
 */
import { findFfmpeg } from '../../../../adapters/shared/ffmpeg-binary.js';
import { execFile } from 'node:child_process';
import onvif, { type Cam } from 'onvif';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CameraSimulator } from '../../../../simulators/camera-onvif/index.js';

const sim = new CameraSimulator({ id: 'cam-7', name: 'Gate camera', manufacturer: 'Hikvision', model: 'DS-2CD2143G2-I', firmware: 'V5.7.3', width: 320, height: 240, fps: 5 });

type Call = (cb: (err: Error | null, data?: unknown) => void) => void;
const call = (fn: Call) => new Promise<unknown>((resolve, reject) => fn((err, data) => (err ? reject(err) : resolve(data))));

function client(password = 'camera-sim', timeout = 5000): Cam {
  const o = sim.deviceOptions();
  return new onvif.Cam({ hostname: o.host, port: o.port, username: o.username, password, path: o.path, timeout, autoconnect: false });
}

/** Runs ffmpeg and returns its exit code and stderr. */
function ffmpeg(args: string[], timeoutMs = 20_000): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
  return new Promise((resolve) => {
    // Short stream analysis: ffmpeg's default waits 5 s before decoding.
    execFile(findFfmpeg()?.path ?? 'ffmpeg', ['-hide_banner', '-nostdin', '-analyzeduration', '500000', '-fpsprobesize', '0', ...args], { timeout: timeoutMs, encoding: 'buffer', maxBuffer: 1 << 22 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      resolve({ code, stdout, stderr: stderr.toString() });
    });
  });
}

function withCreds(url: string, password = 'camera-sim'): string {
  const u = new URL(url);
  u.username = 'admin';
  u.password = password;
  return u.toString();
}

beforeAll(() => sim.start());
afterAll(() => sim.stop());

describe('CameraSimulator with the onvif client', () => {
  it('connects like a real device and advertises its real ports', async () => {
    const cam = client();
    await call((cb) => cam.connect(cb));
    expect(await call((cb) => cam.getDeviceInformation(cb))).toStrictEqual({
      manufacturer: 'Hikvision', model: 'DS-2CD2143G2-I', firmwareVersion: 'V5.7.3', serialNumber: 'SIM-cam-7', hardwareId: 'sim-1',
    });
    expect([cam.uri?.media?.port, cam.uri?.events?.port, cam.uri?.media?.pathname]).toStrictEqual([String(sim.httpPort), String(sim.httpPort), '/onvif/media_service']);
    expect(cam.activeSource).toMatchObject({ profileToken: 'Profile_1', encoding: 'H264', width: 320, height: 240, fps: 5 });
    expect(await call((cb) => cam.getStreamUri({ protocol: 'RTSP' }, cb))).toMatchObject({ uri: `rtsp://127.0.0.1:${sim.rtspPort}/stream1` });
    expect(await call((cb) => cam.getSnapshotUri({}, cb))).toMatchObject({ uri: `http://127.0.0.1:${sim.httpPort}/snapshot.jpg` });
  });

  it('refuses a changed password with a NotAuthorized fault, but still tells the time', async () => {
    await sim.setFault('wrong-password');
    try {
      const cam = client();
      expect(await call((cb) => cam.getSystemDateAndTime(cb))).toBeInstanceOf(Date);
      await expect(call((cb) => cam.getDeviceInformation(cb))).rejects.toThrow(/Sender not Authorized/);
    } finally {
      await sim.restore('wrong-password');
    }
    // The client dates its UsernameToken in device time, so it must read the time first.
    const cam = client();
    await call((cb) => cam.getSystemDateAndTime(cb));
    await expect(call((cb) => cam.getDeviceInformation(cb))).resolves.toMatchObject({ model: 'DS-2CD2143G2-I' });
    const guess = client('guess');
    await call((cb) => guess.getSystemDateAndTime(cb));
    await expect(call((cb) => guess.getDeviceInformation(cb))).rejects.toThrow(/Sender not Authorized/);
    // Without the device time the token is dated 1970 and refused as stale.
    await expect(call((cb) => client().getDeviceInformation(cb))).rejects.toThrow(/Sender not Authorized/);
  });

  it('runs its clock with the injected skew', async () => {
    await sim.setFault({ kind: 'clock-skew', seconds: -600 });
    const skewed = (await call((cb) => client().getSystemDateAndTime(cb))) as Date;
    await sim.restore('clock-skew');
    expect(Math.round((skewed.getTime() - Date.now()) / 1000)).toBeGreaterThanOrEqual(-602);
    expect(Math.round((skewed.getTime() - Date.now()) / 1000)).toBeLessThanOrEqual(-598);
  });

  it('stops answering while offline and answers again after restore', async () => {
    await sim.setFault('offline');
    await expect(call((cb) => client('camera-sim', 300).getSystemDateAndTime(cb))).rejects.toThrow(/Network timeout/);
    await sim.restore('offline');
    await expect(call((cb) => client().getSystemDateAndTime(cb))).resolves.toBeInstanceOf(Date);
  });

  it('delivers tamper and video-loss through a pull-point subscription', async () => {
    const cam = client();
    await call((cb) => cam.getSystemDateAndTime(cb));
    await call((cb) => cam.getServices(true, cb));
    await call((cb) => cam.createPullPointSubscription(cb));
    const initial = (await call((cb) => cam.pullMessages({}, cb))) as { notificationMessage: { topic: { _: string } }[] };
    expect(initial.notificationMessage.map((m) => m.topic._)).toStrictEqual(['tns1:VideoSource/SignalLoss', 'tns1:RuleEngine/TamperDetector/Tamper']);
    const next = call((cb) => cam.pullMessages({}, cb));
    await sim.setFault('tamper');
    const changed = (await next) as { notificationMessage: { topic: { _: string }; message: { message: { $: Record<string, unknown>; data: unknown } } } };
    expect(changed.notificationMessage.topic._).toBe('tns1:RuleEngine/TamperDetector/Tamper');
    expect(changed.notificationMessage.message.message.$['PropertyOperation']).toBe('Changed');
    expect(changed.notificationMessage.message.message.data).toStrictEqual({ simpleItem: { $: { Name: 'IsTamper', Value: true } } });
    await sim.restore();
    await call((cb) => cam.unsubscribe(cb));
  });
});

describe('CameraSimulator video', () => {
  it('streams H.264 over RTSP to clients with the credentials only', async () => {
    const ok = await ffmpeg(['-rtsp_transport', 'tcp', '-i', withCreds(sim.urls().stream), '-frames:v', '3', '-f', 'null', '-']);
    expect(ok.code).toBe(0);
    expect(ok.stderr).toMatch(/Video: h264.*320x240/);
    const refused = await ffmpeg(['-loglevel', 'error', '-rtsp_transport', 'tcp', '-i', withCreds(sim.urls().stream, 'nope'), '-frames:v', '1', '-f', 'null', '-']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/401 Unauthorized/);
  });

  it('serves a JPEG snapshot behind Digest authentication', async () => {
    const anonymous = await fetch(sim.urls().snapshot);
    expect([anonymous.status, anonymous.headers.get('www-authenticate')?.startsWith('Digest ')]).toStrictEqual([401, true]);
    const gray = await ffmpeg(['-loglevel', 'error', '-i', withCreds(sim.urls().snapshot), '-vf', 'scale=32:24,format=gray', '-f', 'rawvideo', 'pipe:1']);
    expect([gray.code, gray.stdout.length]).toStrictEqual([0, 32 * 24]);
  });

  it('shows a black picture on command, on the stream and the snapshot', async () => {
    await sim.setFault('black');
    try {
      const frame = await ffmpeg(['-loglevel', 'error', '-rtsp_transport', 'tcp', '-i', withCreds(sim.urls().stream), '-frames:v', '1', '-vf', 'scale=32:24,format=gray', '-f', 'rawvideo', 'pipe:1']);
      const snap = await ffmpeg(['-loglevel', 'error', '-i', withCreds(sim.urls().snapshot), '-vf', 'scale=32:24,format=gray', '-f', 'rawvideo', 'pipe:1']);
      const mean = (b: Buffer) => b.reduce((s, v) => s + v, 0) / b.length;
      expect([frame.stdout.length, snap.stdout.length]).toStrictEqual([768, 768]);
      expect(mean(frame.stdout)).toBeLessThan(20);
      expect(mean(snap.stdout)).toBeLessThan(20);
    } finally {
      await sim.restore();
    }
  });
});
