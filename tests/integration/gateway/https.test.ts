/**
 * HTTPS (issue 18 item 7): the whole gateway with `http.tls` and `mqtt.tls`, certificates made
 * by openssl at test time (root → intermediate → server; the client trusts the root only).
 * The API, the dashboard, /api/live, the camera live view and MQTT over WebSocket over TLS;
 * HSTS on HTTPS only; a certificate reload (what SIGHUP calls) that new connections see while
 * a WebSocket and an MQTT-over-TLS client opened before stay connected; bad certificate files
 * refused at start with a coded configuration error. And `http.trustProxy`: whose
 * X-Forwarded-For the audit log believes.
 */
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { build } from '../../../gateway/app.js';
import { loadConfig } from '../../../gateway/config/load.js';
import { isGatewayError } from '../../../gateway/contract/errors.js';
import type { AuditEntry } from '../../../gateway/core/audit/log.js';
import { CameraFleetSimulator } from '../../../simulators/camera-onvif/index.js';
import { httpsRequest, makeTestPki, type ServerCertificate, type TestPki } from '../../helpers/certificates.js';
import { connectAs, startGateway, tempDir, type TestGateway } from '../../helpers/gateway.js';

const fleet = new CameraFleetSimulator({ cameras: [{ id: 'sch-01-cam-1', username: 'admin', password: 'demo-pass-camera' }], width: 160, height: 120, fps: 5 });
let pki: TestPki;
let root: Buffer;
let mqttTrust: Buffer;
/** The certificates the gateway's configured files hold first, and after the swap. */
let httpA: ServerCertificate;
let httpB: ServerCertificate;
let mqttA: ServerCertificate;
let mqttB: ServerCertificate;
/** Where http.tls and mqtt.tls point: overwritten to swap certificates. */
const live = { httpCert: '', httpKey: '', mqttCert: '', mqttKey: '' };
let t: TestGateway;
/** A plain-HTTP gateway behind a "proxy" on loopback (http.trustProxy). */
let plain: TestGateway;
let base: string;

beforeAll(async () => {
  pki = await makeTestPki();
  root = readFileSync(pki.root);
  [httpA, httpB, mqttA, mqttB] = (await Promise.all(['http-a', 'http-b', 'mqtt-a', 'mqtt-b'].map((n) => pki.server(n)))) as [ServerCertificate, ServerCertificate, ServerCertificate, ServerCertificate];
  // mqtt.tls sends the certificate alone (its caFile is the devices' CA): its clients know the intermediate.
  mqttTrust = Buffer.concat([root, readFileSync(pki.intermediate)]);
  Object.assign(live, { httpCert: join(pki.dir, 'live-http.crt'), httpKey: join(pki.dir, 'live-http.key'), mqttCert: join(pki.dir, 'live-mqtt.crt'), mqttKey: join(pki.dir, 'live-mqtt.key') });
  install(httpA, mqttA);
  await fleet.start();
  t = await startGateway({
    http: { tls: { certFile: live.httpCert, keyFile: live.httpKey, caFile: pki.intermediate } },
    mqtt: { tls: { host: '127.0.0.1', port: 0, certFile: live.mqttCert, keyFile: live.mqttKey, requireClientCert: false } },
    adapters: {
      'camera-onvif': {
        endpoints: { 'district-nvr': { host: '127.0.0.1', port: fleet.httpPort } },
        events: false,
        requestTimeoutMs: 1000,
        liveView: { maxStreams: 1, width: 160, height: 120, idleSeconds: 1 },
      },
      'camera-gb28181': { liveView: { maxStreams: 0 } },
    },
  });
  base = `https://127.0.0.1:${t.httpPort}`;
  plain = await startGateway({ http: { trustProxy: ['127.0.0.1'] } });
}, 120_000);

afterAll(async () => {
  await t?.close();
  await plain?.close();
  await fleet.stop();
  pki?.remove();
});

function install(http: ServerCertificate, mq: ServerCertificate): void {
  copyFileSync(http.cert, live.httpCert);
  copyFileSync(http.key, live.httpKey);
  copyFileSync(mq.cert, live.mqttCert);
  copyFileSync(mq.key, live.mqttKey);
}

async function login(username: string, headers: Record<string, string> = {}): Promise<string> {
  const res = await httpsRequest(`${base}/api/auth/login`, { ca: root, method: 'POST', headers, body: JSON.stringify({ username, password: `demo-pass-${username}` }) });
  expect(res.status).toBe(200);
  return (JSON.parse(res.text) as { token: string }).token;
}

/** A WebSocket on the HTTPS gateway: resolves once open, with every message it received so far. */
function openLive(token: string): Promise<{ ws: WebSocket; messages: { type: string }[]; closed: Promise<number> }> {
  const ws = new WebSocket(`wss://127.0.0.1:${t.httpPort}/api/live`, ['campus-live.v1', `bearer.${token}`], { ca: root });
  const messages: { type: string }[] = [];
  ws.on('message', (d: Buffer) => messages.push(JSON.parse(d.toString()) as { type: string }));
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, messages, closed }));
    ws.once('error', reject);
  });
}

/** The next message of `type` on a socket (bounded). */
function next(ws: WebSocket, type: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${type} message in 10 s`)), 10_000);
    const on = (d: Buffer) => {
      const m = JSON.parse(d.toString()) as Record<string, unknown>;
      if (m.type !== type) return;
      clearTimeout(timer);
      ws.off('message', on);
      resolve(m);
    };
    ws.on('message', on);
  });
}

/** The certificate a fresh TLS handshake with the MQTT TLS listener gets. */
function mqttListenerCertificate(): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port: t.gw.broker.tlsPort ?? 0, ca: mqttTrust, servername: 'localhost' }, () => {
      const fp = socket.getPeerCertificate().fingerprint256;
      socket.end();
      resolve(fp);
    });
    socket.on('error', reject);
  });
}

describe('HTTPS', () => {
  it('serves the API over TLS with the configured chain: login, then an authenticated route', async () => {
    const token = await login('duty');
    const me = await httpsRequest(`${base}/api/auth/me`, { ca: root, headers: { authorization: `Bearer ${token}` } });
    expect(me.status).toBe(200);
    expect((JSON.parse(me.text) as { username: string }).username).toBe('duty');
    // The client trusts the root only: the intermediate came from caFile.
    expect(me.peer.fingerprint256).toBe(httpA.fingerprint256);
    expect(me.peer.chain).toStrictEqual(['http-a.gateway.test', 'campus-test-intermediate', 'campus-test-root']);
    const anonymous = await httpsRequest(`${base}/api/alarms`, { ca: root });
    expect(anonymous.status).toBe(401);
  });

  it('serves the dashboard index over TLS, with HSTS; plain HTTP sends no HSTS', async () => {
    const index = await httpsRequest(`${base}/`, { ca: root });
    expect(index.status).toBe(200);
    expect(index.headers['content-type']).toMatch(/^text\/html/);
    expect(index.text).toContain('<title>');
    expect(index.headers['strict-transport-security']).toBe('max-age=15552000');
    expect(index.headers['content-security-policy']).toContain("default-src 'self'");

    const overHttp = await fetch(`${plain.baseUrl}/`);
    expect(overHttp.status).toBe(200);
    expect(overHttp.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(overHttp.headers.get('strict-transport-security')).toBeNull();
  });

  it('refuses a plain-HTTP request on the HTTPS port (the token never crosses in clear)', async () => {
    await expect(fetch(`http://127.0.0.1:${t.httpPort}/api/health`, { signal: AbortSignal.timeout(10_000) })).rejects.toThrow();
  });

  it('carries /api/live over wss: a snapshot, then a press from a device over MQTT over wss', async () => {
    const { ws } = await openLive(await login('duty'));
    const snapshot = next(ws, 'snapshot');
    expect(Array.isArray((await snapshot).alarms)).toBe(true);
    const button = await connectAs(`wss://127.0.0.1:${t.httpPort}/mqtt`, 'sch-02-btn-1', { ca: root });
    const alarm = next(ws, 'alarm');
    await button.publishAsync('campus/v1/sch-02/sch-02-btn-1/event', JSON.stringify({ type: 'press' }), { qos: 1 });
    expect(((await alarm).alarm as { deviceId: string }).deviceId).toBe('sch-02-btn-1');
    await button.endAsync();
    ws.close();
  });

  it('streams a camera live view over wss', async () => {
    const token = await login('duty');
    const ws = new WebSocket(`wss://127.0.0.1:${t.httpPort}/api/cameras/sch-01-cam-1/live`, ['campus-camera.v1', `bearer.${token}`], { ca: root });
    const received: Buffer[] = [];
    const enough = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no picture in 30 s')), 30_000);
      ws.on('message', (d: Buffer) => {
        received.push(d);
        // The jsmpeg header, then at least one MPEG-TS packet (188 bytes, sync byte 0x47).
        if (received.length >= 2 && received.slice(1).some((m) => m[0] === 0x47)) {
          clearTimeout(timer);
          resolve();
        }
      });
      ws.once('error', reject);
    });
    await enough;
    expect(received[0]?.subarray(0, 4).toString()).toBe('jsmp');
    const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
    ws.close();
    await closed;
  }, 40_000);

  it('believes X-Forwarded-For only from http.trustProxy: the audit log names the client behind the proxy', async () => {
    // Behind a proxy on 127.0.0.1 that is trusted: the forwarded client is who logged in.
    const res = await fetch(`${plain.baseUrl}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.7', 'x-forwarded-proto': 'https' },
      body: JSON.stringify({ username: 'tech', password: 'demo-pass-tech' }),
    });
    expect(res.status).toBe(200);
    const proxied = (await plain.gw.store.auditEntries({ actor: 'tech', action: 'auth.login' })).map((e: AuditEntry) => e.ip);
    expect(proxied).toStrictEqual(['203.0.113.7']);
    // Without trustProxy the header is the client's word only: the peer address is recorded.
    await login('tester', { 'x-forwarded-for': '203.0.113.8' });
    const direct = (await t.gw.store.auditEntries({ actor: 'tester', action: 'auth.login' })).map((e: AuditEntry) => e.ip);
    expect(direct).toStrictEqual(['127.0.0.1']);
  });

  it('swaps both certificates on reload: new connections see the new ones, a WebSocket and an MQTT client opened before stay', async () => {
    const token = await login('duty');
    const before = await openLive(token);
    await next(before.ws, 'snapshot');
    const device = await connectAs(`mqtts://127.0.0.1:${t.gw.broker.tlsPort ?? 0}`, 'sch-03-btn-1', { ca: mqttTrust, servername: 'localhost' });
    expect(await mqttListenerCertificate()).toBe(mqttA.fingerprint256);
    const ok = t.gw.counters.get('tls.reload.ok');

    install(httpB, mqttB);
    const reloaded = await t.gw.reloadCertificates();
    expect(reloaded.http?.serialNumber).toBe(httpB.serialNumber);
    expect(reloaded.mqtt?.fingerprint256).toBe(mqttB.fingerprint256);
    expect(t.gw.counters.get('tls.reload.ok')).toBe(ok + 2);

    const fresh = await httpsRequest(`${base}/api/health`, { ca: root });
    expect(fresh.status).toBe(200);
    expect(fresh.peer.serialNumber).toBe(httpB.serialNumber);
    expect(fresh.peer.fingerprint256).toBe(httpB.fingerprint256);
    expect(await mqttListenerCertificate()).toBe(mqttB.fingerprint256);

    // Opened before the reload, still open and still fed: a press after it reaches the socket.
    expect(before.ws.readyState).toBe(WebSocket.OPEN);
    const alarm = next(before.ws, 'alarm');
    await device.publishAsync('campus/v1/sch-03/sch-03-btn-1/event', JSON.stringify({ type: 'press' }), { qos: 1 });
    expect(((await alarm).alarm as { deviceId: string }).deviceId).toBe('sch-03-btn-1');
    expect(device.connected).toBe(true);
    await device.endAsync();
    before.ws.close();
    expect(await before.closed).toBe(1005);
  });

  it('keeps the running certificate when a reload finds a bad file, with a coded error', async () => {
    const failed = t.gw.counters.get('tls.reload.failed');
    const serving = (await httpsRequest(`${base}/api/health`, { ca: root })).peer.fingerprint256;
    writeFileSync(live.httpKey, 'not a key\n');
    const err: unknown = await t.gw.reloadCertificates().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isGatewayError(err) && err.code).toBe('GW_ERR_CONFIG_INVALID');
    expect((err as Error).message).toContain('/http/tls/keyFile');
    expect(t.gw.counters.get('tls.reload.failed')).toBe(failed + 1);
    // The MQTT listener's files were fine: it reloaded all the same.
    expect(await mqttListenerCertificate()).toBe(mqttB.fingerprint256);
    expect((await httpsRequest(`${base}/api/health`, { ca: root })).peer.fingerprint256).toBe(serving);
    copyFileSync(httpB.key, live.httpKey);
  });
});

describe('certificate files at start', () => {
  /** What build() says about a configuration; nothing is started when it refuses. */
  async function buildError(overrides: Record<string, unknown>): Promise<{ code: string; message: string }> {
    const dataDir = tempDir();
    try {
      const loaded = loadConfig({ env: {}, overrides: { dataDir, log: { level: 'silent' }, ...overrides } });
      const gw = await build(loaded, { log: pino({ level: 'silent' }) }).catch((e: unknown) => e);
      if (isGatewayError(gw)) return { code: gw.code, message: gw.message };
      if (gw && typeof gw === 'object' && 'close' in gw) await (gw as { close(): Promise<void> }).close();
      throw new Error(`build() did not refuse the configuration: ${String(gw)}`);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }

  it('refuses a missing file, a key that is not the certificate’s and a file that is no certificate, naming the key', async () => {
    const missing = await buildError({ http: { tls: { certFile: join(pki.dir, 'nope.crt'), keyFile: httpA.key } } });
    expect(missing.code).toBe('GW_ERR_CONFIG_INVALID');
    expect(missing.message).toBe(`configuration is invalid: /http/tls/certFile: cannot read ${join(pki.dir, 'nope.crt')}: ENOENT: no such file or directory`);

    const mismatch = await buildError({ http: { tls: { certFile: httpA.cert, keyFile: httpB.key } } });
    expect(mismatch.code).toBe('GW_ERR_CONFIG_INVALID');
    expect(mismatch.message).toContain(`/http/tls/keyFile: ${httpB.key} is not the key of the certificate in ${httpA.cert}`);

    const notPem = await buildError({ http: { tls: { certFile: httpA.key, keyFile: httpA.key } } });
    expect(notPem.message).toContain(`/http/tls/certFile: ${httpA.key} holds no PEM certificate`);

    const mqttMissing = await buildError({ mqtt: { tls: { port: 0, certFile: mqttA.cert, keyFile: join(pki.dir, 'gone.key'), requireClientCert: false } } });
    expect(mqttMissing.code).toBe('GW_ERR_CONFIG_INVALID');
    expect(mqttMissing.message).toContain('/mqtt/tls/keyFile: cannot read');
  });
});
