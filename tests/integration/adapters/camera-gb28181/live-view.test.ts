/**
 * Live view end to end: INVITE to a simulated NVR, real PS over RTP (ffmpeg), into the adapter's
 * ffmpeg, MPEG-1 in MPEG-TS on a viewer's WebSocket after the jsmpeg header; BYE once the last
 * viewer has left; the stream limit and a refused INVITE.
 */
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { isGatewayError } from '../../../../gateway/contract/errors.js';
import { startGbHarness, type GbHarness } from './harness.js';

/** A viewer: a WebSocket pair on loopback, the server end handed to the live view. */
async function viewer(h: GbHarness, deviceId: string): Promise<{ client: WebSocket; chunks: Buffer[]; close(): Promise<void> }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((r) => wss.once('listening', r));
  wss.once('connection', (socket) => h.adapter.liveView()?.attach(deviceId, socket));
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`);
  const chunks: Buffer[] = [];
  client.on('message', (d: Buffer) => chunks.push(Buffer.from(d)));
  await new Promise((r) => client.once('open', r));
  return {
    client,
    chunks,
    async close() {
      client.close();
      await new Promise((r) => client.once('close', r));
      for (const c of wss.clients) c.terminate();
      await new Promise((r) => wss.close(r));
    },
  };
}

/** MPEG-TS packets (sync 0x47 every 188 bytes) carrying an MPEG-1 video sequence header (00 00 01 B3). */
function mpeg1InTs(data: Buffer): boolean {
  if (data.length < 188 * 4) return false;
  for (let i = 0; i + 188 <= Math.min(data.length, 188 * 16); i += 188) if (data[i] !== 0x47) return false;
  return data.includes(Buffer.from([0, 0, 1, 0xb3]));
}

describe.each(['udp', 'tcp'] as const)('camera-gb28181 live view, media over %s', (media) => {
  let h: GbHarness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('INVITEs the channel, gives viewers MPEG-1 made from its PS over RTP, and sends BYE after the last viewer left', async () => {
    // Two ffmpeg start (the NVR's encoder, the adapter's decoder): on a loaded machine that takes a while.
    h = await startGbHarness({ media: { transport: media, startTimeoutMs: 30_000 }, liveView: { maxStreams: 1, idleSeconds: 0.3, width: 320, height: 240 } });
    const nvr = h.nvr();
    expect(await nvr.start()).toBe(200);
    await h.ctx.waitForCondition('sch-06-cam-2', 'gb-channel-off', false);
    const live = h.adapter.liveView();
    if (!live) throw new Error('no live view (ffmpeg missing?)');
    expect(await live.open('sch-06-cam-1')).toStrictEqual({ deviceId: 'sch-06-cam-1', width: 320, height: 240 });
    expect([live.openStreams(), nvr.streaming()]).toStrictEqual([['sch-06-cam-1'], 1]);
    // The limit counts the running stream: another channel is refused.
    const busy = await live.open('sch-06-cam-2').catch((e: unknown) => e);
    expect(isGatewayError(busy, 'GW_ERR_LIVE_VIEW_BUSY')).toBe(true);
    const v = await viewer(h, 'sch-06-cam-1');
    await expect.poll(() => mpeg1InTs(Buffer.concat(v.chunks.slice(1))), { timeout: 20_000, interval: 100 }).toBe(true);
    expect(v.chunks[0]).toStrictEqual(Buffer.from([0x6a, 0x73, 0x6d, 0x70, 0x01, 0x40, 0x00, 0xf0])); // "jsmp", 320, 240
    expect(live.received('sch-06-cam-1')?.packets).toBeGreaterThan(10);
    expect(live.viewers('sch-06-cam-1')).toBe(1);
    await v.close();
    // The idle time after the last viewer: BYE, the NVR stops sending.
    await expect.poll(() => [live.openStreams().length, nvr.streaming()], { timeout: 10_000 }).toStrictEqual([0, 0]);
  }, 60_000);
});

describe('camera-gb28181 live view refusals', () => {
  it('passes on a refused INVITE as the device\'s coded error and frees the slot', async () => {
    const h = await startGbHarness({ liveView: { maxStreams: 1, idleSeconds: 0.3 } });
    try {
      const nvr = h.nvr();
      expect(await nvr.start()).toBe(200);
      await h.ctx.waitForCondition('sch-06-cam-2', 'gb-channel-off', false);
      nvr.setFault('refuse-invite', true);
      const live = h.adapter.liveView();
      const err = await live?.open('sch-06-cam-1').catch((e: unknown) => e);
      expect(isGatewayError(err, 'GW_ERR_GB_REFUSED') && [err.statusCode, err.message]).toStrictEqual([502, 'GB/T 28181 device refused the request: INVITE 34020000001310006001: 486 Busy Here']);
      expect(live?.openStreams()).toStrictEqual([]);
      const unknown = await live?.open('sch-99-cam-1').catch((e: unknown) => e);
      expect(isGatewayError(unknown, 'GW_ERR_UNKNOWN_DEVICE')).toBe(true);
    } finally {
      await h.close();
    }
  });
});
