/**
 * Starts a real InfluxDB 1.x server (Debian's /usr/bin/influxd) for integration tests and the
 * chaos scenarios (`influx down` / `influx up`): loopback only, ephemeral ports, a throw-away
 * data dir. `restart()` keeps data and port (a server coming back after an outage), `kill()` is
 * a crash (SIGKILL, data kept), `pause()`/`resume()` freeze the process (SIGSTOP/SIGCONT) so the
 * kernel still accepts connections but nothing answers: a slow, hung server rather than a dead one.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { outagePort } from './outage-port.js';

export interface InfluxdHandle {
  url: string;
  port: number;
  dataDir: string;
  /** Kills the server and removes its data dir. */
  stop(): Promise<void>;
  /** Stops (if running) and starts again on the same port over the same data. */
  restart(): Promise<void>;
  /** SIGKILL; data dir kept so restart() can follow. */
  kill(): Promise<void>;
  /** Freeze the process: connections are accepted by the kernel but never answered. */
  pause(): void;
  resume(): void;
  /** Last lines influxd printed (for failure messages). */
  output(): string;
}

export interface InfluxdOptions {
  binary?: string;
  /** How long to wait for /ping to answer 204. */
  readyTimeoutMs?: number;
}

const execFileP = promisify(execFile);
const MAX_OUTPUT = 16_384;

/** Sets `key = value` inside `[section]` ('' = top level, before the first header). */
export function setTomlKey(text: string, section: string, key: string, value: string): string {
  const lines = text.split('\n');
  let current = '';
  let sectionStart = section === '' ? 0 : -1;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const header = /^\s*\[\[?([^\]]+)\]\]?\s*$/.exec(line);
    if (header) {
      if (current === section && sectionStart >= 0 && section !== '') break;
      current = line.trim().startsWith('[[') ? `[${header[1]}]` : (header[1] ?? '');
      if (current === section) sectionStart = i + 1;
      if (section === '') break;
      continue;
    }
    if (current === section && new RegExp(`^\\s*${key}\\s*=`).test(line)) {
      lines[i] = `${line.match(/^\s*/)?.[0] ?? ''}${key} = ${value}`;
      return lines.join('\n');
    }
  }
  if (sectionStart < 0) {
    lines.push(`[${section}]`);
    sectionStart = lines.length;
  }
  lines.splice(sectionStart, 0, `  ${key} = ${value}`);
  return lines.join('\n');
}

function renderConfig(base: string, dir: string, port: number, rpcPort: number): string {
  const q = (s: string): string => JSON.stringify(s);
  const edits: [string, string, string][] = [
    ['', 'reporting-enabled', 'false'],
    ['', 'bind-address', q(`127.0.0.1:${rpcPort}`)],
    ['meta', 'dir', q(join(dir, 'meta'))],
    ['meta', 'logging-enabled', 'false'],
    ['data', 'dir', q(join(dir, 'data'))],
    ['data', 'wal-dir', q(join(dir, 'wal'))],
    ['data', 'query-log-enabled', 'false'],
    ['monitor', 'store-enabled', 'false'],
    ['http', 'bind-address', q(`127.0.0.1:${port}`)],
    ['http', 'log-enabled', 'false'],
    ['http', 'pprof-enabled', 'false'],
    ['logging', 'level', q('warn')],
    ['logging', 'suppress-logo', 'true'],
    ['continuous_queries', 'log-enabled', 'false'],
  ];
  return edits.reduce((t, [s, k, v]) => setTomlKey(t, s, k, v), base);
}

async function pingOnce(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(1000) });
    return res.status === 204;
  } catch {
    return false;
  }
}

export async function startInfluxd(opts: InfluxdOptions = {}): Promise<InfluxdHandle> {
  const binary = opts.binary ?? '/usr/bin/influxd';
  const readyTimeoutMs = opts.readyTimeoutMs ?? 20_000;
  const dir = await mkdtemp(join(tmpdir(), 'influxd-test-'));
  const configPath = join(dir, 'influxdb.conf');
  const { stdout: baseConfig } = await execFileP(binary, ['config'], { maxBuffer: 1 << 20 });
  let out = '';
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let port = 0;

  const launch = async (): Promise<'ready' | 'addr-in-use'> => {
    const proc = spawn(binary, ['run', '-config', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    let gone = false;
    exited = new Promise((resolve) => proc.once('exit', () => {
      gone = true;
      resolve();
    }));
    const collect = (b: Buffer): void => {
      out = (out + b.toString()).slice(-MAX_OUTPUT);
    };
    proc.stdout?.on('data', collect);
    proc.stderr?.on('data', collect);
    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + readyTimeoutMs;
    while (Date.now() < deadline) {
      if (gone) return /address already in use/i.test(out) ? 'addr-in-use' : fail(`influxd exited early`);
      if (await pingOnce(url)) return 'ready';
      await new Promise((r) => setTimeout(r, 50));
    }
    proc.kill('SIGKILL');
    await exited;
    return fail(`influxd not ready after ${readyTimeoutMs} ms`);
  };

  const fail = (msg: string): never => {
    throw new Error(`GW_ERR_TEST_INFLUXD: ${msg}\n${out}`);
  };

  const terminate = async (signal: NodeJS.Signals): Promise<void> => {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill('SIGCONT');
    proc.kill(signal);
    const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };

  // Ports are checked free, outside the system's ephemeral range (restart() needs them again:
  // outage-port.ts), then released for influxd: another process may grab one in between, so an
  // EADDRINUSE exit is retried with fresh ports.
  for (let attempt = 0; ; attempt++) {
    port = await outagePort();
    const rpcPort = await outagePort();
    await writeFile(configPath, renderConfig(baseConfig, dir, port, rpcPort));
    try {
      if ((await launch()) === 'ready') break;
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
    if (attempt >= 5) {
      await rm(dir, { recursive: true, force: true });
      fail('ports kept being taken');
    }
  }

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    dataDir: dir,
    output: () => out,
    stop: async () => {
      await terminate('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    },
    kill: () => terminate('SIGKILL'),
    restart: async () => {
      await terminate('SIGTERM');
      const r = await launch();
      if (r !== 'ready') fail(`port ${port} taken while restarting`);
    },
    pause: () => {
      child?.kill('SIGSTOP');
    },
    resume: () => {
      child?.kill('SIGCONT');
    },
  };
}
