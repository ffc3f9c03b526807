/**
 * No Docker engine runs here, so docker-compose.yml is kept honest by reading it: its services,
 * ports and environment must match the configuration the gateway actually reads.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../../../gateway/config.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
interface Service {
  image?: string;
  build?: string;
  environment?: Record<string, string>;
  ports?: string[];
  command?: string[];
  depends_on?: string[];
}
const compose = parse(readFileSync(`${root}docker-compose.yml`, 'utf8')) as { services: Record<string, Service>; volumes: Record<string, unknown> };
const dockerfile = readFileSync(`${root}Dockerfile`, 'utf8');

describe('docker-compose.yml', () => {
  const { gateway, influxdb, simulators } = compose.services;

  it('has the gateway, InfluxDB 1.8 and the simulated district', () => {
    expect(Object.keys(compose.services).sort()).toStrictEqual(['gateway', 'influxdb', 'simulators']);
    expect(influxdb?.image).toMatch(/^influxdb:1\.8/);
    expect(gateway?.build).toBe('.');
    expect(simulators?.build).toBe('.');
    expect(Object.keys(compose.volumes).sort()).toStrictEqual(['gateway-data', 'influxdb-data']);
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

  it('points the simulators at the gateway service on its MQTT port', () => {
    const cmd = simulators?.command ?? [];
    expect(cmd.slice(0, 3)).toStrictEqual(['npx', 'tsx', 'simulators/cli.ts']);
    expect(cmd[cmd.indexOf('--url') + 1]).toBe(`mqtt://gateway:${gateway?.environment?.MQTT_PORT}`);
    expect(cmd[cmd.indexOf('--far-ends') + 1]).toBe('0.0.0.0');
    expect(simulators?.environment?.GATEWAY_CONFIG).toBe(gateway?.environment?.GATEWAY_CONFIG);
  });

  it('builds an image that exposes the published ports and runs the gateway', () => {
    for (const port of ['8080', '1883', '12120']) expect(dockerfile).toMatch(new RegExp(`EXPOSE[^\\n]*\\b${port}\\b`));
    expect(dockerfile).toContain('CMD ["npx", "tsx", "gateway/main.ts"]');
  });
});
