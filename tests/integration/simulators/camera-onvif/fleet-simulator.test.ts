/** Many cameras in one process: one HTTP port, one RTSP port, shared encoders, faults per camera. */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import onvif from 'onvif';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CameraFleetSimulator } from '../../../../simulators/camera-onvif/index.js';

const fleet = new CameraFleetSimulator({ cameras: 3, width: 320, height: 240, fps: 5 });

type Call = (cb: (err: Error | null, data?: unknown) => void) => void;
const call = (fn: Call) => new Promise<unknown>((resolve, reject) => fn((err, data) => (err ? reject(err) : resolve(data))));

async function deviceTime(id: string, timeout = 3000): Promise<Date> {
  const o = fleet.deviceOptions(id);
  const cam = new onvif.Cam({ hostname: o.host, port: o.port, username: o.username, password: o.password, path: o.path, timeout, autoconnect: false });
  return (await call((cb) => cam.getSystemDateAndTime(cb))) as Date;
}

beforeAll(() => fleet.start());
afterAll(() => fleet.stop());

describe('CameraFleetSimulator', () => {
  it('lists gateway devices that share one port, each under its own path', () => {
    const devices = fleet.devices('site-9');
    expect(devices.map((d) => [d.id, d.kind, d.adapter, d.options['port'], d.options['path']])).toStrictEqual([
      ['cam-001', 'camera', 'camera-onvif', fleet.httpPort, '/cameras/cam-001/onvif/device_service'],
      ['cam-002', 'camera', 'camera-onvif', fleet.httpPort, '/cameras/cam-002/onvif/device_service'],
      ['cam-003', 'camera', 'camera-onvif', fleet.httpPort, '/cameras/cam-003/onvif/device_service'],
    ]);
    expect(fleet.urls('cam-002').stream).toBe(`rtsp://127.0.0.1:${fleet.rtspPort}/cameras/cam-002/stream1`);
  });

  it('keeps the faults of one camera to itself', async () => {
    await fleet.setFault('cam-002', 'offline');
    await fleet.setFault('cam-003', { kind: 'clock-skew', seconds: 90 });
    await expect(deviceTime('cam-002', 300)).rejects.toThrow(/Network timeout/);
    const [t1, t3] = await Promise.all([deviceTime('cam-001'), deviceTime('cam-003')]);
    expect(Math.round((t3.getTime() - t1.getTime()) / 1000)).toBeGreaterThanOrEqual(89);
    expect(fleet.state('cam-001')).toStrictEqual({ offline: false, wrongPassword: false, picture: 'live', clockSkewSeconds: 0, streamDown: false, tamper: false, videoLoss: false });
    await fleet.restore('cam-002');
    await fleet.restore('cam-003', 'clock-skew');
    await expect(deviceTime('cam-002')).resolves.toBeInstanceOf(Date);
  });

  it('combines faults and restores one at a time', async () => {
    await fleet.setFault('cam-001', 'frozen');
    await fleet.setFault('cam-001', 'stream-down');
    await fleet.setFault('cam-001', 'moved');
    expect(fleet.state('cam-001')).toMatchObject({ picture: 'moved', streamDown: true });
    await fleet.restore('cam-001', 'stream-down');
    expect(fleet.state('cam-001')).toMatchObject({ picture: 'moved', streamDown: false });
    await fleet.restore('cam-001', 'frozen'); // not the current picture: nothing changes
    expect(fleet.state('cam-001').picture).toBe('moved');
    await fleet.restore('cam-001');
    expect(fleet.state('cam-001').picture).toBe('live');
  });

  it('refuses unknown cameras', async () => {
    await expect(fleet.setFault('cam-999', 'black')).rejects.toThrow(/GW_ERR_SIM_UNKNOWN_CAMERA/);
    expect((await fetch(`http://127.0.0.1:${fleet.httpPort}/cameras/cam-999/snapshot.jpg`)).status).toBe(404);
  });
});

describe('camera simulator CLI', () => {
  it('explains itself with --help', async () => {
    const cli = fileURLToPath(new URL('../../../../simulators/camera-onvif/cli.ts', import.meta.url));
    const tsx = fileURLToPath(new URL('../../../../node_modules/.bin/tsx', import.meta.url));
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(tsx, [cli, '--help'], { timeout: 20_000 }, (err, out) => (err ? reject(err) : resolve(out))),
    );
    expect(stdout).toMatch(/^Simulated ONVIF cameras/);
    expect(stdout).toContain('fault <camera> <kind> [seconds]  kinds: offline, wrong-password, black, frozen, moved, clock-skew, stream-down, tamper, video-loss');
  });
});
