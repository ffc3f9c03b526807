/**
 * Requests needing the singleton duties on the node without them (issue 17, cluster mode): two
 * gateway nodes in this process on a real PostgreSQL and a real Redis, one far-end set (110
 * centre, SMS centre, barrier PLC, one ONVIF camera). Each action is sent to the node that does
 * not hold the lease, from another loopback address (127.0.0.2) than the nodes use to talk to
 * each other (127.0.0.1), so the audit shows whose address it kept. Then a holder that does not
 * answer or cannot be reached: 503 GW_ERR_HOLDER_UNAVAILABLE with Retry-After, counted.
 */
import { request } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { SINGLETON_LEASE } from '../../../gateway/cluster/duties.js';
import { Lease, leaseTimings } from '../../../gateway/cluster/lease.js';
import { NodeRegistry } from '../../../gateway/cluster/node-registry.js';
import { migrate } from '../../../gateway/store/pg/migrate.js';
import { startEphemeralFarEnds, type EphemeralFarEnds } from '../../../simulators/ephemeral-far-ends.js';
import { connectAs, eventually, startGateway, type TestGateway } from '../../helpers/gateway.js';
import { startTestPostgres, type TestPostgres } from '../../helpers/postgres.js';
import { startTestRedis, type TestRedis } from '../../helpers/redis.js';

/** The operator's machine: another loopback address than the nodes'. */
const CLIENT = '127.0.0.2';
const CAMERA = 'sch-01-cam-1';
const BARRIER = 'sch-01-bar-1';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown>;
}

/** One HTTP request from CLIENT, as `token`'s operator. */
function call(baseUrl: string, path: string, opts: { method?: string; token?: string; body?: unknown } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const data = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const req = request(
      new URL(path, baseUrl),
      {
        method: opts.method ?? 'GET',
        localAddress: CLIENT,
        headers: { ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}), ...(data ? { 'content-type': 'application/json' } : {}) },
        timeout: 60_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${path}: no answer in 60 s`)));
    req.on('error', reject);
    req.end(data);
  });
}

async function auditOf(node: TestGateway, action: string, target: string): Promise<{ actor: string; ip?: string; detail: Record<string, unknown> }[]> {
  const res = await node.api(`/api/audit?action=${action}&limit=1000`, { as: 'admin' });
  expect(res.status).toBe(200);
  return ((await res.json()) as { actor: string; target: string; ip?: string; detail: Record<string, unknown> }[]).filter((e) => e.target === target);
}

describe('cluster: actions on the node without the singleton duties', () => {
  let server: TestPostgres;
  let redis: TestRedis;
  let farEnds: EphemeralFarEnds;
  let holder: TestGateway;
  let other: TestGateway;
  const nodes: TestGateway[] = [];
  const sockets: WebSocket[] = [];
  /** Messages on a /api/live socket of the node without the duties. */
  const live: { type: string; change?: string; health?: { deviceId: string; reasons: { code: string }[] }; broadcast?: { id: string } }[] = [];

  beforeAll(async () => {
    [server, redis, farEnds] = await Promise.all([
      startTestPostgres(),
      startTestRedis(),
      startEphemeralFarEnds({ cameras: [{ id: CAMERA, name: 'gate' }], cameraCredentials: { username: 'admin', password: 'demo-pass-camera' } }),
    ]);
    const url = await server.freshDatabase('forward');
    const node = (id: string) =>
      startGateway(
        {
          cluster: { databaseUrl: url, redisUrl: redis.url, nodeId: id, takeoverSeconds: 6 },
          adapters: { 'camera-onvif': { events: false, requestTimeoutMs: 2000, liveView: { maxStreams: 1, width: 320, height: 240, idleSeconds: 1 } }, 'camera-gb28181': { liveView: { maxStreams: 0 } } },
        },
        { centre: { ...farEnds, stop: async () => undefined } },
      );
    // The first node takes the lease; the second starts once it holds it.
    nodes.push(await node('fw-a'));
    await eventually(() => nodes[0]?.gw.cluster?.isHolder() || undefined, { timeoutMs: 30_000 });
    nodes.push(await node('fw-b'));
    [holder, other] = nodes as [TestGateway, TestGateway];
    expect(other.gw.cluster?.isHolder()).toBe(false);
    // The board of the node without the duties.
    const ws = new WebSocket(`ws://127.0.0.1:${other.httpPort}/api/live`, ['campus-live.v1', `bearer.${await other.login('admin')}`]);
    sockets.push(ws);
    ws.on('message', (data: Buffer) => live.push(JSON.parse(data.toString('utf8')) as (typeof live)[number]));
    await eventually(() => live.some((m) => m.type === 'snapshot') || undefined, { timeoutMs: 15_000 });
  }, 240_000);

  afterAll(async () => {
    for (const ws of sockets.splice(0)) ws.terminate();
    for (const n of nodes.splice(0)) await n.close();
    await farEnds?.stop();
    await redis?.stop();
    await server?.stop();
  }, 60_000);

  it('a barrier command sent to the other node moves the barrier through the holder, answered as the holder answers, audited with the operator and their address', async () => {
    const token = await other.login('tech');
    const res = await call(other.baseUrl, `/api/devices/${BARRIER}/command`, { method: 'POST', token, body: { command: 'lower' } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ deviceId: BARRIER, command: 'lower', position: 'lowered' });
    expect(res.headers['x-gateway-node']).toBe('fw-a');
    expect(res.headers['x-gateway-via']).toBe('fw-b');
    expect(farEnds.plc.state(1).position).toBe('lowered');
    // The same command on the holder itself answers alike (served there, no via).
    const direct = await call(holder.baseUrl, `/api/devices/${BARRIER}/command`, { method: 'POST', token, body: { command: 'raise' } });
    expect(direct.status).toBe(200);
    expect(direct.body).toMatchObject({ deviceId: BARRIER, command: 'raise', position: 'raised' });
    expect(direct.headers['x-gateway-node']).toBe('fw-a');
    expect(direct.headers['x-gateway-via']).toBeUndefined();
    const audit = await auditOf(holder, 'barrier.command', BARRIER);
    expect(audit.map((e) => [e.actor, e.ip, e.detail.command, e.detail.outcome])).toEqual(
      expect.arrayContaining([
        ['tech', CLIENT, 'lower', 'ok'],
        ['tech', CLIENT, 'raise', 'ok'],
      ]),
    );
    // A refusal of the holder comes back as the holder said it (its code and status).
    const refused = await call(other.baseUrl, '/api/devices/sch-01-btn-1/command', { method: 'POST', token, body: { command: 'raise' } });
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('GW_ERR_NOT_SUPPORTED');
    expect(refused.headers['x-gateway-node']).toBe('fw-a');
  }, 120_000);

  it('a sweep started on the other node runs on the holder (its barrier probe answers there), and can be cancelled from it', async () => {
    const token = await other.login('tech');
    const res = await call(other.baseUrl, '/api/sweeps', { method: 'POST', token, body: { devices: [BARRIER], name: 'forwarded' } });
    expect(res.status).toBe(202);
    expect(res.headers['x-gateway-node']).toBe('fw-a');
    const id = String(res.body.id);
    const done = await eventually(
      async () => {
        const view = (await (await other.api(`/api/sweeps/${id}`, { as: 'tech' })).json()) as { state: string; results?: { deviceId: string; status: string; method: string }[] };
        return view.state === 'running' ? undefined : view;
      },
      { timeoutMs: 60_000 },
    );
    expect(done.state).toBe('done');
    // Probed actively by the barrier adapter, which runs only on the holder.
    expect(done.results).toEqual([expect.objectContaining({ deviceId: BARRIER, status: 'ok', method: 'active' })]);
    const audit = await auditOf(holder, 'sweep.start', id);
    expect(audit.map((e) => [e.actor, e.ip])).toEqual([['tech', CLIENT]]);
    // Cancelling goes to the holder's engine too: this one ended there, which the holder says.
    const cancel = await call(other.baseUrl, `/api/sweeps/${id}/cancel`, { method: 'POST', token, body: {} });
    expect(cancel.status).toBe(409);
    expect(cancel.body.code).toBe('GW_ERR_SWEEP_NOT_RUNNING');
    expect(cancel.headers['x-gateway-node']).toBe('fw-a');
  }, 120_000);

  it("a broadcast sent on the other node goes out through the holder's SMS bind, and its changes reach that node's live board", async () => {
    const token = await other.login('duty');
    const phone = '13900001717';
    const res = await call(other.baseUrl, '/api/broadcasts', { method: 'POST', token, body: { text: 'forwarded broadcast', recipients: [{ name: 'Test', phone }], channels: ['sms'] } });
    expect(res.status).toBe(201);
    expect(res.headers['x-gateway-node']).toBe('fw-a');
    const id = String(res.body.id);
    // Sent by the holder's bind (the other node has no SMS channel: there it would fail at once).
    await farEnds.sms.waitFor((r) => JSON.stringify(r).includes(phone), 30_000);
    const b = await eventually(
      async () => {
        const view = (await (await other.api(`/api/broadcasts/${id}`, { as: 'duty' })).json()) as { recipients: { state: string }[] };
        return view.recipients.every((r) => r.state === 'delivered') ? view : undefined;
      },
      { timeoutMs: 30_000 },
    );
    expect(b.recipients).toHaveLength(1);
    // The holder made the broadcast; the other node's board hears it created and delivered (Redis live relay).
    await eventually(() => live.find((m) => m.type === 'broadcast' && m.change === 'created' && m.broadcast?.id === id), { timeoutMs: 15_000 });
    await eventually(() => live.find((m) => m.type === 'broadcast' && m.change === 'recipient' && (m as { broadcastId?: string }).broadcastId === id), { timeoutMs: 15_000 });
    const me = (await (await other.api('/api/auth/me', { as: 'duty' })).json()) as { displayName: string };
    const audit = await auditOf(holder, 'broadcast.send', id);
    expect(audit.map((e) => [e.actor, e.ip])).toEqual([[me.displayName, CLIENT]]);
  }, 120_000);

  it('an alarm raised on the other node is broadcast by the holder, through its channels', async () => {
    const id = 'sch-03-btn-1';
    const button = await connectAs(other.mqttUrl, id);
    try {
      await button.publishAsync(`campus/v1/sch-03/${id}/event`, JSON.stringify({ type: 'press' }), { qos: 1 });
    } finally {
      await button.endAsync();
    }
    const alarm = await eventually(() => other.gw.alarms.openAlarms().find((a) => a.deviceId === id && a.type === 'panic'), { timeoutMs: 15_000 });
    // Committed on the other node; broadcast by the holder (the other node has no channel bound).
    const sent = await eventually(
      async () => {
        const list = (await (await other.api(`/api/broadcasts?alarmId=${alarm.id}`, { as: 'duty' })).json()) as { id: string }[];
        if (list.length === 0) return undefined;
        const b = (await (await other.api(`/api/broadcasts/${list[0]?.id}`, { as: 'duty' })).json()) as { createdBy: string; recipients: { channel?: string; state: string; reason?: string }[] };
        return b.recipients.some((r) => r.channel === 'sms' && ['sent', 'delivered', 'confirmed'].includes(r.state)) ? { b, count: list.length } : undefined;
      },
      { timeoutMs: 30_000 },
    );
    expect(sent.count).toBe(1);
    expect(sent.b.createdBy).toBe('system');
    expect(sent.b.recipients.filter((r) => r.reason === 'channel-unavailable' && r.channel === 'sms')).toEqual([]);
  }, 120_000);

  it("camera live view on the other node: the list is the holder's, and the picture is relayed from the holder's stream", async () => {
    const list = await other.api('/api/cameras/live-views', { as: 'duty' });
    expect(list.status).toBe(200);
    expect(list.headers.get('x-gateway-node')).toBe('fw-a');
    const direct = await holder.api('/api/cameras/live-views', { as: 'duty' });
    expect(await list.json()).toStrictEqual(await direct.json());

    const token = await other.login('duty');
    const ws = new WebSocket(`ws://127.0.0.1:${other.httpPort}/api/cameras/${CAMERA}/live`, ['campus-camera.v1', `bearer.${token}`], { localAddress: CLIENT });
    sockets.push(ws);
    const received: Buffer[] = [];
    ws.on('message', (data: Buffer) => received.push(data));
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`live view refused: HTTP ${res.statusCode}`)));
    });
    // jsmpeg's header ('jsmp', width, height), then MPEG-TS from the holder's encoder.
    const header = await eventually(() => received[0], { timeoutMs: 30_000 });
    expect(header.subarray(0, 4).toString('latin1')).toBe('jsmp');
    await eventually(() => (received.reduce((n, m) => n + m.length, 0) > 4096 ? true : undefined), { timeoutMs: 60_000 });
    // The holder streams it (the other node runs no encoder) and audits the viewer with their address.
    const views = (await (await holder.api('/api/cameras/live-views', { as: 'duty' })).json()) as { cameras: { deviceId: string; streaming: boolean; viewers: number }[] };
    expect(views.cameras.find((c) => c.deviceId === CAMERA)).toMatchObject({ streaming: true, viewers: 1 });
    const opened = await eventually(async () => (await auditOf(holder, 'camera.live-view', CAMERA)).find((e) => e.detail.outcome === 'opened'), { timeoutMs: 15_000 });
    expect([opened.actor, opened.ip]).toEqual(['duty', CLIENT]);
    // The viewer leaves: the holder's viewing ends too.
    ws.close();
    await eventually(async () => (await auditOf(holder, 'camera.live-view.closed', CAMERA)).length > 0 || undefined, { timeoutMs: 15_000 });
    expect(other.gw.counters.get('cameras.live-view.relayed')).toBe(1);
  }, 180_000);

  it("a health change seen only by the holder reaches the other node's board and its device list", async () => {
    // A low battery is a condition of the node the button reports to (here the holder); the
    // other node hears the button's liveness through the broker's Redis emitter, not its reasons.
    const id = 'sch-02-btn-1';
    const device = await connectAs(holder.mqttUrl, id);
    try {
      await device.publishAsync(`campus/v1/sch-02/${id}/telemetry`, JSON.stringify({ battery: 4, rssi: -60 }), { qos: 1 });
      await eventually(() => live.find((m) => m.type === 'health' && m.health?.deviceId === id && m.health.reasons.some((r) => r.code === 'low-battery')), { timeoutMs: 20_000 });
      expect(other.gw.health.get(id)?.reasons.map((r) => r.code)).toContain('low-battery');
      // Back to a full battery: cleared on both.
      await device.publishAsync(`campus/v1/sch-02/${id}/telemetry`, JSON.stringify({ battery: 90, rssi: -60 }), { qos: 1 });
      await eventually(() => (other.gw.health.get(id)?.reasons.some((r) => r.code === 'low-battery') === false ? true : undefined), { timeoutMs: 20_000 });
    } finally {
      await device.endAsync(true);
    }
    // A fault only the holder can see (it polls the barrier controllers): the other node shows it.
    farEnds.plc.setFault('hydraulic-pressure-low', 2);
    try {
      await eventually(() => live.find((m) => m.type === 'health' && m.health?.deviceId === 'sch-02-bar-1' && m.health.reasons.some((r) => r.code === 'barrier-fault')), { timeoutMs: 20_000 });
      expect(other.gw.health.get('sch-02-bar-1')?.reasons.map((r) => r.code)).toContain('barrier-fault');
    } finally {
      farEnds.plc.setFault([], 2);
    }
  }, 120_000);

  it("a malformed health view or device state on the live relay is counted and kept out of the node's health and readings", async () => {
    const pub = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await pub.connect();
      const before = other.gw.counters.get('cluster.live.malformed');
      const was = other.gw.health.get('sch-04-btn-1');
      await pub.publish('campus-gateway:live', JSON.stringify({ v: 1, node: 'intruder', kind: 'health', at: Date.now(), body: { deviceId: 'sch-04-btn-1', reasons: 'all of them' } }));
      await eventually(() => (other.gw.counters.get('cluster.live.malformed') > before ? true : undefined), { timeoutMs: 15_000 });
      expect(other.gw.health.get('sch-04-btn-1')).toStrictEqual(was);
      expect(other.gw.health.remoteNodes().has('intruder')).toBe(false);
      // Readings likewise: a state of the wrong shape, an unknown device, a body that is no list.
      const state = other.gw.readings.get('sch-04-btn-1');
      const counted = other.gw.counters.get('cluster.live.malformed');
      const bodies = [[['sch-04-btn-1', { battery: { value: { x: 1 }, at: Date.now() } }]], [['no-such-device', { battery: { value: 1, at: Date.now() } }]], { battery: 1 }];
      for (const body of bodies) await pub.publish('campus-gateway:live', JSON.stringify({ v: 1, node: 'intruder', kind: 'readings', at: Date.now(), body }));
      await eventually(() => (other.gw.counters.get('cluster.live.malformed') >= counted + 3 ? true : undefined), { timeoutMs: 15_000 });
      expect(other.gw.readings.get('sch-04-btn-1')).toStrictEqual(state);
    } finally {
      pub.disconnect();
    }
  }, 60_000);

  it('a drill started on one node is a drill on the other: a press there is marked drill, and its end is known there too', async () => {
    const started = await holder.api('/api/drills', { as: 'duty', method: 'POST', body: JSON.stringify({ siteId: 'sch-06', durationSeconds: 600 }) });
    expect(started.status).toBe(201);
    const drill = (await started.json()) as { id: string };
    await eventually(() => other.gw.drills.activeAt('sch-06'), { timeoutMs: 15_000 });
    const id = 'sch-06-btn-1';
    const button = await connectAs(other.mqttUrl, id);
    try {
      await button.publishAsync(`campus/v1/sch-06/${id}/event`, JSON.stringify({ type: 'press' }), { qos: 1 });
    } finally {
      await button.endAsync();
    }
    const alarm = await eventually(() => other.gw.alarms.openAlarms().find((a) => a.deviceId === id), { timeoutMs: 15_000 });
    expect(alarm.drill).toBe(true);
    // Ended on the other node: the holder forgets it, and the report holds the alarm raised there.
    const ended = await other.api(`/api/drills/${drill.id}/end`, { as: 'duty', method: 'POST', body: '{}' });
    expect(ended.status).toBe(200);
    await eventually(() => (holder.gw.drills.activeAt('sch-06') === undefined ? true : undefined), { timeoutMs: 15_000 });
    const report = (await ended.json()) as { report?: { alarms: { alarmId: string }[] } };
    expect(report.report?.alarms.map((a) => a.alarmId)).toEqual([alarm.id]);
  }, 120_000);

  it('GET /api/clock-drift on either node lists the clocks of the devices connected to both, each with the node that measured it', async () => {
    // A button's clock is read off its own readings, on the node its connection landed on.
    const behind = await connectAs(holder.mqttUrl, 'sch-02-btn-1');
    const ahead = await connectAs(other.mqttUrl, 'sch-03-btn-1');
    try {
      await behind.publishAsync('campus/v1/sch-02/sch-02-btn-1/telemetry', JSON.stringify({ at: Date.now() - 300_000, battery: 90 }), { qos: 1 });
      await ahead.publishAsync('campus/v1/sch-03/sch-03-btn-1/telemetry', JSON.stringify({ at: Date.now() + 120_000, battery: 90 }), { qos: 1 });
    } finally {
      await behind.endAsync();
      await ahead.endAsync();
    }
    const answeredBefore = other.gw.counters.get('cluster.views.answered');
    type View = { clocks: { deviceId: string; node?: string; driftSeconds: number; over: boolean }[]; nodes?: { id: string; answered: boolean }[] };
    const ours = (v: View) => v.clocks.filter((c) => c.deviceId === 'sch-02-btn-1' || c.deviceId === 'sch-03-btn-1');
    for (const n of [holder, other]) {
      const res = await call(n.baseUrl, '/api/clock-drift', { token: await n.login('tech') });
      expect(res.status).toBe(200);
      const v = res.body as unknown as View;
      expect(v.nodes).toEqual([
        { id: n === holder ? 'fw-a' : 'fw-b', answered: true },
        { id: n === holder ? 'fw-b' : 'fw-a', answered: true },
      ]);
      // Furthest off first, from whichever node was asked.
      expect(ours(v).map((c) => [c.deviceId, c.node, c.over])).toEqual([
        ['sch-02-btn-1', 'fw-a', true],
        ['sch-03-btn-1', 'fw-b', true],
      ]);
      expect(ours(v)[0]?.driftSeconds).toBeLessThan(-290);
      expect(ours(v)[1]?.driftSeconds).toBeGreaterThan(110);
    }
    // The other node asked the holder once, for the one request it served.
    expect(other.gw.counters.get('cluster.views.answered')).toBe(answeredBefore + 1);
    // A school's security office sees its own school's clocks only, whichever node measured them.
    const school = await call(holder.baseUrl, '/api/clock-drift', { token: await holder.login('sch-03') });
    expect(school.status).toBe(200);
    const seen = (school.body as unknown as View).clocks;
    expect(seen.map((c) => [c.deviceId, c.node])).toContainEqual(['sch-03-btn-1', 'fw-b']);
    expect(seen.every((c) => c.deviceId.startsWith('sch-03-'))).toBe(true);
  }, 60_000);

  it("a button's end-to-end 110 test, recorded by the holder, shows on the other node's device list", async () => {
    const id = 'sch-05-btn-1';
    const before = (await (await other.api(`/api/devices/${id}`, { as: 'tech' })).json()) as { linkTest?: { at: number } };
    const button = await connectAs(other.mqttUrl, id);
    const pressedAt = Date.now();
    try {
      // A test press: a DC-09 test report to the 110 centre, sent by the holder's link.
      await button.publishAsync(`campus/v1/sch-05/${id}/event`, JSON.stringify({ type: 'test', at: pressedAt, seq: 1 }), { qos: 1 });
    } finally {
      await button.endAsync();
    }
    const recorded = await eventually(() => holder.gw.linkTests.last(id)?.at !== before.linkTest?.at ? holder.gw.linkTests.last(id) : undefined, { timeoutMs: 30_000 });
    expect(recorded.latencyMs).toBeGreaterThan(0);
    const shown = await eventually(
      async () => {
        const d = (await (await other.api(`/api/devices/${id}`, { as: 'tech' })).json()) as { linkTest?: { at: number; latencyMs: number } };
        return d.linkTest?.at === recorded.at ? d.linkTest : undefined;
      },
      { timeoutMs: 15_000 },
    );
    expect(shown).toEqual({ at: recorded.at, latencyMs: recorded.latencyMs, ...(recorded.receiver ? { receiver: recorded.receiver } : {}) });
    expect(other.gw.counters.get('cluster.link-test.malformed')).toBe(0);
  }, 60_000);

  it("a device's readings taken on one node show in the other node's device list: a button's battery, and the barrier position the holder polls", async () => {
    const id = 'sch-07-btn-1';
    const malformedBefore = other.gw.counters.get('cluster.live.malformed');
    const button = await connectAs(holder.mqttUrl, id);
    try {
      await button.publishAsync(`campus/v1/sch-07/${id}/telemetry`, JSON.stringify({ at: Date.now(), battery: 42 }), { qos: 1 });
    } finally {
      await button.endAsync();
    }
    type View = { state?: Record<string, { value: unknown; at: number }> };
    const stateOn = async (n: TestGateway, device: string) => ((await (await n.api(`/api/devices/${device}`, { as: 'tech' })).json()) as View).state ?? {};
    const seen = await eventually(async () => ((await stateOn(other, id)).battery?.value === 42 ? stateOn(other, id) : undefined), { timeoutMs: 15_000 });
    expect(seen.battery).toEqual((await stateOn(holder, id)).battery);
    // Polled by the holder (Modbus, a singleton duty, every second): the other node shows the
    // position the holder read, at most a relay interval (2 s) behind it.
    const polled = await eventually(async () => (await stateOn(holder, BARRIER)).position, { timeoutMs: 15_000 });
    const there = await eventually(async () => {
      const p = (await stateOn(other, BARRIER)).position;
      return p && p.at >= polled.at ? p : undefined;
    }, { timeoutMs: 15_000 });
    expect(there.value).toBe(polled.value);
    expect(other.gw.counters.get('cluster.live.malformed')).toBe(malformedBefore);
  }, 60_000);

  it("a press taken on the other node gets its whole press path there: the holder's frame and ACK marks come with the alarm's note", async () => {
    const id = 'sch-08-btn-1';
    const button = await connectAs(other.mqttUrl, id);
    try {
      await button.publishAsync(`campus/v1/sch-08/${id}/event`, JSON.stringify({ type: 'press', seq: 1 }), { qos: 1 });
    } finally {
      await button.endAsync();
    }
    type Rec = { deviceId?: string; receivedAt: number; decodedAt: number; committedAt: number; frameWrittenAt?: number; ackedAt?: number; receiver?: string };
    const rec = await eventually(
      async () => {
        const r = ((await (await other.api('/api/diagnostics/press-path', { as: 'admin' })).json()) as { presses: Rec[] }).presses.find((p) => p.deviceId === id);
        return r?.ackedAt !== undefined ? r : undefined;
      },
      { timeoutMs: 30_000 },
    );
    expect(rec.receivedAt).toBeLessThanOrEqual(rec.decodedAt);
    expect(rec.decodedAt).toBeLessThanOrEqual(rec.committedAt);
    // Written by the holder after this node committed it (one machine, one clock), answered after.
    expect(rec.frameWrittenAt).toBeGreaterThanOrEqual(rec.committedAt);
    expect(rec.ackedAt).toBeGreaterThanOrEqual(rec.frameWrittenAt ?? Number.POSITIVE_INFINITY);
    expect(rec.receiver).toBe('primary');
  }, 60_000);

  // Last: the holder leaves.
  it('when the holder leaves, the other node takes the duties: it serves the actions itself and leads the open broadcasts (a roll-call reply is counted there)', async () => {
    const phone = '13900001818';
    const sent = await call(other.baseUrl, '/api/broadcasts', { method: 'POST', token: await other.login('duty'), body: { text: 'takeover broadcast', recipients: [{ name: 'Roll', phone }], channels: ['sms'] } });
    expect(sent.status).toBe(201);
    const id = String(sent.body.id);
    await farEnds.sms.waitFor((r) => JSON.stringify(r).includes(phone), 30_000);
    // A clean stop releases the lease: the other node takes it.
    nodes.splice(nodes.indexOf(holder), 1);
    await holder.close();
    await eventually(() => other.gw.cluster?.duties.running().includes('broadcasts') || undefined, { timeoutMs: 30_000 });
    const res = await call(other.baseUrl, `/api/devices/${BARRIER}/command`, { method: 'POST', token: await other.login('tech'), body: { command: 'lower' } });
    expect(res.status).toBe(200);
    expect(res.headers['x-gateway-node']).toBe('fw-b');
    expect(res.headers['x-gateway-via']).toBeUndefined();
    expect(farEnds.plc.state(1).position).toBe('lowered');
    // The reply reaches the new holder's SMS bind; the broadcast it took over counts it.
    await eventually(() => (farEnds.sms.boundSessions() > 0 ? true : undefined), { timeoutMs: 30_000 });
    farEnds.sms.reply(phone, '收到');
    await eventually(
      async () => {
        const b = (await (await other.api(`/api/broadcasts/${id}`, { as: 'duty' })).json()) as { recipients: { state: string }[] };
        return b.recipients[0]?.state === 'confirmed' ? b : undefined;
      },
      { timeoutMs: 30_000 },
    );
  }, 120_000);
});

describe('cluster: the holder does not answer', () => {
  let server: TestPostgres;
  let node: TestGateway | undefined;
  let pool: pg.Pool;
  let lease: Lease;
  let ghost: NodeRegistry;
  let silent: Server;
  const held: Socket[] = [];

  beforeAll(async () => {
    server = await startTestPostgres();
    const url = await server.freshDatabase('ghost');
    pool = new pg.Pool({ connectionString: url, max: 3 });
    pool.on('error', () => undefined);
    await migrate(pool);
    // A "holder" that accepts connections and never answers.
    silent = createServer((s) => held.push(s));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    lease = new Lease({ pool, name: SINGLETON_LEASE, holder: 'ghost/4242', timings: leaseTimings(6) });
    expect(await lease.tryAcquire()).toBeDefined();
    lease.start();
    ghost = new NodeRegistry({ pool, self: { id: 'ghost', pid: 4242, httpUrl: `http://127.0.0.1:${port}` }, roles: () => [SINGLETON_LEASE], clients: () => 0, heartbeatMs: 1000, downAfterMs: 6000 });
    await ghost.start();
    node = await startGateway({ cluster: { databaseUrl: url, nodeId: 'fw-c', takeoverSeconds: 6, forwardTimeoutSeconds: 2 } });
  }, 240_000);

  afterAll(async () => {
    await node?.close();
    await ghost?.stop();
    await lease?.stop();
    for (const s of held) s.destroy();
    if (silent?.listening) await new Promise((resolve) => silent.close(resolve));
    await pool?.end();
    await server?.stop();
  }, 60_000);

  it('answers 503 GW_ERR_HOLDER_UNAVAILABLE with Retry-After when the holder is silent past the bound, and when it cannot be reached; counted', async () => {
    const n = node as TestGateway;
    expect(n.gw.cluster?.isHolder()).toBe(false);
    const token = await n.login('tech');
    const silentAnswer = await call(n.baseUrl, `/api/devices/${BARRIER}/command`, { method: 'POST', token, body: { command: 'lower' } });
    expect(silentAnswer.status).toBe(503);
    expect(silentAnswer.body.code).toBe('GW_ERR_HOLDER_UNAVAILABLE');
    expect(String(silentAnswer.body.message)).toContain('ghost did not answer within 2 s');
    expect(silentAnswer.headers['retry-after']).toBe('6');
    expect(silentAnswer.headers['x-gateway-node']).toBe('fw-c');
    expect(n.gw.counters.get('cluster.forward.timeout')).toBe(1);

    // The holder's address refuses connections.
    for (const s of held) s.destroy();
    await new Promise((resolve) => silent.close(resolve));
    const refused = await call(n.baseUrl, '/api/sweeps', { method: 'POST', token, body: { devices: [BARRIER] } });
    expect(refused.status).toBe(503);
    expect(refused.body.code).toBe('GW_ERR_HOLDER_UNAVAILABLE');
    expect(String(refused.body.message)).toContain('ghost cannot be reached');
    expect(refused.headers['retry-after']).toBe('6');
    expect(n.gw.counters.get('cluster.forward.unreachable')).toBe(1);
    // Nothing was done here: no sweep was recorded, no barrier command audited.
    expect(((await (await n.api('/api/sweeps', { as: 'tech' })).json()) as unknown[]).length).toBe(0);
    expect(await auditOf(n, 'barrier.command', BARRIER)).toEqual([]);
  }, 120_000);

  it('does not believe a forwarded client address without the cluster\'s signature', async () => {
    const n = node as TestGateway;
    const before = n.gw.counters.get('cluster.forward.untrusted');
    const res = await n.api('/api/auth/me', { as: 'tech', headers: { 'x-gateway-forwarded-for': '10.9.9.9', 'x-gateway-forwarded-by': 'ghost', 'x-gateway-forwarded-at': String(Date.now()), 'x-gateway-forwarded-sig': 'forged' } });
    expect(res.status).toBe(200);
    expect(n.gw.counters.get('cluster.forward.untrusted')).toBe(before + 1);
  }, 60_000);
});
