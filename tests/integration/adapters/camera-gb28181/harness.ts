/**
 * A camera-gb28181 adapter on an ephemeral loopback port with a recording context, a school with
 * a configured NVR and cameras, and simulated NVRs to register to it. Everything a test starts
 * is stopped by close().
 */
import { findFfmpeg } from '../../../../adapters/shared/ffmpeg-binary.js';
import { CameraGb28181Adapter } from '../../../../adapters/camera-gb28181/adapter.js';
import { gb28181Config } from '../../../../adapters/camera-gb28181/config.js';
import type { Device, Site } from '../../../../gateway/contract/types.js';
import { GbNvrSimulator, type GbNvrOptions } from '../../../../simulators/camera-gb28181/nvr-simulator.js';
import { fakeContext, type FakeContext } from '../../../helpers/fake-context.js';

export const PLATFORM_ID = '34020000002000000001';
export const NVR_ID = '34020000001180006000';
export const camId = (n: number) => `3402000000131000600${n}`;

export const SCHOOL: Site = { id: 'sch-06', name: '望江小学', district: 'chengdong', timeZone: 'Asia/Shanghai', protectionWindows: [], holidays: [], contacts: [] };

export const DEVICES: Device[] = [
  { id: 'sch-06-nvr-1', siteId: 'sch-06', kind: 'nvr', adapter: 'camera-gb28181', name: 'NVR', options: { gbId: NVR_ID } },
  { id: 'sch-06-cam-1', siteId: 'sch-06', kind: 'camera', adapter: 'camera-gb28181', name: '摄像机 校门', options: { gbId: camId(1) } },
  { id: 'sch-06-cam-2', siteId: 'sch-06', kind: 'camera', adapter: 'camera-gb28181', name: '摄像机 操场', options: { gbId: camId(2) } },
];

export interface GbHarness {
  adapter: CameraGb28181Adapter;
  ctx: FakeContext;
  nvr(opts?: Partial<GbNvrOptions>): GbNvrSimulator;
  close(): Promise<void>;
}

export async function startGbHarness(config: Record<string, unknown> = {}): Promise<GbHarness> {
  const ctx = fakeContext({ sites: [SCHOOL], devices: DEVICES, adapter: 'camera-gb28181' });
  const adapter = new CameraGb28181Adapter(
    gb28181Config(
      Object.fromEntries(
        Object.entries({
      host: '127.0.0.1',
      port: 0,
      password: 'school-pass',
      keepalive: { intervalSeconds: 0.2, misses: 3 },
      registerExpires: { min: 1 },
      prefixes: { '34020000001310006': 'sch-06' },
      requestTimeoutMs: 2000,
      ...config,
        }).filter(([, v]) => v !== undefined),
      ),
    ),
    ctx,
  );
  await adapter.start();
  const sims: GbNvrSimulator[] = [];
  return {
    adapter,
    ctx,
    nvr(opts = {}) {
      const sim = new GbNvrSimulator({
        id: NVR_ID,
        channels: [1, 2, 3].map((n) => ({ id: camId(n), name: `通道 ${n}` })),
        server: { host: '127.0.0.1', port: adapter.port, id: PLATFORM_ID },
        password: 'school-pass',
        keepaliveMs: 100,
        ffmpegPath: findFfmpeg()?.path ?? 'ffmpeg',
        ...opts,
      });
      sims.push(sim);
      return sim;
    },
    async close() {
      await Promise.all(sims.map((s) => s.stop()));
      await adapter.stop();
    },
  };
}
