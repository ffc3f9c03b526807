/**
 * Runs the gateway as its own process (as `npm start` does), for tests that kill it.
 * Ports are 0 (ephemeral) and read back from the gateway's own start-up log line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mergeLayers } from '../../gateway/config/load.js';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { operatorApi, type OperatorApi } from './operator-api.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface GatewayProcess extends OperatorApi {
  child: ChildProcess;
  httpPort: number;
  mqttPort: number;
  baseUrl: string;
  mqttUrl: string;
  /** Every log line so far (JSON objects). */
  logs: Record<string, unknown>[];
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface SpawnOptions {
  /** Node arguments that run the gateway; default: its sources through tsx. */
  entry?: string[];
  cwd?: string;
}

export async function spawnGateway(env: Record<string, string>, args: string[] = [], timeoutMs = 30_000, opts: SpawnOptions = {}): Promise<GatewayProcess> {
  const child = spawn(process.execPath, [...(opts.entry ?? ['--import', 'tsx', 'gateway/main.ts']), ...args], {
    cwd: opts.cwd ?? ROOT,
    env: { ...process.env, HTTP_PORT: '0', MQTT_PORT: '0', HTTP_HOST: '127.0.0.1', MQTT_HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = new Promise<{ httpPort: number; mqttPort: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start in ${timeoutMs} ms: ${stderr.slice(-500)}`)), timeoutMs);
    const rl = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    rl.on('line', (line) => {
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      logs.push(entry);
      if (typeof entry.httpPort === 'number' && typeof entry.mqttPort === 'number') {
        clearTimeout(timer);
        resolve({ httpPort: entry.httpPort, mqttPort: entry.mqttPort });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited (${code}) before it was ready: ${stderr.slice(-500)}`));
    });
  });
  const { httpPort, mqttPort } = await ready;
  const baseUrl = `http://127.0.0.1:${httpPort}`;
  return {
    ...operatorApi(baseUrl),
    child,
    httpPort,
    mqttPort,
    baseUrl,
    mqttUrl: `mqtt://127.0.0.1:${mqttPort}`,
    logs,
    async kill(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      return exited;
    },
  };
}

/**
 * Every far end (110 receivers, SMS centre, Modbus controller, camera fleet) and the DC-09 panel
 * receiver on port 0: with --simulate the gateway starts them on ephemeral ports and points its
 * adapters there, so simulated gateways run side by side without colliding.
 */
export const EPHEMERAL_FAR_ENDS = {
  adapters: {
    'alarm-centre-dc09': { primary: { host: '127.0.0.1', port: 0 }, secondary: { host: '127.0.0.1', port: 0 } },
    'barrier-modbus': { controllers: { 'district-plc': { host: '127.0.0.1', port: 0 } } },
    'camera-onvif': { endpoints: { 'district-nvr': { host: '127.0.0.1', port: 0 } } },
    'panel-dc09': { host: '127.0.0.1', port: 0 },
    'camera-gb28181': { host: '127.0.0.1', port: 0 },
    'sms-smpp': { host: '127.0.0.1', port: 0 },
  },
};

/**
 * `npm start` as its own process: the gateway with `args` (default --simulate: the whole default
 * district and its far ends) on ephemeral ports, data in `dataDir`, `overrides` laid over
 * EPHEMERAL_FAR_ENDS in its site file; with --simulate, resolves once the district is online.
 * Without --simulate only the gateway's own listeners (DC-09 panel receiver, GB/T 28181 SIP server) are put on port 0.
 */
export async function spawnSimulatedGateway(
  dataDir: string,
  overrides: Record<string, unknown> = {},
  args = ['--simulate'],
  timeoutMs = 90_000,
  opts: SpawnOptions & { env?: Record<string, string> } = {},
): Promise<GatewayProcess> {
  const site = join(dataDir, 'site.yaml');
  // JSON is YAML.
  const simulate = args.includes('--simulate');
  const base = simulate ? EPHEMERAL_FAR_ENDS : { adapters: { 'panel-dc09': EPHEMERAL_FAR_ENDS.adapters['panel-dc09'], 'camera-gb28181': EPHEMERAL_FAR_ENDS.adapters['camera-gb28181'] } };
  writeFileSync(site, JSON.stringify(mergeLayers(base, overrides)));
  const proc = await spawnGateway({ DATA_DIR: dataDir, GATEWAY_CONFIG: site, ...opts.env }, args, timeoutMs, opts);
  const deadline = Date.now() + timeoutMs;
  // The district connects after the gateway listens: its 'ready' line says it is online.
  while (simulate && !proc.logs.some((l) => typeof l.msg === 'string' && l.msg.startsWith('ready:'))) {
    if (proc.child.exitCode !== null || Date.now() > deadline) {
      await proc.kill('SIGKILL');
      throw new Error('the simulated district did not come online');
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return proc;
}
