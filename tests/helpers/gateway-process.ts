/**
 * Runs the gateway as its own process (as `npm start` does), for tests that kill it.
 * Ports are 0 (ephemeral) and read back from the gateway's own start-up log line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
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

export async function spawnGateway(env: Record<string, string>, args: string[] = [], timeoutMs = 30_000): Promise<GatewayProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'gateway/main.ts', ...args], {
    cwd: ROOT,
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
