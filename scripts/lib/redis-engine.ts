/**
 * A throw-away Redis server from the machine's packages (`redis-server`), on 127.0.0.1 only,
 * its working folder in a temp dir. No snapshots while it runs (`--save ''`, no AOF); halt()
 * asks for `SHUTDOWN SAVE`, so start() comes back on the same port with the same data (an
 * outage, not a wipe); pause()/resume() freeze the process (SIGSTOP/SIGCONT): the kernel still
 * accepts connections but nothing answers, a hung server rather than a dead one.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADDRESS_IN_USE, BIND_RETRIES, EngineError, EngineProcess, waitUntil } from './engine-process.js';
import { outagePort } from '../../simulators/outage-port.js';

export interface RedisOptions {
  /** Own process group (see EngineProcess): for `npm run cluster`, which stops engines in order. */
  detached?: boolean;
  /** Fixed port; omitted or 0: a free one (retried if taken before Redis binds it). */
  port?: number;
  host?: string;
  binary?: string;
  parentDir?: string;
  readyTimeoutMs?: number;
}

export interface RedisEngine {
  /** redis://host:port */
  url: string;
  host: string;
  port: number;
  dir: string;
  pid(): number | undefined;
  /** SHUTDOWN SAVE: data written to the folder, port kept for start(). */
  halt(): Promise<void>;
  /** Starts the halted server again on the same port, loading what halt() saved. */
  start(): Promise<void>;
  /** SIGSTOP: connections hang instead of failing. */
  pause(): void;
  resume(): void;
  /** Ends the server and removes the folder. */
  stop(): Promise<void>;
  output(): string;
}

/**
 * Sends one command in RESP and resolves with the reply: a status/error/integer line without its
 * type byte, a bulk string's content, or '' when the connection failed, closed or timed out.
 * (Arrays are not needed by the launcher.)
 */
export function redisCommand(port: number, args: string[], host = '127.0.0.1', timeoutMs = 1000): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    let buf = Buffer.alloc(0);
    let settled = false;
    const done = (reply: string): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(reply);
    };
    const parse = (): string | undefined => {
      const eol = buf.indexOf('\r\n');
      if (eol < 0) return undefined;
      const line = buf.subarray(1, eol).toString();
      if (buf[0] !== 0x24 /* $ */) return line;
      const len = Number(line);
      if (len < 0) return '';
      return buf.length >= eol + 2 + len ? buf.subarray(eol + 2, eol + 2 + len).toString() : undefined;
    };
    socket.setTimeout(timeoutMs, () => done(''));
    socket.once('error', () => done(''));
    socket.once('close', () => done(''));
    socket.on('data', (b: Buffer) => {
      buf = Buffer.concat([buf, b]);
      const reply = parse();
      if (reply !== undefined) done(reply);
    });
    socket.once('connect', () => socket.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`));
  });
}

export async function startRedis(opts: RedisOptions = {}): Promise<RedisEngine> {
  const host = opts.host ?? '127.0.0.1';
  const binary = opts.binary ?? 'redis-server';
  const readyTimeoutMs = opts.readyTimeoutMs ?? 10_000;
  const dir = await mkdtemp(join(opts.parentDir ?? tmpdir(), 'gw-redis-'));
  let port = opts.port ?? 0;
  let proc: EngineProcess | undefined;

  const launch = async (): Promise<'ready' | 'addr-in-use'> => {
    const args = ['--bind', host, '--port', String(port), '--dir', dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--loglevel', 'warning'];
    const p = new EngineProcess('redis', binary, args, { cwd: dir, detached: opts.detached ?? false });
    proc = p;
    // Ready = *this* process answers (another server may hold a port that was free when picked).
    const ours = async (): Promise<boolean> => new RegExp(`\\bprocess_id:${p.pid}\\b`).test(await redisCommand(port, ['INFO', 'server'], host));
    const r = await waitUntil(ours, { timeoutMs: readyTimeoutMs, gone: () => !p.running });
    if (r === 'ready') return 'ready';
    await p.stop('SIGKILL');
    if (r === 'gone' && ADDRESS_IN_USE.test(p.output())) return 'addr-in-use';
    throw new EngineError('redis', r === 'gone' ? 'redis-server exited while starting' : `not ready after ${readyTimeoutMs} ms`, p.output());
  };

  try {
    const fixed = port !== 0;
    for (let attempt = 0; ; attempt++) {
      if (!fixed) port = await outagePort(host);
      if ((await launch()) === 'ready') break;
      if (fixed) throw new EngineError('redis', `port ${port} is in use`, proc?.output());
      if (attempt >= BIND_RETRIES) throw new EngineError('redis', 'free ports kept being taken before redis-server bound them', proc?.output());
    }
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }

  const halt = async (): Promise<void> => {
    const p = proc;
    if (!p?.running) return;
    p.signal('SIGCONT');
    // The connection closes without a reply when the shutdown succeeds; SIGTERM if it did not.
    await redisCommand(port, ['SHUTDOWN', 'SAVE'], host, 5000);
    await Promise.race([p.exited, new Promise((r) => setTimeout(r, 5000))]);
    await p.stop('SIGTERM', 5000);
  };

  return {
    get url() {
      return `redis://${host}:${port}`;
    },
    host,
    get port() {
      return port;
    },
    dir,
    pid: () => (proc?.running ? proc.pid : undefined),
    halt,
    start: async () => {
      if (proc?.running) return;
      if ((await launch()) !== 'ready') throw new EngineError('redis', `port ${port} was taken while the server was down`, proc?.output());
    },
    pause: () => proc?.signal('SIGSTOP'),
    resume: () => proc?.signal('SIGCONT'),
    stop: async () => {
      await proc?.stop('SIGTERM', 5000);
      await rm(dir, { recursive: true, force: true });
    },
    output: () => proc?.output() ?? '',
  };
}
