/**
 * Registration, keepalive supervision, catalog, catalog changes, alarms and sweep checks of the
 * camera-gb28181 adapter, over real UDP and TCP sockets against simulated NVRs.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { camId, NVR_ID, startGbHarness, type GbHarness } from './harness.js';

describe.each(['udp', 'tcp'] as const)('camera-gb28181 over %s', (transport) => {
  let h: GbHarness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('registers an NVR with digest; its channels become cameras of the school (configured by gbId, the rest by prefix)', async () => {
    h = await startGbHarness();
    const nvr = h.nvr({ transport });
    expect(await nvr.start()).toBe(200);
    expect([...h.adapter.registrations().keys()]).toStrictEqual([NVR_ID]);
    expect(h.adapter.registrations().get(NVR_ID)?.peer.transport).toBe(transport);
    await h.ctx.waitForCondition('sch-06-gb-34020000001310006003', 'gb-channel-off', false);
    const cams = h.ctx.devices.list({ siteId: 'sch-06', kind: 'camera' }).map((d) => [d.id, d.options.gbId, d.name]);
    expect(cams).toStrictEqual([
      ['sch-06-cam-1', camId(1), '摄像机 校门'],
      ['sch-06-cam-2', camId(2), '摄像机 操场'],
      ['sch-06-gb-34020000001310006003', camId(3), '通道 3'],
    ]);
    expect(h.ctx.activeConditions('sch-06-nvr-1')).toStrictEqual([]);
    expect(h.ctx.rejects).toStrictEqual([]);
  });

  it('refuses a wrong password with 403 and counts it, as it refuses an id it does not know', async () => {
    // Per-device passwords only: an id without one is not accepted.
    h = await startGbHarness({ password: undefined, passwords: { [NVR_ID]: 'school-pass' } });
    const wrong = h.nvr({ transport });
    wrong.setFault('wrong-password', true);
    expect(await wrong.start()).toBe(403);
    const stranger = h.nvr({ transport, id: '34020000001180009999' });
    expect(await stranger.start()).toBe(403);
    expect(h.adapter.registrations().size).toBe(0);
    expect(h.ctx.rejects.map((r) => [r.reason, r.deviceId])).toStrictEqual([
      ['gb-auth-failed', 'sch-06-nvr-1'],
      ['gb-auth-failed', undefined],
    ]);
    expect(h.ctx.activeConditions('sch-06-nvr-1')).toStrictEqual(['auth-failed']);
    // The right password afterwards registers, and clears the reason.
    wrong.setFault('wrong-password', false);
    expect(await wrong.register()).toBe(200);
    await h.ctx.waitForCondition('sch-06-nvr-1', 'auth-failed', false);
  });

  it('keeps a refreshed registration; an expired one and an unregistered one make the NVR and its cameras offline', async () => {
    h = await startGbHarness();
    const nvr = h.nvr({ transport, expiresSeconds: 1 });
    expect(await nvr.start()).toBe(200);
    const first = h.adapter.registrations().get(NVR_ID)?.expiresAt ?? 0;
    // The simulator refreshes at 80 % of Expires: the binding moves on, the devices stay up.
    await expect.poll(() => (h?.adapter.registrations().get(NVR_ID)?.expiresAt ?? 0) > first, { timeout: 5000 }).toBe(true);
    expect(h.ctx.activeConditions('sch-06-cam-1')).toStrictEqual([]);
    expect(await nvr.register(0)).toBe(200);
    const gone = await h.ctx.waitForCondition('sch-06-cam-1', 'offline', true);
    expect(gone.detail).toBe('unregistered (Expires: 0)');
    expect(h.ctx.activeConditions('sch-06-nvr-1')).toStrictEqual(['offline']);
    expect(h.adapter.registrations().size).toBe(0);
    // Registered again, then left to expire without refresh (the simulator stopped).
    expect(await nvr.register(1)).toBe(200);
    await h.ctx.waitForCondition('sch-06-nvr-1', 'offline', false, { from: h.ctx.conditions.length - 10 });
    await nvr.stop();
    const expired = await h.ctx.waitForCondition('sch-06-nvr-1', 'offline', true, { from: h.ctx.conditions.indexOf(gone) + 1 });
    expect(expired.detail).toBe('registration expired (no refresh before Expires)');
  });

  it('refuses an Expires shorter than the minimum with 423 and Min-Expires', async () => {
    h = await startGbHarness({ registerExpires: { min: 60 } });
    const nvr = h.nvr({ transport, expiresSeconds: 30 });
    expect(await nvr.start()).toBe(423);
    expect(h.adapter.registrations().size).toBe(0);
  });

  it('after the configured misses of keepalive the NVR and its cameras are offline (gb-keepalive-lost); keepalives back clear it', async () => {
    h = await startGbHarness({ keepalive: { intervalSeconds: 0.1, misses: 3 } });
    const nvr = h.nvr({ transport, keepaliveMs: 100 });
    expect(await nvr.start()).toBe(200);
    await h.ctx.waitForCondition('sch-06-cam-2', 'gb-channel-off', false);
    const before = Date.now();
    nvr.setFault('silent', true);
    const lost = await h.ctx.waitForCondition('sch-06-cam-1', 'gb-keepalive-lost', true);
    // Not before 3 × 100 ms without a keepalive.
    expect(Date.now() - before).toBeGreaterThanOrEqual(250);
    expect(lost.detail).toMatch(/^no keepalive for \d+ s \(3 × 0.1 s\)$/);
    for (const id of ['sch-06-nvr-1', 'sch-06-cam-1', 'sch-06-cam-2', 'sch-06-gb-34020000001310006003']) expect(h.ctx.activeConditions(id)).toStrictEqual(['gb-keepalive-lost']);
    expect((await h.adapter.check(h.ctx.devices.get('sch-06-cam-1') as never, AbortSignal.timeout(5000))).status).toBe('offline');
    nvr.setFault('silent', false);
    await h.ctx.waitForCondition('sch-06-cam-1', 'gb-keepalive-lost', false, { from: h.ctx.conditions.indexOf(lost) });
    expect(h.ctx.activeConditions('sch-06-nvr-1')).toStrictEqual([]);
  });

  it('follows catalog changes (NOTIFY after SUBSCRIBE): a channel switched off is gb-channel-off, on again clears it', async () => {
    h = await startGbHarness();
    const nvr = h.nvr({ transport });
    expect(await nvr.start()).toBe(200);
    await h.ctx.waitForCondition('sch-06-cam-2', 'gb-channel-off', false);
    // The SUBSCRIBE follows the registration: wait for the simulator to have it.
    await expect.poll(() => (nvr as unknown as { subscription?: unknown }).subscription !== undefined, { timeout: 5000 }).toBe(true);
    await nvr.setChannel(camId(2), false);
    const off = await h.ctx.waitForCondition('sch-06-cam-2', 'gb-channel-off', true);
    expect(off.detail).toBe(`${NVR_ID} lists the channel OFF`);
    expect(h.ctx.activeConditions('sch-06-cam-1')).toStrictEqual([]);
    await nvr.setChannel(camId(2), true);
    await h.ctx.waitForCondition('sch-06-cam-2', 'gb-channel-off', false, { from: h.ctx.conditions.indexOf(off) });
    // A catalog asked on demand lists the same three channels.
    expect((await h.adapter.queryCatalog('sch-06-nvr-1')).map((i) => [i.deviceId, i.status])).toStrictEqual([
      [camId(1), 'ON'],
      [camId(2), 'ON'],
      [camId(3), 'ON'],
    ]);
  });

  it('turns alarm notifications into events: tamper, video loss, intrusion, a fault', async () => {
    h = await startGbHarness();
    const nvr = h.nvr({ transport });
    expect(await nvr.start()).toBe(200);
    await h.ctx.waitForCondition('sch-06-cam-1', 'gb-channel-off', false);
    expect(await nvr.alarm(camId(1), { method: 2, type: 2, description: '防拆报警' })).toBe(200);
    expect(await nvr.alarm(camId(2), { method: 2, type: 1, description: '视频丢失' })).toBe(200);
    expect(await nvr.alarm(camId(1), { method: 5, type: 6, description: '区域入侵' })).toBe(200);
    expect(await nvr.alarm(NVR_ID, { method: 2, type: 3, description: '硬盘满' })).toBe(200);
    await h.ctx.waitForEvent((e) => e.type === 'fault');
    expect(h.ctx.events.map((e) => [e.deviceId, e.type, e.data])).toStrictEqual([
      ['sch-06-cam-1', 'tamper', { detail: '防拆报警', priority: 1, method: 2, alarmType: 2, gbId: camId(1) }],
      ['sch-06-cam-2', 'video-loss', { priority: 1, method: 2, alarmType: 1, detail: '视频丢失', active: true, gbId: camId(2) }],
      ['sch-06-cam-1', 'intrusion', { detail: '区域入侵', priority: 1, method: 5, alarmType: 6, gbId: camId(1) }],
      ['sch-06-nvr-1', 'fault', { priority: 1, method: 2, alarmType: 3, detail: '硬盘满', code: 'disk-full', gbId: NVR_ID }],
    ]);
    // Alarm times are the device's local time (Asia/Shanghai): within seconds of now.
    for (const e of h.ctx.events) expect(Math.abs((e.at ?? 0) - Date.now())).toBeLessThan(5000);
  });

  it('checks a camera in a sweep with DeviceInfo and DeviceStatus; a skewed device clock is clock-drift, a channel off is offline', async () => {
    h = await startGbHarness();
    const nvr = h.nvr({ transport });
    expect(await nvr.start()).toBe(200);
    await h.ctx.waitForCondition('sch-06-cam-2', 'gb-channel-off', false);
    const cam1 = h.ctx.devices.get('sch-06-cam-1');
    if (!cam1) throw new Error('no sch-06-cam-1');
    const ok = await h.adapter.check(cam1, AbortSignal.timeout(5000));
    expect({ ...ok, evidence: { ...ok.evidence, keepaliveAgeSeconds: 0, clockOffsetSeconds: 0 } }).toStrictEqual({
      status: 'ok',
      reasons: [],
      evidence: { registered: true, transport, keepaliveAgeSeconds: 0, manufacturer: 'Simulated', model: 'SIM-NVR-16', firmware: 'V4.2.1', channels: 3, online: 'ONLINE', status: 'OK', record: 'OFF', encode: 'ON', clockOffsetSeconds: 0 },
    });
    expect(Math.abs(Number(ok.evidence.clockOffsetSeconds))).toBeLessThan(3);
    nvr.setFault('clock-skew', true, 120);
    const skewed = await h.adapter.check(cam1, AbortSignal.timeout(5000));
    expect([skewed.status, skewed.reasons.map((r) => r.code)]).toStrictEqual(['degraded', ['clock-drift']]);
    expect(h.ctx.activeConditions('sch-06-cam-1')).toStrictEqual(['clock-drift']);
    await nvr.setChannel(camId(2), false);
    const cam2 = await h.adapter.check(h.ctx.devices.get('sch-06-cam-2') as never, AbortSignal.timeout(5000));
    // The NVR's own check asks for its catalog again too.
    const nvrCheck = await h.adapter.check(h.ctx.devices.get('sch-06-nvr-1') as never, AbortSignal.timeout(5000));
    expect([nvrCheck.evidence.catalogItems, nvrCheck.evidence.channels]).toStrictEqual([3, 3]);
    expect([cam2.status, cam2.reasons.map((r) => r.code), cam2.reasons[0]?.detail]).toStrictEqual(['offline', ['gb-channel-off', 'clock-drift'], 'DeviceStatus Online OFFLINE']);
    // The simulated clock is 120 s ahead; DeviceTime has whole seconds.
    expect(cam2.reasons[1]?.detail).toMatch(/^device clock off by 1(19|20) s$/);
  });
});

describe('camera-gb28181 refusing a device of a mapped prefix', () => {
  it('adds no device for an id that fails authentication, though its prefix names a school', async () => {
    const h = await startGbHarness();
    try {
      const ipc = h.nvr({ id: '34020000001310006009', channels: [] });
      ipc.setFault('wrong-password', true);
      expect(await ipc.start()).toBe(403);
      expect([h.ctx.devices.get('sch-06-gb-34020000001310006009'), h.ctx.rejects.map((r) => [r.reason, r.deviceId])]).toStrictEqual([undefined, [['gb-auth-failed', undefined]]]);
    } finally {
      await h.close();
    }
  });
});

describe('camera-gb28181 without a registration', () => {
  it('reports a configured NVR that never registered as offline in a check', async () => {
    const h = await startGbHarness();
    try {
      const result = await h.adapter.check(h.ctx.devices.get('sch-06-nvr-1') as never, AbortSignal.timeout(2000));
      expect(result).toStrictEqual({ status: 'offline', reasons: [{ code: 'offline', detail: `${NVR_ID} is not registered` }], evidence: { registered: false } });
    } finally {
      await h.close();
    }
  });
});
