/**
 * `npm run cluster` (scripts/cluster.ts) end to end: two nodes behind HAProxy on free,
 * non-default ports, a site file honoured, HTTP and MQTT answered through the balancer, a device
 * on one node heard by a client on the other, then SIGINT: every process it started is gone,
 * every port free again, every folder removed.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { outagePort } from '../../../simulators/outage-port.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

interface State {
  runDir: string;
  balancer: { host: string; http: number; mqtt: number; dc09: number };
  nodes: { id: string; pid: number; http: number; mqtt: number; dc09: number }[];
  postgres: { pid: number; url: string; dir: string };
  redis: { pid: number; url: string; dir: string };
  haproxy: { pid: number; dir: string };
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * Processes whose command line, environment or working folder mentions `text`: PostgreSQL names
 * its folder on the command line, Redis and HAProxy run in theirs, nodes get theirs in DATA_DIR.
 */
function processesMentioning(text: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d) && Number(d) !== process.pid)) {
    for (const file of ['cmdline', 'environ', 'cwd']) {
      try {
        const what = file === 'cwd' ? readlinkSync(`/proc/${pid}/cwd`) : readFileSync(`/proc/${pid}/${file}`, 'utf8').replace(/\0/g, ' ');
        if (what.includes(text)) found.push(`${pid} ${file}: ${what.slice(0, 200)}`);
      } catch {
        // gone meanwhile, or not ours to read
      }
    }
  }
  return found;
}

function runScript(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/cluster.ts', ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const run = { child, out: '', exited: new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code))) };
  child.stdout?.on('data', (d: Buffer) => (run.out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (run.out += d.toString()));
  return run;
}

async function waitFor(cond: () => boolean, what: string, timeoutMs: number, out: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`${what} not seen in ${timeoutMs} ms:\n${out()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const portFree = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });

const work = mkdtempSync(join(tmpdir(), 'cluster-script-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('npm run cluster', () => {
  it('starts PostgreSQL, Redis, HAProxy and 2 nodes, answers through the balancer, and SIGINT leaves nothing behind', { timeout: 240_000 }, async () => {
    const [http, mqttPort, dc09] = [await outagePort(), await outagePort(), await outagePort()];
    const site = join(work, 'site.yaml');
    writeFileSync(site, 'district:\n  id: cluster-test\n  name: 集群测试区\n');
    const stateFile = join(work, 'state.json');
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/cluster.ts', '--nodes', '2', '--http-port', String(http), '--mqtt-port', String(mqttPort), '--dc09-port', String(dc09), '--state', stateFile], {
      cwd: ROOT,
      env: { ...process.env, GATEWAY_CONFIG: site },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    let state: State | undefined;
    try {
      const deadline = Date.now() + 180_000;
      while (!existsSync(stateFile)) {
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`cluster did not get ready:\n${out}`);
        await new Promise((r) => setTimeout(r, 250));
      }
      state = JSON.parse(readFileSync(stateFile, 'utf8')) as State;
      expect(out).toMatch(/cluster ready: 2 node\(s\) behind HAProxy/);
      expect(state.nodes.map((n) => n.id)).toStrictEqual(['node-1', 'node-2']);

      // HTTP through HAProxy, with the site file's district.
      const res = await fetch(`http://127.0.0.1:${http}/api/health`);
      expect(res.status).toBe(200);
      expect(((await res.json()) as { district: string }).district).toBe('集群测试区');

      // MQTT: a client on node 2 hears a device on node 1 (Redis), and a device connects through HAProxy.
      const watcher = await mqtt.connectAsync(`mqtt://127.0.0.1:${state.nodes[1]?.mqtt}`, { username: 'integrator', password: 'demo-pass-integrator', protocolVersion: 4, reconnectPeriod: 0 });
      await watcher.subscribeAsync('campus/v1/+/+/status', { qos: 1 });
      const heard = new Promise<string>((resolve) => watcher.once('message', (t, p) => resolve(`${t} ${p.toString()}`)));
      const device = await mqtt.connectAsync(`mqtt://127.0.0.1:${state.nodes[0]?.mqtt}`, { clientId: 'sch-01-btn-1', username: 'sch-01-btn-1', password: 'demo-pass-sch-01-btn-1', protocolVersion: 4, reconnectPeriod: 0 });
      await device.publishAsync('campus/v1/sch-01/sch-01-btn-1/status', 'online', { qos: 1 });
      expect(await heard).toBe('campus/v1/sch-01/sch-01-btn-1/status online');
      const viaLb = await mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, { clientId: 'sch-02-btn-1', username: 'sch-02-btn-1', password: 'demo-pass-sch-02-btn-1', protocolVersion: 4, reconnectPeriod: 0 });
      await viaLb.publishAsync('campus/v1/sch-02/sch-02-btn-1/status', 'online', { qos: 1 });
      await Promise.all([watcher.endAsync(), device.endAsync(), viaLb.endAsync()]);
    } finally {
      const t0 = Date.now();
      child.kill('SIGINT');
      const code = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 60_000))]);
      if (code === 'hung') child.kill('SIGKILL');
      expect({ code, out: code === 0 ? '' : out }).toStrictEqual({ code: 0, out: '' });
      expect(Date.now() - t0).toBeLessThan(30_000);
    }
    expect(out).toMatch(/cluster stopped/);
    const pids = [...state.nodes.map((n) => n.pid), state.postgres.pid, state.redis.pid, state.haproxy.pid];
    expect(pids.filter(alive)).toStrictEqual([]);
    for (const dir of [state.runDir, state.postgres.dir, state.redis.dir, state.haproxy.dir]) {
      expect(existsSync(dir)).toBe(false);
      expect(processesMentioning(dir)).toStrictEqual([]);
    }
    const ports = [http, mqttPort, dc09, ...state.nodes.flatMap((n) => [n.http, n.mqtt, n.dc09]), Number(new URL(state.postgres.url).port), Number(new URL(state.redis.url).port)];
    expect((await Promise.all(ports.map(portFree))).every(Boolean)).toBe(true);
  });

  it('stops what it started when a balancer port is taken (exit 1), and when Ctrl-C comes while nodes start (exit 0)', { timeout: 240_000 }, async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const takenPort = (taken.address() as { port: number }).port;
    try {
      const failing = runScript(['--nodes', '1', '--http-port', String(takenPort), '--mqtt-port', String(await outagePort()), '--dc09-port', String(await outagePort())]);
      expect(await failing.exited).toBe(1);
      expect(failing.out).toMatch(/cluster did not start: haproxy: a configured port is in use/);
      const runDir = /run folder (\S+)\)/.exec(failing.out)?.[1] ?? 'no run folder';
      const engineDirs = [...failing.out.matchAll(/\(folder (\S+)\)/g)].map((m) => m[1] ?? '');
      expect(engineDirs).toHaveLength(2);
      for (const dir of [runDir, ...engineDirs]) {
        expect(existsSync(dir)).toBe(false);
        expect(processesMentioning(dir)).toStrictEqual([]);
      }
    } finally {
      await new Promise((r) => taken.close(r));
    }

    const interrupted = runScript(['--nodes', '2', '--http-port', String(await outagePort()), '--mqtt-port', String(await outagePort()), '--dc09-port', String(await outagePort())]);
    await waitFor(() => interrupted.out.includes('starting 2 gateway node(s)'), 'node start', 120_000, () => interrupted.out);
    interrupted.child.kill('SIGINT');
    expect(await interrupted.exited).toBe(0);
    expect(interrupted.out).toMatch(/cluster stopped/);
    const runDir = /run folder (\S+)\)/.exec(interrupted.out)?.[1] ?? 'no run folder';
    const engineDirs = [...interrupted.out.matchAll(/\(folder (\S+)\)/g)].map((m) => m[1] ?? '');
    expect(engineDirs).toHaveLength(2);
    for (const dir of [runDir, ...engineDirs]) {
      expect(existsSync(dir)).toBe(false);
      expect(processesMentioning(dir)).toStrictEqual([]);
    }
  });
});
