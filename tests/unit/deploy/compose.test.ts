/**
 * No Docker engine runs here, so docker-compose.yml is kept honest by reading it: its services,
 * ports and environment must match the configuration the gateway actually reads.
 */
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
  depends_on?: string[];
  volumes?: string[];
}
const compose = parse(readFileSync(`${root}docker-compose.yml`, 'utf8')) as { services: Record<string, Service>; volumes: Record<string, unknown> };
const dockerfile = readFileSync(`${root}Dockerfile`, 'utf8');

describe('docker-compose.yml', () => {
  const { gateway, influxdb, simulators, grafana } = compose.services;

  it('has the gateway, InfluxDB 1.8, Grafana and the simulated district, each image from its Dockerfile stage', () => {
    expect(Object.keys(compose.services).sort()).toStrictEqual(['gateway', 'grafana', 'influxdb', 'simulators']);
    expect(influxdb?.image).toMatch(/^influxdb:1\.8/);
    expect(gateway?.build).toStrictEqual({ context: '.', target: 'gateway' });
    expect(simulators?.build).toStrictEqual({ context: '.', target: 'simulators' });
    const stages = [...dockerfile.matchAll(/^FROM \S+ AS (\S+)$/gm)].map((m) => m[1]);
    expect(stages).toEqual(expect.arrayContaining(['gateway', 'simulators']));
    // `docker build .` builds the last stage: the gateway.
    expect(stages.at(-1)).toBe('gateway');
    expect(Object.keys(compose.volumes).sort()).toStrictEqual(['gateway-data', 'grafana-data', 'influxdb-data']);
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

  it('exposes the published ports and checks /api/health', () => {
    for (const port of ['8080', '1883', '12120']) expect(dockerfile).toMatch(new RegExp(`EXPOSE[^\\n]*\\b${port}\\b`));
    expect(dockerfile).toMatch(/^HEALTHCHECK [^\n]*\n?.*\/api\/health/m);
  });
});
