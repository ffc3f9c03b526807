/**
 * One gateway node as a child process for `npm run cluster`: `gateway/main.ts` under tsx's
 * loader (no extra tsx process, so signals reach the gateway itself), in its own process group,
 * its JSON log written to a file. Ready when the gateway logs the line with its bound ports.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';

export interface GatewayNodeOptions {
  id: string;
  /** Repository root (cwd of the gateway, as for `npm start`). */
  root: string;
  env: Record<string, string>;
  logFile: string;
  /** Lines at this pino level or above are also handed to `echo` (errors: 50). */
  echoLevel?: number;
  echo?: (line: string) => void;
  readyTimeoutMs?: number;
  /** Called as soon as the process exists (before it is ready): for emergency stops. */
  onSpawn?: (child: ChildProcess) => void;
}

export interface GatewayNode {
  id: string;
  child: ChildProcess;
  pid: number;
  httpPort: number;
  mqttPort: number;
  exited: Promise<number | null>;
  running(): boolean;
  /** SIGTERM (the gateway stops cleanly within 10 s), then SIGKILL to its whole group. */
  stop(graceMs?: number): Promise<void>;
}

/** What a node needs to know of itself, as the environment `gateway/main.ts` reads. */
export interface NodePlace {
  id: string;
  /** The site file laid over config/default.yaml (GATEWAY_CONFIG). */
  site: string;
  dataDir: string;
  httpPort: number;
  mqttPort: number;
  databaseUrl: string;
  redisUrl?: string;
  /** The node's log level (info at least: startGatewayNode waits for the "listening" line). */
  logLevel?: string;
}

/** The environment of a node on loopback: its config, folder, ports, id and the cluster's engines; JSON logs. */
export function nodeEnv(n: NodePlace): Record<string, string> {
  return {
    GATEWAY_CONFIG: n.site,
    DATA_DIR: n.dataDir,
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: String(n.httpPort),
    MQTT_HOST: '127.0.0.1',
    MQTT_PORT: String(n.mqttPort),
    LOG_FORMAT: 'json',
    LOG_LEVEL: n.logLevel ?? 'info',
    CLUSTER_NODE_ID: n.id,
    DATABASE_URL: n.databaseUrl,
    ...(n.redisUrl !== undefined ? { REDIS_URL: n.redisUrl } : {}),
  };
}

export async function startGatewayNode(opts: GatewayNodeOptions): Promise<GatewayNode> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'gateway/main.ts'], {
    cwd: opts.root,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  opts.onSpawn?.(child);
  const log = createWriteStream(opts.logFile, { flags: 'a' });
  child.stderr?.pipe(log, { end: false });
  let tail = '';
  child.stderr?.on('data', (d: Buffer) => (tail = (tail + d.toString()).slice(-2000)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  void exited.then(() => log.end());
  const running = (): boolean => child.exitCode === null && child.signalCode === null;

  const ready = new Promise<{ httpPort: number; mqttPort: number }>((resolve, reject) => {
    const timeoutMs = opts.readyTimeoutMs ?? 120_000;
    const timer = setTimeout(() => reject(new Error(`${opts.id} not listening after ${timeoutMs} ms (log: ${opts.logFile})`)), timeoutMs);
    const rl = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    rl.on('line', (line) => {
      log.write(`${line}\n`);
      tail = (tail + line + '\n').slice(-2000);
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      if (typeof entry.level === 'number' && entry.level >= (opts.echoLevel ?? 50)) opts.echo?.(`${opts.id}: ${String(entry.msg)}`);
      if (typeof entry.httpPort === 'number' && typeof entry.mqttPort === 'number') {
        clearTimeout(timer);
        resolve({ httpPort: entry.httpPort, mqttPort: entry.mqttPort });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${opts.id} exited (${code}) before it was listening:\n${tail.trimEnd()}`));
    });
  });

  const stop = async (graceMs = 15_000): Promise<void> => {
    if (!running()) return;
    child.kill('SIGTERM');
    const pid = child.pid;
    const timer = setTimeout(() => {
      if (pid === undefined) return;
      try {
        process.kill(-pid, 'SIGKILL'); // the node's whole process group (ffmpeg children too)
      } catch {
        // gone meanwhile
      }
    }, graceMs);
    await exited;
    clearTimeout(timer);
  };

  try {
    const { httpPort, mqttPort } = await ready;
    return { id: opts.id, child, pid: child.pid ?? 0, httpPort, mqttPort, exited, running, stop };
  } catch (err) {
    await stop(2000);
    throw err;
  }
}
