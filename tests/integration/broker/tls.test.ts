/**
 * MQTT over TLS with client certificates, against the whole gateway: the PKI is made with the
 * real openssl CLI at test time. A device certificate's CN is the device id.
 */
import { readFileSync } from 'node:fs';
import { connect as tlsConnect } from 'node:tls';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../../helpers/gateway.js';
import { makePki, type Pki } from './peers.js';

const press = JSON.stringify({ type: 'press' });

describe('MQTT over TLS with client certificates', () => {
  let pki: Pki;
  let t: TestGateway;
  let url: string;
  const certs: Record<string, { cert: Buffer; key: Buffer }> = {};

  beforeAll(async () => {
    pki = await makePki();
    for (const [name, cn, foreign] of [
      ['a', 'sch-01-btn-1', false],
      ['b', 'sch-02-btn-1', false],
      ['c', 'sch-03-bar-1', false],
      ['foreign', 'sch-04-btn-1', true],
      ['nobody', 'no-such-device', false],
    ] as const) {
      const f = await pki.client(cn, { foreign });
      certs[name] = { cert: readFileSync(f.cert), key: readFileSync(f.key) };
    }
    t = await startGateway({ mqtt: { tls: { host: '127.0.0.1', port: 0, certFile: pki.serverCert, keyFile: pki.serverKey, caFile: pki.ca } } });
    url = `mqtts://127.0.0.1:${t.gw.broker.tlsPort ?? 0}`;
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    pki?.remove();
  });

  const connect = (who: string, extra: IClientOptions = {}): Promise<MqttClient> =>
    mqtt.connectAsync(url, {
      ca: readFileSync(pki.ca),
      ...(certs[who] ?? {}),
      clientId: `tls-${who}-${Math.random().toString(36).slice(2)}`,
      protocolVersion: 4,
      reconnectPeriod: 0,
      connectTimeout: 5000,
      ...extra,
    });

  /** Resolves with the error (or 'connected') of one attempt. */
  const attempt = async (who: string, extra: IClientOptions = {}): Promise<string> => {
    try {
      const c = await connect(who, extra);
      await c.endAsync();
      return 'connected';
    } catch (err) {
      const e = err as { code?: number | string; message: string };
      return typeof e.code === 'number' ? `connack ${e.code}` : e.message;
    }
  };

  it('binds a TLS port beside the TCP one', () => {
    expect(t.gw.broker.tlsPort).toBeGreaterThan(0);
    expect(t.gw.broker.tlsPort).not.toBe(t.mqttPort);
  });

  it('authenticates a device by its certificate alone, and its press reaches the alarm board', async () => {
    const accepted = t.gw.counters.get('mqtt.auth.accepted.certificate');
    const c = await connect('a');
    await c.publishAsync('campus/v1/sch-01/sch-01-btn-1/event', press, { qos: 1 });
    expect(t.gw.alarms.openAlarms().filter((a) => a.deviceId === 'sch-01-btn-1').map((a) => [a.type, a.siteId, a.state])).toStrictEqual([['panic', 'sch-01', 'active']]);
    expect(t.gw.counters.get('mqtt.auth.accepted.certificate')).toBe(accepted + 1);
    await c.endAsync();
  });

  /**
   * One raw TLS connection sending an MQTT CONNECT (TLS 1.3 clients learn of a refused
   * certificate only after their first flight, as an alert): what came back and how it ended.
   */
  const handshake = (who: string) =>
    new Promise<{ bytes: number; error?: string }>((resolve) => {
      const socket = tlsConnect({ host: '127.0.0.1', port: t.gw.broker.tlsPort ?? 0, ca: readFileSync(pki.ca), ...(certs[who] ?? {}) });
      let bytes = 0;
      let error: string | undefined;
      const timer = setTimeout(() => socket.destroy(new Error('no verdict in 5 s')), 5000);
      socket.on('secureConnect', () => socket.write(Buffer.from('101000044d5154540402001e0004746c732d', 'hex')));
      socket.on('data', (d: Buffer) => {
        bytes += d.length;
        socket.end();
      });
      socket.on('error', (err) => (error = err.message));
      socket.on('close', () => {
        clearTimeout(timer);
        resolve({ bytes, ...(error ? { error } : {}) });
      });
    });

  it('refuses a certificate from another CA, and no certificate at all, at the handshake', async () => {
    const failed = t.gw.counters.get('mqtt.tls.handshake-failed');
    const foreign = await handshake('foreign');
    // Closed before any MQTT byte came back (the client may or may not see the alert itself).
    expect(foreign.bytes).toBe(0);
    const none = await handshake('none');
    expect(none.bytes).toBe(0);
    expect(t.gw.counters.get('mqtt.tls.handshake-failed')).toBe(failed + 2);
    // The same peer with a certificate of ours gets its CONNACK.
    expect(await handshake('a')).toStrictEqual({ bytes: 4 });
    expect(t.gw.alarms.openAlarms().filter((a) => a.deviceId === 'sch-04-btn-1')).toStrictEqual([]);
  });

  it("closes device A's connection when it publishes device B's topic; B gets no alarm", async () => {
    const denied = t.gw.counters.get('mqtt.publish.denied');
    const c = await connect('a');
    const closed = new Promise<void>((resolve) => c.once('close', () => resolve()));
    c.publish('campus/v1/sch-02/sch-02-btn-1/event', press, { qos: 1 });
    await closed;
    expect(t.gw.counters.get('mqtt.publish.denied')).toBe(denied + 1);
    expect(t.gw.alarms.openAlarms().filter((a) => a.siteId === 'sch-02')).toStrictEqual([]);
    c.end(true);
  });

  it("lets a device subscribe to its own cmd topic only", async () => {
    const c = await connect('b');
    const granted = async (topic: string) => {
      try {
        return (await c.subscribeAsync(topic, { qos: 1 }))[0]?.qos;
      } catch (err) {
        return (err as { packet?: { granted?: number[] } }).packet?.granted?.[0];
      }
    };
    expect([
      await granted('campus/v1/sch-02/sch-02-btn-1/cmd'),
      await granted('campus/v1/sch-01/sch-01-btn-1/cmd'),
      await granted('campus/v1/sch-02/+/cmd'),
      await granted('campus/v1/alarms/#'),
      await granted('#'),
    ]).toStrictEqual([1, 128, 128, 128, 128]);
    await c.endAsync();
  });

  it('accepts a username equal to the certificate CN, refuses another one, and a CN that names nobody', async () => {
    expect(await attempt('c', { username: 'sch-03-bar-1' })).toBe('connected');
    expect(await attempt('c', { username: 'sch-03-bar-1', password: 'anything at all' })).toBe('connected');
    expect(await attempt('c', { username: 'sch-01-btn-1', password: 'demo-pass-sch-01-btn-1' })).toBe('connack 5');
    expect(await attempt('nobody')).toBe('connack 5');
    expect(t.gw.counters.snapshot('mqtt.auth.refused')).toStrictEqual({
      'mqtt.auth.refused.certificate-username-mismatch': 1,
      'mqtt.auth.refused.unknown-certificate-identity': 1,
    });
  });

  it('still serves password devices on the plain TCP port', async () => {
    const c = await mqtt.connectAsync(t.mqttUrl, { clientId: 'sch-05-btn-1', username: 'sch-05-btn-1', password: 'demo-pass-sch-05-btn-1', protocolVersion: 4, reconnectPeriod: 0 });
    await c.endAsync();
  });
});
