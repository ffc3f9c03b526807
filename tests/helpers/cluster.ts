/**
 * A gateway cluster for integration tests and the cluster benchmark, on the real engines: a
 * PostgreSQL (tests/helpers/postgres.ts), a Redis, the simulated far ends in this process
 * (the 110 centre's receivers, SMS centre, Modbus PLC), N gateway node processes
 * (scripts/lib/gateway-node.ts: `gateway/main.ts` with CLUSTER_NODE_ID, DATABASE_URL,
 * REDIS_URL, a site file) and HAProxy in front of them (HTTP, MQTT, DC-09). Every port is free
 * and on loopback; stop() ends every process it started and removes its folders.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { mergeLayers } from '../../gateway/config/load.js';
import { outagePort } from '../../simulators/outage-port.js';
import { nodeEnv, startGatewayNode, type GatewayNode } from '../../scripts/lib/gateway-node.js';
import { startEphemeralFarEnds, type EphemeralFarEnds } from '../../simulators/ephemeral-far-ends.js';
import { startTestHaproxy, type TestHaproxy } from './haproxy.js';
import { startTestPostgres, type TestPostgres } from './postgres.js';
import { startTestRedis, type TestRedis } from './redis.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface ClusterNodeHandle {
  id: string;
  ports: { http: number; mqtt: number; dc09: number };
  /** The running process (replaced by restart()). */
  node: GatewayNode;
  logFile: string;
}

export interface TestCluster {
  postgres: TestPostgres;
  redis: TestRedis;
  haproxy: TestHaproxy;
  farEnds: EphemeralFarEnds;
  databaseUrl: string;
  nodes: ClusterNodeHandle[];
  /** Through HAProxy. */
  httpUrl: string;
  mqttUrl: string;
  dc09Port: number;
  /** The node (by id) GET /api/cluster names as the lease holder, asked through the balancer. */
  holder(): Promise<string | undefined>;
  /** SIGKILL to a node's whole process group (no clean stop: the lease is left to expire). */
  kill(id: string): Promise<void>;
  /** Starts a stopped or killed node again, same id and ports (HAProxy sees it come back). */
  restart(id: string): Promise<void>;
  stop(): Promise<void>;
}

export interface TestClusterOptions {
  nodes?: number;
  takeoverSeconds?: number;
  /** Laid over config/default.yaml with the far ends' ports (e.g. more schools). */
  siteLayer?: Record<string, unknown>;
}

/** The default district plus schools sch-34 … sch-<n> with one button each (plaintext secrets, tests only). */
export function districtWithSchools(n: number): Record<string, unknown> {
  const district = parseYaml(readFileSync(join(ROOT, 'config/default.yaml'), 'utf8')) as { sites: Record<string, unknown>[] };
  const template = district.sites.find((s) => s.id === 'sch-01') as { devices: { id: string; kind: string }[] } & Record<string, unknown>;
  const button = template.devices.find((d) => d.id === 'sch-01-btn-1') as Record<string, unknown>;
  const extra: Record<string, unknown>[] = [];
  const have = district.sites.filter((s) => String(s.id).startsWith('sch-')).length;
  for (let i = have + 1; i <= n; i++) {
    const nn = String(i).padStart(2, '0');
    const rest = Object.fromEntries(Object.entries(button).filter(([k]) => k !== 'secretHash'));
    extra.push({
      ...template,
      id: `sch-${nn}`,
      name: `第${i}学校`,
      nameEn: `School ${i}`,
      arcAccount: `10${nn}`,
      contacts: [],
      devices: [{ ...rest, id: `sch-${nn}-btn-1`, name: `一键报警 ${i}`, secret: `demo-pass-sch-${nn}-btn-1` }],
    });
  }
  return { sites: [...district.sites, ...extra] };
}

export async function startTestCluster(opts: TestClusterOptions = {}): Promise<TestCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'gw-cluster-'));
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const s of stops.splice(0).reverse()) await s().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const [postgres, redis, farEnds] = await Promise.all([startTestPostgres(), startTestRedis(), startEphemeralFarEnds()]);
    stops.push(() => postgres.stop(), () => redis.stop(), () => farEnds.stop());
    const databaseUrl = await postgres.freshDatabase('cluster');
    const nodes: ClusterNodeHandle[] = [];
    const count = opts.nodes ?? 2;
    const startNode = async (id: string, ports: ClusterNodeHandle['ports']): Promise<GatewayNode> => {
      const dataDir = join(dir, id);
      const site = join(dir, `${id}.json`);
      const layer = mergeLayers(mergeLayers(opts.siteLayer ?? {}, farEnds.overrides), {
        adapters: { 'panel-dc09': { host: '127.0.0.1', port: ports.dc09 } },
        cluster: { takeoverSeconds: opts.takeoverSeconds ?? 10 },
      });
      writeFileSync(site, JSON.stringify(layer)); // JSON is YAML
      return startGatewayNode({
        id,
        root: ROOT,
        logFile: join(dir, `${id}.log`),
        readyTimeoutMs: 180_000,
        env: nodeEnv({ id, site, dataDir, httpPort: ports.http, mqttPort: ports.mqtt, databaseUrl, redisUrl: redis.url }),
      });
    };
    // One after the other: the first applies the migrations, and two tsx starts at once on a loaded machine are slower than in turn.
    for (let i = 1; i <= count; i++) {
      const id = `node-${i}`;
      const ports = { http: await outagePort(), mqtt: await outagePort(), dc09: await outagePort() };
      const node = await startNode(id, ports);
      const handle: ClusterNodeHandle = { id, ports, node, logFile: join(dir, `${id}.log`) };
      nodes.push(handle);
      stops.push(() => handle.node.stop(5000));
    }
    const servers = (service: 'http' | 'mqtt' | 'dc09') => nodes.map((n) => ({ name: n.id, host: '127.0.0.1', port: n.ports[service], healthPort: n.ports.http }));
    const haproxy = await startTestHaproxy([
      { name: 'http', mode: 'http', port: 0, servers: servers('http') },
      { name: 'mqtt', mode: 'tcp', port: 0, servers: servers('mqtt') },
      { name: 'dc09', mode: 'tcp', port: 0, servers: servers('dc09') },
    ]);
    stops.push(() => haproxy.stop());
    const httpUrl = `http://127.0.0.1:${haproxy.ports.http}`;
    let token: string | undefined;
    const login = async () => {
      const res = await fetch(`${httpUrl}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'duty', password: 'demo-pass-duty' }) });
      token = ((await res.json()) as { token: string }).token;
      return token;
    };
    return {
      postgres,
      redis,
      haproxy,
      farEnds,
      databaseUrl,
      nodes,
      httpUrl,
      mqttUrl: `mqtt://127.0.0.1:${haproxy.ports.mqtt}`,
      dc09Port: haproxy.ports.dc09 as number,
      async holder() {
        const res = await fetch(`${httpUrl}/api/cluster`, { headers: { authorization: `Bearer ${token ?? (await login())}` } });
        if (res.status !== 200) return undefined;
        return ((await res.json()) as { lease: { holder?: string; live: boolean } }).lease.holder;
      },
      async kill(id) {
        const n = nodes.find((x) => x.id === id);
        if (!n?.node.running()) return;
        process.kill(-n.node.pid, 'SIGKILL');
        await n.node.exited;
      },
      async restart(id) {
        const n = nodes.find((x) => x.id === id);
        if (!n || n.node.running()) return;
        n.node = await startNode(n.id, n.ports);
      },
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
