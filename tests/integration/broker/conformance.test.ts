/**
 * The MQTT 3.1.1 statements a bare aedes leaves open, the ACL, MQTT over WebSocket, and a
 * peer not written here (mosquitto's clients) talking to the embedded broker.
 */
import { execFile } from 'node:child_process';
import { connect as tcpConnect } from 'node:net';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import { parser as mqttParser, type Packet } from 'mqtt-packet';
import type { ISubscriptionGrant, MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectAs, startGateway, type TestGateway } from '../../helpers/gateway.js';

const run = promisify(execFile);

/** SUBACK return codes, including 0x80 refusals (mqtt.js rejects those as errors). */
async function subscribeCodes(client: MqttClient, topics: string[]): Promise<number[]> {
  try {
    return (await client.subscribeAsync(topics, { qos: 1 })).map((g: ISubscriptionGrant) => g.qos);
  } catch (err) {
    const granted = (err as { packet?: { granted?: number[] } }).packet?.granted;
    if (!granted) throw err;
    return granted;
  }
}

/** MQTT 3.1.1 CONNECT by hand, for packets client libraries refuse to build [MQTT-3.1]. */
function connectBytes(opts: { clientId: string; clean: boolean; username?: string; password?: Buffer }): Buffer {
  const str = (b: Buffer) => Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
  const flags = (opts.username ? 0x80 : 0) | (opts.password ? 0x40 : 0) | (opts.clean ? 0x02 : 0);
  const body = Buffer.concat([
    str(Buffer.from('MQTT')),
    Buffer.from([4, flags, 0, 30]),
    str(Buffer.from(opts.clientId)),
    ...(opts.username ? [str(Buffer.from(opts.username))] : []),
    ...(opts.password ? [str(opts.password)] : []),
  ]);
  if (body.length > 127) throw new Error('test CONNECT too long for a one-byte length');
  return Buffer.concat([Buffer.from([0x10, body.length]), body]);
}

/** Sends one raw CONNECT and returns the broker's first packet. */
async function rawConnect(port: number, packet: { clientId: string; clean: boolean; username?: string; password?: Buffer }): Promise<Packet> {
  const socket = tcpConnect({ port, host: '127.0.0.1', noDelay: true });
  const p = mqttParser({ protocolVersion: 4 });
  const reply = new Promise<Packet>((resolve, reject) => {
    p.on('packet', resolve);
    socket.on('error', reject);
    socket.on('close', () => reject(new Error('closed without a reply')));
  });
  reply.catch(() => undefined); // settled once; later rejections are not news
  socket.on('data', (d) => p.parse(d));
  await new Promise((r) => socket.once('connect', r));
  socket.write(connectBytes(packet));
  try {
    return await reply;
  } finally {
    socket.destroy();
  }
}

describe('embedded broker conformance and ACL', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startGateway();
  });
  afterAll(async () => {
    await t.close();
  });

  it('[MQTT-3.1.3-8] refuses an empty client id with CleanSession 0 with CONNACK 0x02', async () => {
    const reply = await rawConnect(t.mqttPort, { clientId: '', clean: false, username: 'sch-01-btn-1', password: Buffer.from('demo-pass-sch-01-btn-1') });
    expect(reply).toMatchObject({ cmd: 'connack', returnCode: 2 });
    // With CleanSession 1 an empty id is fine [MQTT-3.1.3-6].
    const ok = await rawConnect(t.mqttPort, { clientId: '', clean: true, username: 'sch-01-btn-1', password: Buffer.from('demo-pass-sch-01-btn-1') });
    expect(ok).toMatchObject({ cmd: 'connack', returnCode: 0 });
  });

  it('refuses wrong and missing credentials with CONNACK 4 and 5', async () => {
    expect(await rawConnect(t.mqttPort, { clientId: 'x', clean: true, username: 'sch-01-btn-1', password: Buffer.from('wrong-password') })).toMatchObject({ returnCode: 4 });
    expect(await rawConnect(t.mqttPort, { clientId: 'x', clean: true, username: 'no-such-device', password: Buffer.from('whatever1') })).toMatchObject({ returnCode: 4 });
    expect(await rawConnect(t.mqttPort, { clientId: 'x', clean: true })).toMatchObject({ returnCode: 5 });
    expect(t.gw.counters.get('mqtt.auth.refused.bad-credentials')).toBe(2);
  });

  it('never lets a wrong password kick the session already connected under that client id', async () => {
    const device = await connectAs(t.mqttUrl, 'sch-11-btn-1');
    let closed = false;
    device.on('close', () => (closed = true));
    const reply = await rawConnect(t.mqttPort, { clientId: 'sch-11-btn-1', clean: true, username: 'sch-11-btn-1', password: Buffer.from('attacker-guess') });
    expect(reply).toMatchObject({ returnCode: 4 });
    await device.publishAsync('campus/v1/sch-11/sch-11-btn-1/telemetry', JSON.stringify({ battery: 90 }), { qos: 1 });
    expect(closed).toBe(false);
    expect(device.connected).toBe(true);
    await device.endAsync();
  });

  it('answers a forbidden subscription with SUBACK 0x80 and keeps the connection', async () => {
    const device = await connectAs(t.mqttUrl, 'sch-12-btn-1');
    const granted = await subscribeCodes(device, ['campus/v1/sch-12/sch-12-btn-1/cmd', 'campus/v1/#', 'campus/v1/sch-13/sch-13-btn-1/cmd']);
    expect(granted).toStrictEqual([1, 128, 128]);
    expect(device.connected).toBe(true);
    await device.endAsync();
  });

  it('delivers gateway commands on the device cmd topic only to that device', async () => {
    const device = await connectAs(t.mqttUrl, 'sch-14-btn-1');
    await device.subscribeAsync('campus/v1/sch-14/sch-14-btn-1/cmd', { qos: 1 });
    const got = new Promise<string>((r) => device.once('message', (_t, p) => r(String(p))));
    await t.gw.broker.bus.publish('campus/v1/sch-14/sch-14-btn-1/cmd', JSON.stringify({ cmd: 'self-test' }), { qos: 1 });
    expect(JSON.parse(await got)).toStrictEqual({ cmd: 'self-test' });
    await device.endAsync();
  });

  it('applies configured ACL patterns with %u and %c substitution', async () => {
    const t2 = await startGateway({
      mqtt: {
        users: [{ username: 'conformance', password: 'conformance-pass', role: 'integrator' }],
        acl: [
          { topic: 'test/%c/#', access: 'readwrite' },
          { user: 'conformance', topic: 'users/%u/+', access: 'readwrite' },
          { user: 'conformance', topic: 'test/suite-1/secret', access: 'deny' },
        ],
      },
    });
    try {
      const c = await mqtt.connectAsync(t2.mqttUrl, { clientId: 'suite-1', username: 'conformance', password: 'conformance-pass', protocolVersion: 4, reconnectPeriod: 0 });
      const granted = await subscribeCodes(c, ['test/suite-1/a', 'users/conformance/x', 'test/suite-2/a', 'test/suite-1/secret']);
      expect(granted).toStrictEqual([1, 1, 128, 128]);
      const got = new Promise<string>((r) => c.once('message', (topic) => r(topic)));
      await c.publishAsync('test/suite-1/a', 'hello', { qos: 1 });
      expect(await got).toBe('test/suite-1/a');
      await c.endAsync();
    } finally {
      await t2.close();
    }
  });

  it('speaks MQTT over WebSocket on the HTTP port', async () => {
    const ws = await mqtt.connectAsync(`ws://127.0.0.1:${t.httpPort}/mqtt`, {
      clientId: 'sch-15-btn-1',
      username: 'sch-15-btn-1',
      password: 'demo-pass-sch-15-btn-1',
      protocolVersion: 4,
      reconnectPeriod: 0,
    });
    await ws.publishAsync('campus/v1/sch-15/sch-15-btn-1/event', JSON.stringify({ type: 'press' }), { qos: 1 });
    expect(t.gw.alarms.openAlarms().filter((a) => a.deviceId === 'sch-15-btn-1').map((a) => a.type)).toStrictEqual(['panic']);
    await ws.endAsync();
  });

  it('accepts a press from mosquitto_pub with the right credentials and refuses it with another device’s', async () => {
    const base = ['-h', '127.0.0.1', '-p', String(t.mqttPort), '-q', '1', '-t', 'campus/v1/sch-16/sch-16-btn-1/event', '-m', '{"type":"press"}'];
    await run('mosquitto_pub', [...base, '-u', 'sch-16-btn-1', '-P', 'demo-pass-sch-16-btn-1', '-i', 'mp-1']);
    expect(t.gw.alarms.openAlarms().filter((a) => a.siteId === 'sch-16').map((a) => a.deviceId)).toStrictEqual(['sch-16-btn-1']);
    const wrong = await run('mosquitto_pub', [...base, '-u', 'sch-17-btn-1', '-P', 'demo-pass-sch-17-btn-1', '-i', 'mp-2']).catch((e: { code: number }) => e);
    expect((wrong as { code?: number }).code).not.toBe(0);
    expect(t.gw.alarms.openAlarms().filter((a) => a.siteId === 'sch-16')).toHaveLength(1);
  });
});
