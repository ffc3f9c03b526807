/**
 * HTTPS as the production entry runs it (gateway/main.ts in its own process): `kill -HUP`
 * swaps the certificate for new connections while an operator's /api/live stays open, a
 * SIGHUP that finds a bad file leaves the gateway running on the old one, and bad certificate
 * files at start end the process with one coded fatal line (exit 1), before anything listens.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { httpsRequest, makeTestPki, type ServerCertificate, type TestPki } from '../../helpers/certificates.js';
import { connectAs, eventually, tempDir } from '../../helpers/gateway.js';
import { spawnSimulatedGateway, type GatewayProcess } from '../../helpers/gateway-process.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
let pki: TestPki;
let root: Buffer;
let a: ServerCertificate;
let b: ServerCertificate;
let dataDir: string;
let certFile: string;
let keyFile: string;
let gw: GatewayProcess;

beforeAll(async () => {
  pki = await makeTestPki();
  root = readFileSync(pki.root);
  [a, b] = (await Promise.all([pki.server('proc-a'), pki.server('proc-b')])) as [ServerCertificate, ServerCertificate];
  certFile = join(pki.dir, 'live.crt');
  keyFile = join(pki.dir, 'live.key');
  copyFileSync(a.cert, certFile);
  copyFileSync(a.key, keyFile);
  dataDir = tempDir();
  gw = await spawnSimulatedGateway(dataDir, { http: { tls: { certFile, keyFile, caFile: pki.intermediate } }, mqtt: { persistence: 'memory' } }, [], 60_000);
}, 90_000);

afterAll(async () => {
  await gw?.kill('SIGTERM');
  rmSync(dataDir, { recursive: true, force: true });
  pki?.remove();
});

const logged = (msg: string) => gw.logs.filter((l) => typeof l.msg === 'string' && l.msg.startsWith(msg));

describe('SIGHUP', () => {
  it('swaps the certificate for new connections; the /api/live opened before stays open and fed', async () => {
    expect(gw.logs.find((l) => l.httpPort === gw.httpPort)?.https).toBe(true);
    const base = `https://127.0.0.1:${gw.httpPort}`;
    const login = await httpsRequest(`${base}/api/auth/login`, { ca: root, method: 'POST', body: JSON.stringify({ username: 'duty', password: 'demo-pass-duty' }) });
    expect(login.status).toBe(200);
    expect(login.peer.serialNumber).toBe(a.serialNumber);
    const { token } = JSON.parse(login.text) as { token: string };

    const ws = new WebSocket(`wss://127.0.0.1:${gw.httpPort}/api/live`, ['campus-live.v1', `bearer.${token}`], { ca: root });
    const types: string[] = [];
    let closedWith: number | undefined;
    ws.on('message', (d: Buffer) => types.push((JSON.parse(d.toString()) as { type: string }).type));
    ws.on('close', (code) => (closedWith = code));
    await eventually(() => types.includes('snapshot'));

    copyFileSync(b.cert, certFile);
    copyFileSync(b.key, keyFile);
    gw.child.kill('SIGHUP');
    const line = await eventually(() => logged('certificate reloaded')[0]);
    expect((line.certificate as { serialNumber: string }).serialNumber).toBe(b.serialNumber);

    const after = await httpsRequest(`${base}/api/health`, { ca: root });
    expect(after.status).toBe(200);
    expect(after.peer.serialNumber).toBe(b.serialNumber);
    expect(after.peer.fingerprint256).toBe(b.fingerprint256);
    // The socket from before the reload: open, and an alarm raised now still reaches it.
    expect(ws.readyState).toBe(WebSocket.OPEN);
    const button = await connectAs(gw.mqttUrl, 'sch-01-btn-1');
    await button.publishAsync('campus/v1/sch-01/sch-01-btn-1/event', JSON.stringify({ type: 'press' }), { qos: 1 });
    await button.endAsync();
    await eventually(() => types.includes('alarm'));
    expect(closedWith).toBeUndefined();
    expect(gw.child.exitCode).toBeNull();
    ws.close();
  }, 60_000);

  it('keeps running on the certificate it has when the files are bad, with a coded log line', async () => {
    writeFileSync(keyFile, 'garbage\n');
    gw.child.kill('SIGHUP');
    const line = await eventually(() => logged('reload failed')[0]);
    expect(line.code).toBe('GW_ERR_CONFIG_INVALID');
    expect(String(line.msg)).toContain('/http/tls/keyFile');
    expect(gw.child.exitCode).toBeNull();
    const still = await httpsRequest(`https://127.0.0.1:${gw.httpPort}/api/health`, { ca: root });
    expect(still.peer.serialNumber).toBe(b.serialNumber);
    copyFileSync(b.key, keyFile);
  });
});

describe('bad certificate files at start', () => {
  it('end the process with exit 1 and one coded fatal line naming the key', async () => {
    const dir = tempDir();
    const site = join(dir, 'site.yaml');
    const missing = join(dir, 'no-such.crt');
    writeFileSync(site, JSON.stringify({ http: { tls: { certFile: missing, keyFile } } }));
    const child = spawn(process.execPath, ['--import', 'tsx', 'gateway/main.ts'], {
      cwd: ROOT,
      env: { ...process.env, GATEWAY_CONFIG: site, DATA_DIR: dir, HTTP_PORT: '0', MQTT_PORT: '0', HTTP_HOST: '127.0.0.1', MQTT_HOST: '127.0.0.1', LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: Record<string, unknown>[] = [];
    createInterface({ input: child.stdout }).on('line', (l) => {
      try {
        lines.push(JSON.parse(l) as Record<string, unknown>);
      } catch {
        // not a log line
      }
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    clearTimeout(timer);
    rmSync(dir, { recursive: true, force: true });
    expect(code).toBe(1);
    const fatal = lines.filter((l) => l.level === 60);
    expect(fatal.map((l) => [l.code, l.msg])).toStrictEqual([['GW_ERR_CONFIG_INVALID', `configuration is invalid: /http/tls/certFile: cannot read ${missing}: ENOENT: no such file or directory`]]);
    // Refused before anything listened.
    expect(lines.some((l) => typeof l.httpPort === 'number')).toBe(false);
  }, 70_000);
});
