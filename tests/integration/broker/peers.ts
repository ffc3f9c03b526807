/**
 * Test peers for the broker's credential and TLS tests: a real mosquitto 2.x broker on a
 * loopback port with a password file we wrote, a standalone gateway Broker loaded from a small
 * configuration, and an openssl-made PKI (CA, server and device certificates) in a temp dir.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pino from 'pino';
import { Broker } from '../../../gateway/broker/broker.js';
import { loadConfig, type LoadedConfig } from '../../../gateway/config/load.js';
import { Counters } from '../../../gateway/core/counters.js';
import { Registry } from '../../../gateway/core/devices/registry.js';
import { certificateSerial } from '../../helpers/certificates.js';

export const run = promisify(execFile);

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as AddressInfo;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

export interface Mosquitto {
  port: number;
  stop(): Promise<void>;
}

/**
 * Starts mosquitto with `password_file` on 127.0.0.1 (mosquitto reads `listener 0` as a unix
 * socket, so a port is picked here and retried if someone took it in between).
 */
export async function startMosquitto(passwordFileText: string): Promise<Mosquitto> {
  const dir = mkdtempSync(join(tmpdir(), 'mosquitto-'));
  const pwFile = join(dir, 'passwd');
  writeFileSync(pwFile, passwordFileText, { mode: 0o600 });
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const conf = join(dir, 'mosquitto.conf');
    // Run as root here, mosquitto would drop to the `mosquitto` user, which cannot read the temp dir.
    const user = process.getuid?.() === 0 ? 'user root\n' : '';
    writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous false\npassword_file ${pwFile}\npersistence false\n${user}`);
    const child = spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    const up = await new Promise<boolean>((resolve) => {
      let out = '';
      const timer = setTimeout(() => resolve(false), 5000);
      const onData = (d: Buffer) => {
        out += d.toString();
        if (/mosquitto version [\d.]+ running/.test(out)) {
          clearTimeout(timer);
          resolve(true);
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve(false);
      });
    });
    if (up) {
      return {
        port,
        async stop() {
          await stopChild(child);
          rmSync(dir, { recursive: true, force: true });
        },
      };
    }
    await stopChild(child);
    if (attempt >= 2) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error('mosquitto did not start');
    }
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

export interface StandaloneBroker {
  broker: Broker;
  loaded: LoadedConfig;
  counters: Counters;
  url: string;
  stop(): Promise<void>;
}

/** The gateway's Broker alone, on 127.0.0.1:0, for a small configuration (sites, mqtt). */
export async function startStandaloneBroker(overrides: Record<string, unknown>): Promise<StandaloneBroker> {
  const dataDir = mkdtempSync(join(tmpdir(), 'broker-test-'));
  const loaded = loadConfig({
    files: [],
    env: {},
    overrides: { district: { id: 'test', name: '测试区' }, dataDir, ...overrides, mqtt: { host: '127.0.0.1', port: 0, persistence: 'memory', ...(overrides.mqtt as object) } },
  });
  const counters = new Counters();
  const broker = new Broker({ config: loaded.config, registry: new Registry(loaded.sites, loaded.devices), log: pino({ level: process.env.TEST_LOG ?? 'silent' }), counters, dataDir });
  await broker.start();
  await broker.listen();
  return {
    broker,
    loaded,
    counters,
    url: `mqtt://127.0.0.1:${broker.port}`,
    async stop() {
      await broker.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface Pki {
  dir: string;
  ca: string;
  serverCert: string;
  serverKey: string;
  /** Issues a client certificate with this subject CN, signed by our CA (or a foreign one). */
  client(cn: string, opts?: { foreign?: boolean }): Promise<{ cert: string; key: string }>;
  remove(): void;
}

/** A CA, a server certificate for 127.0.0.1, and a second, unrelated CA, made with the openssl CLI. */
export async function makePki(): Promise<Pki> {
  const dir = mkdtempSync(join(tmpdir(), 'pki-'));
  const p = (f: string) => join(dir, f);
  const ossl = (...args: string[]) => run('openssl', args, { cwd: dir });
  const newCa = async (name: string) => {
    await ossl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', p(`${name}.key`), '-out', p(`${name}.crt`), '-days', '2', '-subj', `/CN=${name}`);
  };
  const issue = async (name: string, cn: string, ca: string, ext?: string) => {
    await ossl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', p(`${name}.key`), '-out', p(`${name}.csr`), '-subj', `/CN=${cn}`);
    const extArgs = ext ? ['-extfile', p(`${name}.ext`)] : [];
    if (ext) writeFileSync(p(`${name}.ext`), ext);
    await ossl('x509', '-req', '-in', p(`${name}.csr`), '-CA', p(`${ca}.crt`), '-CAkey', p(`${ca}.key`), '-set_serial', certificateSerial(), '-out', p(`${name}.crt`), '-days', '2', ...extArgs);
  };
  await Promise.all([newCa('campus-ca'), newCa('other-ca')]);
  await issue('server', 'gateway.test', 'campus-ca', 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  return {
    dir,
    ca: p('campus-ca.crt'),
    serverCert: p('server.crt'),
    serverKey: p('server.key'),
    async client(cn, opts = {}) {
      const name = `${opts.foreign ? 'foreign-' : ''}${cn}`;
      await issue(name, cn, opts.foreign ? 'other-ca' : 'campus-ca', 'extendedKeyUsage=clientAuth\n');
      return { cert: p(`${name}.crt`), key: p(`${name}.key`) };
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
