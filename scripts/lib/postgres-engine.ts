/**
 * A throw-away PostgreSQL server from the machine's packages: initdb with trust authentication
 * for one superuser (`gw`) in a temp folder, the server on 127.0.0.1 and a unix socket inside
 * that folder, one database created. PostgreSQL refuses to run as root ("root" execution of the
 * PostgreSQL server is not permitted): started as root, initdb and the server run as the
 * `postgres` account, the folder owned by it. The processes are spawned with that uid/gid
 * directly (what `runuser -u postgres --` does, minus the extra process in between), so a signal
 * reaches the postmaster itself.
 *
 * Ready means a client connected and ran a query, never a sleep. halt()/start() stop and start
 * the same server on the same port over the same data (an outage); stop() ends it and removes
 * the folder.
 */
import { chown, mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { ADDRESS_IN_USE, BIND_RETRIES, EngineError, EngineProcess, isRoot, systemAccount, waitUntil } from './engine-process.js';
import { outagePort } from '../../simulators/outage-port.js';

export interface PostgresOptions {
  /** Own process group (see EngineProcess): for `npm run cluster`, which stops engines in order. */
  detached?: boolean;
  /** Fixed port; omitted or 0: a free one (retried if someone takes it before the server binds). */
  port?: number;
  host?: string;
  /** The superuser initdb creates (trust authentication). */
  user?: string;
  /** Created at first start. */
  database?: string;
  /** Where the throw-away folder is made; os.tmpdir() by default. */
  parentDir?: string;
  /**
   * false turns fsync, full-page writes and synchronous commit off: faster tests, but a crash of
   * the machine loses data. Default true.
   */
  durable?: boolean;
  /** Folder with initdb and postgres; PG_BIN_DIR or the newest /usr/lib/postgresql/N/bin. */
  binDir?: string;
  /** The account that runs the server when this process is root. */
  osUser?: string;
  readyTimeoutMs?: number;
  /** More `-c name=value` server settings. */
  settings?: Record<string, string | number>;
}

export interface PostgresEngine {
  /** postgres://user@host:port/database */
  url: string;
  host: string;
  port: number;
  user: string;
  database: string;
  /** The throw-away folder (data in `dataDir`, the unix socket directly in it). */
  dir: string;
  dataDir: string;
  socketDir: string;
  /** The postmaster's pid while it runs. */
  pid(): number | undefined;
  /** URL of another database on this server. */
  urlFor(database: string): string;
  /** Fast shutdown (SIGINT: sessions rolled back, clean checkpoint); data and port kept. */
  halt(): Promise<void>;
  /** Starts the halted server again on the same port and data. */
  start(): Promise<void>;
  /** Halts if running and removes the folder. */
  stop(): Promise<void>;
  /** The server's last output (for failure messages). */
  output(): string;
}

/** The newest installed PostgreSQL's bin folder (Debian: /usr/lib/postgresql/<major>/bin). */
export async function postgresBinDir(): Promise<string> {
  if (process.env.PG_BIN_DIR) return process.env.PG_BIN_DIR;
  const root = '/usr/lib/postgresql';
  const majors = (await readdir(root).catch(() => [] as string[])).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
  for (const major of majors) {
    const bin = join(root, major, 'bin');
    if (await stat(join(bin, 'postgres')).then(() => true, () => false)) return bin;
  }
  throw new EngineError('postgres', `no PostgreSQL server under ${root} (apt-get install postgresql) and PG_BIN_DIR is not set`);
}

/** Runs one statement; the first row's first value, or undefined when anything failed. */
async function queryOnce(url: string, sql: string): Promise<unknown> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  // A server shutting down can drop the socket after connect: 'error' must have a listener.
  client.on('error', () => undefined);
  try {
    await client.connect();
    const res = await client.query({ text: sql, rowMode: 'array' });
    return (res.rows[0] as unknown[] | undefined)?.[0] ?? null;
  } catch {
    return undefined;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function startPostgres(opts: PostgresOptions = {}): Promise<PostgresEngine> {
  const host = opts.host ?? '127.0.0.1';
  const user = opts.user ?? 'gw';
  const database = opts.database ?? 'gateway';
  const readyTimeoutMs = opts.readyTimeoutMs ?? 30_000;
  const binDir = opts.binDir ?? (await postgresBinDir());
  const account = isRoot() ? systemAccount(opts.osUser ?? 'postgres') : undefined;
  const dir = await mkdtemp(join(opts.parentDir ?? tmpdir(), 'gw-postgres-'));
  const dataDir = join(dir, 'data');
  // Spawned as `account`: the folder must be theirs, and the working directory one they can enter.
  const spawnAs = { cwd: dir, ...(account ?? {}), env: { ...process.env, LC_ALL: 'C', LANG: 'C' }, detached: opts.detached ?? false };
  let proc: EngineProcess | undefined;
  let port = opts.port ?? 0;
  const urlFor = (db: string): string => `postgres://${encodeURIComponent(user)}@${host}:${port}/${encodeURIComponent(db)}`;

  const settings: Record<string, string | number> = {
    listen_addresses: host,
    unix_socket_directories: dir,
    ...(opts.durable === false ? { fsync: 'off', full_page_writes: 'off', synchronous_commit: 'off' } : {}),
    ...opts.settings,
  };

  const launch = async (): Promise<'ready' | 'addr-in-use'> => {
    const args = ['-D', dataDir, '-p', String(port), ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
    const p = new EngineProcess('postgres', join(binDir, 'postgres'), args, spawnAs);
    proc = p;
    // Ready = *this* server answers: another one may already listen on a port that was free when
    // picked, and would answer SELECT 1 while ours exits with "Address already in use".
    const ours = async (): Promise<boolean> => (await queryOnce(urlFor('postgres'), `SELECT current_setting('data_directory')`)) === dataDir;
    const r = await waitUntil(ours, { timeoutMs: readyTimeoutMs, intervalMs: 100, gone: () => !p.running });
    if (r === 'ready') return 'ready';
    await p.stop('SIGQUIT', 5000);
    if (r === 'gone' && ADDRESS_IN_USE.test(p.output())) return 'addr-in-use';
    throw new EngineError('postgres', r === 'gone' ? 'the server exited while starting' : `not ready after ${readyTimeoutMs} ms`, p.output());
  };

  try {
    if (account) await chown(dir, account.uid, account.gid);
    await mkdir(dataDir, { mode: 0o700 });
    if (account) await chown(dataDir, account.uid, account.gid);
    // -N: no fsync of the new cluster (it is thrown away); --auth=trust: loopback only, no password.
    const init = new EngineProcess('initdb', join(binDir, 'initdb'), ['-D', dataDir, '-U', user, '--auth=trust', '-E', 'UTF8', '--locale=C', '-N'], spawnAs);
    await init.exited;
    if (init.child.exitCode !== 0) throw new EngineError('initdb', `exited with ${init.child.exitCode ?? init.child.signalCode}`, init.output());

    const fixed = port !== 0;
    for (let attempt = 0; ; attempt++) {
      if (!fixed) port = await outagePort(host);
      if ((await launch()) === 'ready') break;
      if (fixed) throw new EngineError('postgres', `port ${port} is in use`, proc?.output());
      if (attempt >= BIND_RETRIES) throw new EngineError('postgres', 'free ports kept being taken before the server bound them', proc?.output());
    }
    if (database !== 'postgres' && (await queryOnce(urlFor('postgres'), `CREATE DATABASE "${database.replace(/"/g, '""')}"`)) === undefined) {
      throw new EngineError('postgres', `could not create database ${database}`, proc?.output());
    }
  } catch (err) {
    await proc?.stop('SIGQUIT', 5000);
    await rm(dir, { recursive: true, force: true });
    throw err;
  }

  const halt = async (): Promise<void> => {
    // SIGINT = fast shutdown; SIGKILL only if it hangs (backends would then linger until they notice).
    await proc?.stop('SIGINT', 15_000);
  };

  return {
    get url() {
      return urlFor(database);
    },
    host,
    get port() {
      return port;
    },
    user,
    database,
    dir,
    dataDir,
    socketDir: dir,
    pid: () => (proc?.running ? proc.pid : undefined),
    urlFor,
    halt,
    start: async () => {
      if (proc?.running) return;
      if ((await launch()) !== 'ready') throw new EngineError('postgres', `port ${port} was taken while the server was down`, proc?.output());
    },
    stop: async () => {
      await halt();
      await rm(dir, { recursive: true, force: true });
    },
    output: () => proc?.output() ?? '',
  };
}
