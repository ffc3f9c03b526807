/**
 * HAProxy from the machine's packages in front of gateway nodes: one frontend per service, HTTP
 * in `mode http` (WebSocket upgrades pass through it as tunnels, `timeout tunnel`), MQTT and
 * DC-09 in `mode tcp`. Every backend server is health-checked over HTTP (`GET /api/health` on
 * the node's HTTP port, `check port`), so a node whose gateway stops answering is taken out of
 * every service at once, not only out of HTTP. Config written to a temp folder; `haproxy -db`
 * (foreground). Ready once its admin socket answers `show info`: HAProxy binds every frontend
 * before it serves that socket and exits if one bind fails, and `noreuseport` turns a port
 * another process holds into that failure instead of a silent share (SO_REUSEPORT).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADDRESS_IN_USE, BIND_RETRIES, EngineError, EngineProcess, waitUntil } from './engine-process.js';
import { outagePort } from '../../simulators/outage-port.js';

export interface HaproxyServer {
  name: string;
  host: string;
  port: number;
  /** HTTP port answering `healthPath` for this server; omitted: a TCP connect check on `port`. */
  healthPort?: number;
}

export interface HaproxyFrontend {
  /** [a-z0-9-]: names the frontend and its backend. */
  name: string;
  mode: 'http' | 'tcp';
  /** 0 or omitted: a free port. */
  port?: number;
  servers: HaproxyServer[];
  /** MQTT: leastconn spreads long-lived connections; HTTP: roundrobin. */
  balance?: 'roundrobin' | 'leastconn';
}

export interface HaproxyOptions {
  /** Own process group (see EngineProcess): for `npm run cluster`, which stops engines in order. */
  detached?: boolean;
  frontends: HaproxyFrontend[];
  host?: string;
  binary?: string;
  parentDir?: string;
  /** Checked path on every server's healthPort. */
  healthPath?: string;
  /** Check interval; a server is down after 2 failed checks and up after 1 good one. */
  checkIntervalMs?: number;
  /**
   * Idle time before HAProxy closes a client or server side: above 1.5 × the longest MQTT
   * keepalive [MQTT-3.1.2-24], or a quiet device is cut by the balancer instead of the broker.
   */
  idleTimeoutMs?: number;
  readyTimeoutMs?: number;
}

export interface HaproxyEngine {
  host: string;
  /** Bound port per frontend name. */
  ports: Record<string, number>;
  configPath: string;
  /** HAProxy's admin socket (`show stat`, `disable server`, …). */
  adminSocket: string;
  dir: string;
  pid(): number | undefined;
  /** Health of every backend server as HAProxy routes by it (UP, DOWN, MAINT…): `{ 'mqtt-nodes/node-1': 'UP' }`. */
  serverStates(): Promise<Record<string, string>>;
  stop(): Promise<void>;
  output(): string;
}

export function renderHaproxyConfig(opts: HaproxyOptions, ports: Record<string, number>, adminSocket?: string): string {
  const host = opts.host ?? '127.0.0.1';
  const healthPath = opts.healthPath ?? '/api/health';
  const inter = opts.checkIntervalMs ?? 1000;
  const idle = opts.idleTimeoutMs ?? 300_000;
  const lines = [
    'global',
    '  log stderr format raw local0 notice',
    '  noreuseport',
    ...(adminSocket ? [`  stats socket ${adminSocket} mode 600 level admin`] : []),
    '',
    'defaults',
    '  log global',
    '  timeout connect 5s',
    `  timeout client ${idle}ms`,
    `  timeout server ${idle}ms`,
    // WebSocket (live board, MQTT over WebSocket) once upgraded.
    '  timeout tunnel 1h',
    '  timeout http-request 10s',
    // A dead server's connections are re-dispatched to another one.
    '  retries 2',
    '  option redispatch',
  ];
  for (const fe of opts.frontends) {
    const http = fe.mode === 'http';
    const checked = fe.servers.some((s) => s.healthPort !== undefined);
    lines.push(
      '',
      `frontend ${fe.name}`,
      `  mode ${fe.mode}`,
      `  bind ${host}:${ports[fe.name]}`,
      ...(http ? ['  option forwardfor'] : []),
      `  default_backend ${fe.name}-nodes`,
      '',
      `backend ${fe.name}-nodes`,
      `  mode ${fe.mode}`,
      `  balance ${fe.balance ?? (http ? 'roundrobin' : 'leastconn')}`,
      // A TCP-mode backend can be checked over HTTP on another port (`check port`).
      ...(checked ? [`  option httpchk GET ${healthPath}`, '  http-check expect status 200'] : []),
      ...fe.servers.map(
        (s) => `  server ${s.name} ${s.host}:${s.port} check inter ${inter}ms fall 2 rise 1${s.healthPort !== undefined ? ` port ${s.healthPort}` : ''}`,
      ),
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Sends one command to HAProxy's admin socket; its answer ('' on failure). */
export function haproxyAdmin(socketPath: string, command: string, timeoutMs = 1000): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(socketPath);
    let out = '';
    s.setTimeout(timeoutMs, () => s.destroy());
    s.on('data', (b) => (out += b.toString()));
    s.once('error', () => resolve(''));
    s.once('close', () => resolve(out));
    s.once('connect', () => s.end(`${command}\n`));
  });
}

export async function startHaproxy(opts: HaproxyOptions): Promise<HaproxyEngine> {
  const host = opts.host ?? '127.0.0.1';
  const binary = opts.binary ?? 'haproxy';
  const readyTimeoutMs = opts.readyTimeoutMs ?? 10_000;
  for (const fe of opts.frontends) {
    if (!/^[a-z0-9-]+$/.test(fe.name)) throw new EngineError('haproxy', `frontend name '${fe.name}' must be [a-z0-9-]`);
  }
  const dir = await mkdtemp(join(opts.parentDir ?? tmpdir(), 'gw-haproxy-'));
  const configPath = join(dir, 'haproxy.cfg');
  const adminSocket = join(dir, 'admin.sock');
  const ports: Record<string, number> = {};
  let proc: EngineProcess | undefined;

  try {
    for (let attempt = 0; ; attempt++) {
      for (const fe of opts.frontends) ports[fe.name] = fe.port || (await outagePort(host));
      await writeFile(configPath, renderHaproxyConfig(opts, ports, adminSocket));
      const p = new EngineProcess('haproxy', binary, ['-f', configPath, '-db'], { cwd: dir, detached: opts.detached ?? false });
      proc = p;
      const serving = async (): Promise<boolean> => /^Pid: (\d+)$/m.exec(await haproxyAdmin(adminSocket, 'show info'))?.[1] === String(p.pid);
      const r = await waitUntil(serving, { timeoutMs: readyTimeoutMs, gone: () => !p.running });
      if (r === 'ready') break;
      await p.stop('SIGKILL');
      const inUse = r === 'gone' && ADDRESS_IN_USE.test(p.output());
      if (!inUse) throw new EngineError('haproxy', r === 'gone' ? 'haproxy exited while starting' : `not ready after ${readyTimeoutMs} ms`, p.output());
      if (opts.frontends.every((fe) => fe.port)) throw new EngineError('haproxy', `a configured port is in use (${Object.values(ports).join(', ')})`, p.output());
      if (attempt >= BIND_RETRIES) throw new EngineError('haproxy', 'free ports kept being taken before haproxy bound them', p.output());
    }
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }

  return {
    host,
    ports,
    configPath,
    adminSocket,
    dir,
    pid: () => (proc?.running ? proc.pid : undefined),
    serverStates: async () => {
      // `show stat` is CSV with a '# pxname,svname,…' header; frontends and BACKEND rows skipped.
      const [header = '', ...rows] = (await haproxyAdmin(adminSocket, 'show stat')).trim().split('\n');
      const cols = header.replace(/^# /, '').split(',');
      const at = (name: string): number => cols.indexOf(name);
      const states: Record<string, string> = {};
      for (const row of rows) {
        const f = row.split(',');
        const [px, sv, st] = [f[at('pxname')], f[at('svname')], f[at('status')]];
        // 'UP 1/2' is UP while checks are under way: the first word is what routing follows.
        if (px && sv && st && sv !== 'FRONTEND' && sv !== 'BACKEND') states[`${px}/${sv}`] = st.split(' ')[0] ?? st;
      }
      return states;
    },
    stop: async () => {
      // SIGTERM: hard stop (SIGUSR1 would wait for every MQTT connection to end).
      await proc?.stop('SIGTERM', 5000);
      await rm(dir, { recursive: true, force: true });
    },
    output: () => proc?.output() ?? '',
  };
}
