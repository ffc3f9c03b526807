/**
 * No Docker engine runs here, so docker-compose.yml is kept honest by reading it: its services,
 * ports and environment must match the configuration the gateway actually reads.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../../../gateway/config/load.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
interface Service {
  image?: string;
  build?: { context: string; target: string };
  environment?: Record<string, string>;
  ports?: string[];
  command?: string[];
  depends_on?: string[] | Record<string, { condition: string }>;
  volumes?: string[];
  profiles?: string[];
  networks?: Record<string, { aliases?: string[] }>;
}
// `merge`: the cluster nodes share their settings through YAML merge keys (<<), as Compose reads them.
const compose = parse(readFileSync(`${root}docker-compose.yml`, 'utf8'), { merge: true }) as { services: Record<string, Service>; volumes: Record<string, unknown> };
const dockerfile = readFileSync(`${root}Dockerfile`, 'utf8');

describe('docker-compose.yml', () => {
  const { gateway, influxdb, simulators, grafana } = compose.services;

  it('has the gateway, InfluxDB 1.8, Grafana and the simulated district, each image from its Dockerfile stage', () => {
    const plain = Object.entries(compose.services).filter(([, v]) => !v.profiles).map(([k]) => k);
    expect(plain.sort()).toStrictEqual(['gateway', 'grafana', 'influxdb', 'simulators']);
    expect(influxdb?.image).toMatch(/^influxdb:1\.8/);
    expect(gateway?.build).toStrictEqual({ context: '.', target: 'gateway' });
    expect(simulators?.build).toStrictEqual({ context: '.', target: 'simulators' });
    const stages = [...dockerfile.matchAll(/^FROM \S+ AS (\S+)$/gm)].map((m) => m[1]);
    expect(stages).toEqual(expect.arrayContaining(['gateway', 'simulators']));
    // `docker build .` builds the last stage: the gateway.
    expect(stages.at(-1)).toBe('gateway');
    expect(Object.keys(compose.volumes).sort()).toStrictEqual(['gateway-1-data', 'gateway-2-data', 'gateway-data', 'grafana-data', 'influxdb-data', 'postgres-data']);
  });

  it('gives the gateway environment the configuration loader understands, and publishes those ports', () => {
    const env = gateway?.environment ?? {};
    // Paths inside the image map to the repository.
    const file = (env.GATEWAY_CONFIG ?? '').replace(/^\/app\//, root);
    const { config } = loadConfig({ env: { ...env, GATEWAY_CONFIG: file } });
    expect(config.http.port).toBe(Number(env.HTTP_PORT));
    expect(config.mqtt.port).toBe(Number(env.MQTT_PORT));
    expect(config.dataDir).toBe('/data');
    expect(config.telemetry.influx).toMatchObject({ url: 'http://influxdb:8086', database: influxdb?.environment?.INFLUXDB_DB });
    const published = (gateway?.ports ?? []).map((p) => p.split(':'));
    expect(published).toEqual(expect.arrayContaining([[env.HTTP_PORT, env.HTTP_PORT], [env.MQTT_PORT, env.MQTT_PORT]]));
    const panel = config.adapters['panel-dc09'] as { port: number };
    expect(published).toEqual(expect.arrayContaining([[String(panel.port), String(panel.port)]]));
    expect(influxdb?.ports).toStrictEqual(['8086:8086']);
    // The far ends live in the simulators service.
    const link = config.adapters['alarm-centre-dc09'] as { primary: { host: string }; secondary: { host: string } };
    const sms = config.adapters['sms-smpp'] as { host: string };
    expect([link.primary.host, link.secondary.host, sms.host]).toStrictEqual(['simulators', 'simulators', 'simulators']);
  });

  it('points the simulators at the gateway service on its MQTT port, run from the compiled build', () => {
    const cmd = simulators?.command ?? [];
    expect(cmd.slice(0, 2)).toStrictEqual(['node', 'dist/simulators/cli.js']);
    expect(existsSync(`${root}simulators/cli.ts`)).toBe(true);
    expect(cmd[cmd.indexOf('--url') + 1]).toBe(`mqtt://gateway:${gateway?.environment?.MQTT_PORT}`);
    expect(cmd[cmd.indexOf('--far-ends') + 1]).toBe('0.0.0.0');
    expect(simulators?.environment?.GATEWAY_CONFIG).toBe(gateway?.environment?.GATEWAY_CONFIG);
  });

  it('provisions Grafana with the InfluxDB data source and the gateway dashboard', () => {
    const mounts = Object.fromEntries((grafana?.volumes ?? []).map((v) => v.split(':')).map(([from, to]) => [to, from]));
    expect(mounts['/etc/grafana/provisioning']).toBe('./config/grafana/provisioning');
    expect(mounts['/var/lib/grafana/dashboards']).toBe('./config/grafana/dashboards');
    expect(grafana?.ports).toStrictEqual(['3000:3000']);
    const sources = parse(readFileSync(`${root}config/grafana/provisioning/datasources/influxdb.yaml`, 'utf8')) as { datasources: { uid: string; type: string; url: string; jsonData: { dbName: string } }[] };
    const [influx] = sources.datasources;
    expect({ type: influx?.type, url: influx?.url, db: influx?.jsonData.dbName }).toStrictEqual({
      type: 'influxdb',
      url: `http://influxdb:${(influxdb?.ports?.[0] ?? '').split(':')[1]}`,
      db: influxdb?.environment?.INFLUXDB_DB,
    });
    const providers = parse(readFileSync(`${root}config/grafana/provisioning/dashboards/campus.yaml`, 'utf8')) as { providers: { options: { path: string } }[] };
    expect(providers.providers.map((p) => p.options.path)).toStrictEqual(['/var/lib/grafana/dashboards']);
    const dashboard = JSON.parse(readFileSync(`${root}config/grafana/dashboards/campus-gateway.json`, 'utf8')) as { panels: { datasource: { uid: string } }[] };
    expect(new Set(dashboard.panels.map((p) => p.datasource.uid))).toStrictEqual(new Set([influx?.uid]));
  });
});

describe('docker-compose.yml, profile cluster', () => {
  const services = compose.services;
  const nodes = ['gateway-1', 'gateway-2'];

  it('has two gateway nodes, HAProxy, PostgreSQL, Redis and the simulated district in the profile, with InfluxDB shared', () => {
    const inProfile = Object.entries(services).filter(([, v]) => v.profiles?.includes('cluster')).map(([k]) => k);
    expect(inProfile.sort()).toStrictEqual(['cluster-haproxy', 'cluster-simulators', 'gateway-1', 'gateway-2', 'postgres', 'redis']);
    expect(services.postgres?.image).toMatch(/^postgres:1[5-9]/);
    expect((services.postgres as { healthcheck?: { test: string[] } }).healthcheck?.test).toContain('pg_isready');
    expect(services.redis?.image).toMatch(/^redis:7/);
    expect(services['cluster-haproxy']?.image).toMatch(/^haproxy:2\./);
    for (const n of nodes) {
      expect(services[n]?.build).toStrictEqual({ context: '.', target: 'gateway' });
      expect(services[n]?.depends_on).toStrictEqual({ influxdb: { condition: 'service_started' }, postgres: { condition: 'service_healthy' }, redis: { condition: 'service_started' } });
      // Nodes publish nothing themselves: devices and browsers come through HAProxy.
      expect(services[n]?.ports).toBeUndefined();
    }
  });

  it('gives each node the configuration of one cluster: its own id, the same PostgreSQL and Redis, InfluxDB', () => {
    const configs = nodes.map((n) => {
      const env = services[n]?.environment ?? {};
      return loadConfig({ env: { ...env, GATEWAY_CONFIG: (env.GATEWAY_CONFIG ?? '').replace(/^\/app\//, root) } }).config;
    });
    expect(configs.map((c) => c.cluster.nodeId)).toStrictEqual(nodes);
    const pgEnv = services.postgres?.environment ?? {};
    const dbUrl = `postgres://${pgEnv.POSTGRES_USER}:${pgEnv.POSTGRES_PASSWORD}@postgres:5432/${pgEnv.POSTGRES_DB}`;
    expect(configs.map((c) => [c.cluster.databaseUrl, c.cluster.redisUrl])).toStrictEqual(nodes.map(() => [dbUrl, 'redis://redis:6379']));
    expect(configs.map((c) => c.telemetry.influx?.url)).toStrictEqual(nodes.map(() => 'http://influxdb:8086'));
    // Each node keeps its own data dir (broker files, telemetry spool).
    expect(nodes.map((n) => services[n]?.volumes?.[0]?.split(':')[0])).toStrictEqual(['gateway-1-data', 'gateway-2-data']);
  });

  it('puts HAProxy (config/haproxy/cluster.cfg, valid for haproxy -c) in front of both nodes on the ports npm start uses, checked on /api/health', () => {
    const haproxy = services['cluster-haproxy'];
    const mount = (haproxy?.volumes ?? []).map((v) => v.split(':')).find(([, to]) => to === '/usr/local/etc/haproxy/haproxy.cfg');
    expect(mount?.[0]).toBe('./config/haproxy/cluster.cfg');
    const cfgFile = `${root}config/haproxy/cluster.cfg`;
    const cfg = readFileSync(cfgFile, 'utf8');
    const env = services['gateway-1']?.environment ?? {};
    const { config } = loadConfig({ env: { ...env, GATEWAY_CONFIG: (env.GATEWAY_CONFIG ?? '').replace(/^\/app\//, root) } });
    const panelPort = (config.adapters['panel-dc09'] as { port: number }).port;
    const ports = { http: config.http.port, mqtt: config.mqtt.port, dc09: panelPort };
    expect(haproxy?.ports?.sort()).toStrictEqual(Object.values(ports).map((p) => `${p}:${p}`).sort());
    for (const [name, port] of Object.entries(ports)) {
      expect(cfg).toMatch(new RegExp(`frontend ${name}\\n[^]*?bind :${port}\\n`));
      const backend = cfg.slice(cfg.indexOf(`\nbackend ${name}\n`) + 1).split('\n\n')[0] ?? '';
      const servers = [...backend.matchAll(/^ {2}server (\S+) (\S+):(\d+) check[^\n]*?(?: port (\d+))?$/gm)].map((m) => [m[1], m[2], Number(m[3]), m[4] ? Number(m[4]) : undefined]);
      expect(servers).toStrictEqual(nodes.map((n) => [n, n, port, name === 'http' ? undefined : config.http.port]));
      expect(backend).toContain('option httpchk GET /api/health');
    }
    // HAProxy's own check of the file (the node names resolve only inside Compose: warnings, not errors).
    expect(execFileSync('haproxy', ['-c', '-f', cfgFile], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })).toContain('Configuration file is valid');
  });

  it('runs the simulated district against HAProxy, answering as `simulators` for the far ends the nodes dial', () => {
    const sim = services['cluster-simulators'];
    const cmd = sim?.command ?? [];
    expect(cmd[cmd.indexOf('--url') + 1]).toBe('mqtt://cluster-haproxy:1883');
    expect(cmd[cmd.indexOf('--panel-host') + 1]).toBe('cluster-haproxy');
    expect(sim?.networks?.default?.aliases).toStrictEqual(['simulators']);
    expect(sim?.environment?.GATEWAY_CONFIG).toBe(services['gateway-1']?.environment?.GATEWAY_CONFIG);
  });
});

describe('Dockerfile', () => {
  it('builds with the dev dependencies and runs with the production ones, with plain node, as a non-root user', () => {
    expect(dockerfile).toMatch(/^RUN npm ci --no-audit --no-fund$/m);
    expect(dockerfile).toMatch(/^RUN npm run build$/m);
    expect(dockerfile).toMatch(/^RUN npm ci --omit=dev --no-audit --no-fund$/m);
    // No fallback that would hide a lock npm ci refuses, and no TypeScript at run time.
    const instructions = dockerfile.split('\n').filter((l) => !l.startsWith('#')).join('\n');
    expect(instructions).not.toMatch(/npm install|npm ci[^\n]*\|\||\btsx\b/);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toContain('CMD ["node", "dist/gateway/main.js"]');
  });

  it('runs the gateway with two malloc arenas, as npm run start:prod and the benchmarks do', () => {
    expect(dockerfile).toMatch(/^ENV [^\n]*\bMALLOC_ARENA_MAX=2\b/m);
    const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts['start:prod']).toBe('MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-2} node dist/gateway/main.js');
  });

  it('exposes the published ports and checks /api/health', () => {
    for (const port of ['8080', '1883', '12120']) expect(dockerfile).toMatch(new RegExp(`EXPOSE[^\\n]*\\b${port}\\b`));
    expect(dockerfile).toMatch(/^HEALTHCHECK [^\n]*\n?.*\/api\/health/m);
  });
});
