/**
 * npm run cluster -- --nodes N [--simulate]
 *
 * Cluster mode on one machine, from the machine's packages: a throw-away PostgreSQL (initdb in a
 * temp folder, run as the `postgres` account when started as root), Redis and HAProxy on
 * loopback, then N gateway nodes (gateway/main.ts with CLUSTER_NODE_ID, DATABASE_URL, REDIS_URL
 * and ports of their own), HAProxy in front of them on the ports `npm start` uses. Ctrl-C (or
 * SIGTERM) stops the simulators, the nodes, HAProxy, Redis and PostgreSQL in that order and
 * removes every folder. GATEWAY_CONFIG (or --config) is honoured as in `npm start`.
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { parse as parseYaml } from 'yaml';
import { loadConfig, mergeLayers } from '../gateway/config/load.js';
import { createLogger } from '../gateway/logger.js';
import { migrate } from '../gateway/store/pg/migrate.js';
import { runCommand } from '../simulators/cli.js';
import { DistrictSimulator } from '../simulators/district.js';
import { startFarEnds, type FarEnds } from '../simulators/far-ends.js';
import { outagePort } from '../simulators/outage-port.js';
import { nodeEnv, startGatewayNode, type GatewayNode } from './lib/gateway-node.js';
import { startHaproxy, type HaproxyEngine } from './lib/haproxy-engine.js';
import { startPostgres, type PostgresEngine } from './lib/postgres-engine.js';
import { startRedis, type RedisEngine } from './lib/redis-engine.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

const HELP = `Cluster mode on one machine: PostgreSQL, Redis, HAProxy and N gateway nodes.

Usage: npm run cluster -- [options]

Options:
  --nodes <n>          gateway nodes (default 2)
  --simulate           also run the configured district's simulated devices (through HAProxy)
                       and its far ends (110 centre, SMS centre, …), as npm start does
  --config <file>      site file laid over config/default.yaml (also GATEWAY_CONFIG)
  --http-port <p>      HAProxy's HTTP port (default 8080)
  --mqtt-port <p>      HAProxy's MQTT port (default 1883)
  --dc09-port <p>      HAProxy's DC-09 port (default 12120)
  --bind <host>        address HAProxy listens on (default 127.0.0.1)
  --state <file>       write ports, pids and folders as JSON there once ready (for scripts)
  --keep               keep the nodes' data and logs after stopping (PostgreSQL and Redis go)
  -h, --help           this text

Each node gets free loopback ports of its own; HAProxy checks every node's /api/health and
takes a node that stops answering out of HTTP, MQTT and DC-09 alike. Until the gateway runs its
state on PostgreSQL, the nodes are independent gateways sharing MQTT through Redis.`;

interface Args {
  nodes: number;
  simulate: boolean;
  config?: string;
  httpPort: number;
  mqttPort: number;
  dc09Port: number;
  bind: string;
  state?: string;
  keep: boolean;
}

function parse(): Args | undefined {
  const { values } = parseArgs({
    options: {
      nodes: { type: 'string', default: '2' },
      simulate: { type: 'boolean', default: false },
      config: { type: 'string' },
      'http-port': { type: 'string', default: '8080' },
      'mqtt-port': { type: 'string', default: '1883' },
      'dc09-port': { type: 'string', default: '12120' },
      bind: { type: 'string', default: '127.0.0.1' },
      state: { type: 'string' },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return undefined;
  }
  const int = (name: string, v: string, min: number, max: number): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} must be an integer from ${min} to ${max} (got '${v}')`);
    return n;
  };
  return {
    nodes: int('nodes', values.nodes, 1, 16),
    simulate: values.simulate,
    ...(values.config ? { config: resolve(values.config) } : {}),
    httpPort: int('http-port', values['http-port'], 1, 65535),
    mqttPort: int('mqtt-port', values['mqtt-port'], 1, 65535),
    dc09Port: int('dc09-port', values['dc09-port'], 1, 65535),
    bind: values.bind,
    ...(values.state ? { state: resolve(values.state) } : {}),
    keep: values.keep,
  };
}

/** Everything started, so that any exit path stops it in order. */
class Cluster {
  runDir?: string;
  postgres?: PostgresEngine;
  redis?: RedisEngine;
  haproxy?: HaproxyEngine;
  nodes: GatewayNode[] = [];
  /** Every node process spawned, ready or not (a Ctrl-C may come while one is starting). */
  spawned: ChildProcess[] = [];
  farEnds?: FarEnds;
  sim?: DistrictSimulator;
  stopping = false;

  /** Process groups still alive: for the last-resort SIGKILL. */
  groups(): number[] {
    const engines = [this.haproxy?.pid(), this.redis?.pid(), this.postgres?.pid()];
    const nodes = this.spawned.filter((c) => c.exitCode === null && c.signalCode === null).map((c) => c.pid);
    return [...nodes, ...engines].filter((pid): pid is number => pid !== undefined);
  }

  async stop(keep: boolean): Promise<void> {
    this.stopping = true;
    const step = async (what: string, fn: () => Promise<unknown>): Promise<void> => {
      try {
        await fn();
      } catch (err) {
        console.error(`stopping ${what}: ${(err as Error).message}`);
      }
    };
    await step('the simulated district', async () => this.sim?.stop());
    await step('the far ends', async () => this.farEnds?.stop());
    await step('the nodes', () => Promise.all(this.nodes.map((n) => n.stop())));
    // Nodes that never became ready (startup failed) are killed with their process group.
    for (const c of this.spawned) if (c.pid !== undefined && c.exitCode === null && c.signalCode === null) tryKill(-c.pid);
    await step('HAProxy', async () => this.haproxy?.stop());
    await step('Redis', async () => this.redis?.stop());
    await step('PostgreSQL', async () => this.postgres?.stop());
    if (this.runDir && !keep) await step('the run folder', () => rm(this.runDir as string, { recursive: true, force: true }));
  }
}

async function main(): Promise<void> {
  const args = parse();
  if (!args) return;
  const env: Record<string, string | undefined> = { ...process.env, ...(args.config ? { GATEWAY_CONFIG: args.config } : {}) };
  // The site file is read and checked here first: a mistake stops us before anything starts.
  const loaded = loadConfig({ env });
  const siteLayer: unknown = env.GATEWAY_CONFIG ? (parseYaml(readFileSync(env.GATEWAY_CONFIG, 'utf8')) ?? {}) : {};
  const log = createLogger({ level: process.env.LOG_LEVEL ?? 'warn', pretty: Boolean(process.stdout.isTTY) });
  const cluster = new Cluster();

  let startup: Promise<void> = Promise.resolve();
  let signalled = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signalled++;
    if (signalled > 1) {
      // A second Ctrl-C: no more waiting for anything.
      console.error(`${signal} again: killing what is left`);
      for (const pid of cluster.groups()) tryKill(-pid);
      process.exit(1);
    }
    console.log(`\n${signal}: stopping the cluster…`);
    cluster.stopping = true;
    // Whatever is starting right now finishes starting (and is recorded) before it is stopped.
    void startup
      .catch(() => undefined)
      .then(() => cluster.stop(args.keep))
      .then(() => {
        console.log('cluster stopped');
        process.exit(0);
      });
  };
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, onSignal);
  startup = start(args, cluster, env, loaded, siteLayer, log);
  try {
    await startup;
  } catch (err) {
    if (cluster.stopping) return;
    cluster.stopping = true;
    console.error(`cluster did not start: ${(err as Error).message}`);
    await cluster.stop(false);
    process.exit(1);
  }
}

async function start(
  args: Args,
  cluster: Cluster,
  env: Record<string, string | undefined>,
  loaded: ReturnType<typeof loadConfig>,
  siteLayer: unknown,
  log: ReturnType<typeof createLogger>,
): Promise<void> {
  cluster.runDir = await mkdtemp(join(tmpdir(), 'gw-cluster-'));
  console.log(`starting PostgreSQL and Redis… (run folder ${cluster.runDir})`);
  // Each recorded as soon as it runs, so that a failure of the other still stops it.
  const engines = await Promise.allSettled([
    startPostgres({ detached: true }).then((e) => (cluster.postgres = e)),
    startRedis({ detached: true }).then((e) => (cluster.redis = e)),
  ]);
  const engineFailure = engines.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (engineFailure) throw engineFailure.reason;
  if (!cluster.postgres || !cluster.redis) return;
  console.log(`PostgreSQL ${cluster.postgres.url} (folder ${cluster.postgres.dir}), Redis ${cluster.redis.url} (folder ${cluster.redis.dir})`);
  if (cluster.stopping) return;
  const pool = new pg.Pool({ connectionString: cluster.postgres.url, max: 1 });
  const { current } = await migrate(pool).finally(() => pool.end());
  if (cluster.stopping) return;

  let lbConfig = loaded.config;
  if (args.simulate) {
    // The 110 centre must listen before the nodes' links start supervising it (as npm start).
    cluster.farEnds = await startFarEnds(loaded.config, log.child({ part: 'simulator' }));
    if (cluster.farEnds.rebound) lbConfig = loadConfig({ env, overrides: cluster.farEnds.overrides }).config;
  }

  console.log(`starting ${args.nodes} gateway node(s)…`);
  const ports: { http: number; mqtt: number; dc09: number }[] = [];
  const started = await Promise.allSettled(
    Array.from({ length: args.nodes }, async (_, i) => {
      const id = `node-${i + 1}`;
      const dataDir = join(cluster.runDir as string, id);
      await mkdir(dataDir, { recursive: true });
      // Ports are picked free and handed over; a port taken in between makes the node exit,
      // and it is started again on fresh ones.
      for (let attempt = 0; ; attempt++) {
        const p = { http: await outagePort(), mqtt: await outagePort(), dc09: await outagePort() };
        const site = join(dataDir, 'site.json');
        const layers = mergeLayers(siteLayer, {
          adapters: { 'panel-dc09': { host: '127.0.0.1', port: p.dc09 } },
          // Nodes listen on loopback behind HAProxy (option forwardfor): the audit log records the operator's address.
          http: { trustProxy: ['127.0.0.1'] },
          ...(cluster.farEnds?.rebound ? cluster.farEnds.overrides : {}),
        });
        await writeFile(site, JSON.stringify(layers)); // JSON is YAML
        try {
          const node = await startGatewayNode({
            id,
            root: ROOT,
            logFile: join(dataDir, 'gateway.log'),
            echo: (line) => console.error(line),
            onSpawn: (child) => cluster.spawned.push(child),
            env: nodeEnv({
              id,
              site,
              dataDir,
              httpPort: p.http,
              mqttPort: p.mqtt,
              // The script reads the node's JSON log for its "listening" line (info).
              logLevel: ['debug', 'trace'].includes(process.env.LOG_LEVEL ?? '') ? (process.env.LOG_LEVEL as string) : 'info',
              databaseUrl: cluster.postgres?.url ?? '',
              redisUrl: cluster.redis?.url ?? '',
            }),
          });
          ports[i] = p;
          cluster.nodes.push(node);
          return node;
        } catch (err) {
          if (attempt >= 2 || !/EADDRINUSE/.test((err as Error).message)) throw err;
        }
      }
    }),
  );
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  // In node order (they became ready in any order).
  cluster.nodes.sort((x, y) => Number(x.id.slice(5)) - Number(y.id.slice(5)));
  if (cluster.stopping) return;
  for (const node of cluster.nodes) {
    void node.exited.then((code) => {
      if (!cluster.stopping) console.error(`${node.id} (pid ${node.pid}) exited (${code ?? 'killed'}); HAProxy sends its traffic to the others`);
    });
  }

  const servers = (service: 'http' | 'mqtt' | 'dc09') =>
    cluster.nodes.map((n, i) => ({ name: n.id, host: '127.0.0.1', port: ports[i]?.[service] ?? 0, healthPort: ports[i]?.http ?? 0 }));
  cluster.haproxy = await startHaproxy({
    host: args.bind,
    detached: true,
    frontends: [
      { name: 'http', mode: 'http', port: args.httpPort, servers: servers('http') },
      { name: 'mqtt', mode: 'tcp', port: args.mqttPort, servers: servers('mqtt') },
      { name: 'dc09', mode: 'tcp', port: args.dc09Port, servers: servers('dc09') },
    ],
  });
  if (cluster.stopping) return;
  // Ready = HAProxy routes to every node and the gateway answers through it.
  const lbHost = args.bind === '0.0.0.0' ? '127.0.0.1' : args.bind;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const states = Object.values(await cluster.haproxy.serverStates());
    const health = await fetch(`http://${lbHost}:${args.httpPort}/api/health`).then((r) => r.status, () => 0);
    if (health === 200 && states.length === 3 * args.nodes && states.every((s) => s === 'UP')) break;
    if (Date.now() > deadline) throw new Error(`HAProxy does not see every node up: ${JSON.stringify(await cluster.haproxy.serverStates())}`);
    await new Promise((r) => setTimeout(r, 200));
  }

  if (args.simulate) {
    const sim = new DistrictSimulator({
      url: `mqtt://${lbHost}:${args.mqttPort}`,
      config: lbConfig,
      devices: loaded.devices,
      log: log.child({ part: 'simulator' }),
      panelPort: args.dc09Port,
      panelHost: lbHost,
    });
    cluster.sim = sim;
    await sim.start();
    // The simulator's commands (press <id>, drop <id>, …) on stdin, as npm run simulate.
    createInterface({ input: process.stdin, terminal: false }).on('line', (line) => {
      void runCommand(sim, line.trim().split(/\s+/)).then(
        (out) => out && console.log(out),
        (err: unknown) => console.log(`error: ${(err as Error).message}`),
      );
    });
  }

  const pg0 = cluster.postgres;
  const rd = cluster.redis;
  const lb = cluster.haproxy;
  const lines = [
    '',
    `cluster ready: ${args.nodes} node(s) behind HAProxy${args.simulate ? `, ${loaded.devices.length} simulated devices` : ''} — Ctrl-C stops everything`,
    `  dashboard   http://${lbHost}:${args.httpPort}/`,
    `  MQTT        mqtt://${lbHost}:${args.mqttPort}`,
    `  DC-09       tcp://${lbHost}:${args.dc09Port}`,
    ...cluster.nodes.map((n, i) => `  ${n.id.padEnd(11)} pid ${n.pid}  http :${ports[i]?.http}  mqtt :${ports[i]?.mqtt}  dc09 :${ports[i]?.dc09}  log ${join(cluster.runDir as string, n.id, 'gateway.log')}`),
    `  PostgreSQL  ${pg0.url}  (pid ${pg0.pid()}, schema version ${current})`,
    `  Redis       ${rd.url}  (pid ${rd.pid()})`,
    `  HAProxy     pid ${lb.pid()}  config ${lb.configPath}`,
    '',
  ];
  console.log(lines.join('\n'));
  if (args.state) {
    const state = {
      runDir: cluster.runDir,
      balancer: { host: lbHost, http: args.httpPort, mqtt: args.mqttPort, dc09: args.dc09Port },
      nodes: cluster.nodes.map((n, i) => ({ id: n.id, pid: n.pid, ...ports[i] })),
      postgres: { pid: pg0.pid(), url: pg0.url, dir: pg0.dir },
      redis: { pid: rd.pid(), url: rd.url, dir: rd.dir },
      haproxy: { pid: lb.pid(), dir: lb.dir },
    };
    // Written whole, then renamed: a script polling for the file never reads half of it.
    await writeFile(`${args.state}.tmp`, JSON.stringify(state, null, 2));
    await rename(`${args.state}.tmp`, args.state);
  }
}

function tryKill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone already
  }
}

main().catch((err: unknown) => {
  console.error((err as Error).stack ?? String(err));
  process.exit(1);
});
