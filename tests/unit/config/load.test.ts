import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG_PATH, loadConfig } from '../../../gateway/config/load.js';
import { GatewayError } from '../../../gateway/contract/errors.js';

function layer(yaml: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'cfg-')), 'site.yaml');
  writeFileSync(file, yaml);
  return file;
}

function configError(fn: () => unknown): GatewayError {
  try {
    fn();
  } catch (err) {
    if (err instanceof GatewayError) return err;
    throw err;
  }
  throw new Error('expected a configuration error');
}

describe('configuration', () => {
  it('loads the simulated district: 33 schools, 1–2 buttons, a barrier and 4 cameras each, frozen', () => {
    const { config, sites, devices } = loadConfig({ env: {} });
    const schools = sites.filter((s) => (s.kind ?? 'school') === 'school');
    expect(schools).toHaveLength(33);
    expect(devices.filter((d) => d.kind === 'alarm-centre').map((d) => [d.id, d.adapter])).toStrictEqual([['arc-110', 'alarm-centre-dc09']]);
    for (const site of schools) {
      const mine = devices.filter((d) => d.siteId === site.id);
      const buttons = mine.filter((d) => d.kind === 'alarm-button').length;
      expect(buttons >= 1 && buttons <= 2).toBe(true);
      expect(mine.filter((d) => d.kind === 'barrier')).toHaveLength(1);
      expect(mine.filter((d) => d.kind === 'camera')).toHaveLength(4);
      expect(site.protectionWindows.length).toBeGreaterThan(0);
    }
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.sites[0]?.devices[0])).toBe(true);
    expect(() => {
      (config.http as { port: number }).port = 1;
    }).toThrow(TypeError);
  });

  it('lays a site file over the default and lets the environment override the usual knobs', () => {
    const file = layer('http:\n  port: 9000\nmqtt:\n  allowAnonymous: false\ndistrict:\n  id: xihu\n  name: 西湖区\n');
    const { config, sources } = loadConfig({ env: { GATEWAY_CONFIG: file, MQTT_PORT: '2883', DATA_DIR: '/var/lib/gw', INFLUX_URL: 'http://127.0.0.1:8086' } });
    expect(sources).toStrictEqual([DEFAULT_CONFIG_PATH, file]);
    expect([config.http.port, config.mqtt.port, config.dataDir, config.district.name]).toStrictEqual([9000, 2883, '/var/lib/gw', '西湖区']);
    expect(config.telemetry.influx).toStrictEqual({ url: 'http://127.0.0.1:8086', database: 'campus', retentionDays: 30 });
    const env = loadConfig({ env: { GATEWAY_CONFIG: file, HTTP_PORT: '9100' } });
    expect(env.config.http.port).toBe(9100);
  });

  it('reports every schema error as path: message', () => {
    const file = layer('http:\n  port: 70000\nmqtt:\n  acl:\n    - topic: a/#\n      access: write-ish\nsites:\n  - id: Bad Id\n    name: x\n    district: d\n');
    const err = configError(() => loadConfig({ env: { GATEWAY_CONFIG: file } }));
    expect(err.code).toBe('GW_ERR_CONFIG_INVALID');
    expect(err.details).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^\/http\/port: /),
        expect.stringMatching(/^\/mqtt\/acl\/0\/access: /),
        expect.stringMatching(/^\/sites\/0\/id: /),
      ]),
    );
  });

  it('reads LOG_FORMAT (json, the default, or pretty) and refuses anything else by name', () => {
    expect([loadConfig({ env: {} }), loadConfig({ env: { LOG_FORMAT: 'pretty' } }), loadConfig({ env: { LOG_FORMAT: 'json' } })].map((l) => l.config.log.pretty)).toStrictEqual([false, true, false]);
    expect(configError(() => loadConfig({ env: { LOG_FORMAT: 'colour' } })).message).toBe('configuration is invalid: LOG_FORMAT: expected json or pretty, got "colour"');
  });

  it('refuses a bad environment value with its path, duplicate ids and unknown keys', () => {
    expect(configError(() => loadConfig({ env: { HTTP_PORT: 'eighty' } })).details).toEqual([expect.stringMatching(/^\/http\/port: /)]);
    const dup = layer('auth:\n  users: []\nsites:\n  - id: s1\n    name: 一中\n    district: d\n    devices:\n      - {id: b1, kind: alarm-button, name: 按钮, secret: secret-123}\n      - {id: b1, kind: alarm-button, name: 按钮2, secret: secret-123}\n');
    expect(configError(() => loadConfig({ env: { GATEWAY_CONFIG: dup } })).details).toStrictEqual([
      "/sites/0/devices/1/id: duplicate device id 'b1' (first at /sites/0/devices/0)",
    ]);
    const typo = layer('htp:\n  port: 80\n');
    expect(configError(() => loadConfig({ env: { GATEWAY_CONFIG: typo } })).message).toMatch(/htp/);
  });

  it('says which file and line a YAML syntax error is on', () => {
    const file = layer('http:\n  port: [80\n');
    const err = configError(() => loadConfig({ env: { GATEWAY_CONFIG: file } }));
    expect(err.message).toContain(`${file}:`);
  });

  it("lets a site file replace the district and drop the demo's adapters with null", async () => {
    const file = layer(
      'sites:\n  - id: xh-01\n    name: 西湖小学\n    district: xihu\n    devices:\n      - {id: xh-01-btn-1, kind: alarm-button, name: 按钮, secret: secret-123456}\n' +
        'auth:\n  users: []\nadapters:\n  alarm-centre-dc09: null\n  sms-smpp: null\n  radio: null\n  panel-dc09: null\n  barrier-modbus: null\n  camera-onvif: null\n  camera-gb28181: null\n',
    );
    const { sites, devices, config } = loadConfig({ env: { GATEWAY_CONFIG: file } });
    expect(sites.map((s) => s.id)).toStrictEqual(['xh-01']);
    expect(devices.map((d) => [d.id, d.adapter])).toStrictEqual([['xh-01-btn-1', 'mqtt-native']]);
    expect(Object.entries(config.adapters).filter(([, v]) => v !== null)).toStrictEqual([]);
  });

  it('tells a site file that replaces the district to bring its own operator accounts', () => {
    const file = layer('sites:\n  - id: xh-01\n    name: 西湖小学\n    district: xihu\n');
    expect(configError(() => loadConfig({ env: { GATEWAY_CONFIG: file } })).details).toStrictEqual([
      '/auth/users: 33 school accounts name schools that are not in sites (sch-01, sch-02, sch-03, …): a file that replaces sites must also set auth.users (the demo accounts are for the simulated district only)',
    ]);
  });

  it('refuses a missing configuration file with GW_ERR_CONFIG_READ', () => {
    expect(configError(() => loadConfig({ env: { GATEWAY_CONFIG: '/nonexistent/site.yaml' } })).code).toBe('GW_ERR_CONFIG_READ');
  });
});
