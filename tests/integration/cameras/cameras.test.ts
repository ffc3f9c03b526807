/**
 * Cameras through the whole gateway: the district's ONVIF cameras behind the NVR endpoint,
 * served by the camera fleet simulator (real RTSP, real ffmpeg), checked in the background;
 * faults show as their reasons on /api/devices, healthy cameras stay ok, recovery clears.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Health } from '../../../gateway/contract/types.js';
import { CameraFleetSimulator } from '../../../simulators/camera-onvif/fleet.js';
import { eventually, startGateway, type TestGateway } from '../../helpers/gateway.js';

const CAMS = ['sch-01-cam-1', 'sch-01-cam-2', 'sch-01-cam-3', 'sch-01-cam-4'];

describe('cameras in the district', () => {
  let fleet: CameraFleetSimulator;
  let t: TestGateway;
  beforeAll(async () => {
    fleet = new CameraFleetSimulator({ cameras: CAMS.map((id) => ({ id })), username: 'admin', password: 'demo-pass-camera', width: 320, height: 240, fps: 5 });
    await fleet.start();
    await fleet.setFault('sch-01-cam-3', 'black');
    await fleet.setFault('sch-01-cam-4', 'offline');
    t = await startGateway({
      adapters: { 'camera-onvif': { endpoints: { 'district-nvr': { host: '127.0.0.1', port: fleet.httpPort } }, checkIntervalSeconds: 2, concurrency: 4, checkTimeoutMs: 15_000 } },
    });
  }, 60_000);
  afterAll(async () => {
    await t.close();
    await fleet.stop();
  });

  const view = async (): Promise<Record<string, string[]>> => {
    const res = await t.api(`/api/devices?site=sch-01&kind=camera`);
    const list = (await res.json()) as { id: string; health: Health }[];
    return Object.fromEntries(list.map((d) => [d.id, d.health.status === 'ok' ? ['ok'] : d.health.reasons.map((r) => r.code)]));
  };

  it('reports a covered lens and an offline camera with their reasons, and the others ok', async () => {
    const seen = await eventually(async () => {
      const v = await view();
      return Object.values(v).every((r) => r.length > 0 && r[0] !== 'unknown') && v['sch-01-cam-1']?.[0] === 'ok' && v['sch-01-cam-3']?.[0] !== 'ok' && v['sch-01-cam-4']?.[0] !== 'ok' ? v : undefined;
    }, { timeoutMs: 45_000, everyMs: 250 });
    expect(seen).toStrictEqual({
      'sch-01-cam-1': ['ok'],
      'sch-01-cam-2': ['ok'],
      'sch-01-cam-3': ['image-black'],
      'sch-01-cam-4': ['unreachable'],
    });
  });

  it('clears the reason when the lens is uncovered', async () => {
    await fleet.restore('sch-01-cam-3');
    await eventually(async () => ((await view())['sch-01-cam-3']?.[0] === 'ok' ? true : undefined), { timeoutMs: 45_000, everyMs: 250 });
  });
});
