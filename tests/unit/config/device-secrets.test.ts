import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG_PATH, loadConfig } from '../../../gateway/config/load.js';
import { GatewayError } from '../../../gateway/contract/errors.js';
import { hashSecretSync, verifySecret } from '../../../gateway/broker/password-hash.js';
import { demoSecret, demoSecretHash } from '../../../simulators/demo-secret.js';

const HASH = hashSecretSync('sch-01-btn-1-secret');

function load(mqtt: Record<string, unknown>, devices: Record<string, unknown>[]) {
  return loadConfig({
    files: [],
    env: {},
    overrides: {
      district: { id: 'test', name: '测试区' },
      mqtt,
      sites: [{ id: 'sch-01', name: '一中', district: 'test', devices }],
    },
  });
}

function errorsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).code).toBe('GW_ERR_CONFIG_INVALID');
    return (err as GatewayError).details;
  }
  throw new Error('expected GW_ERR_CONFIG_INVALID');
}

const button = (extra: Record<string, unknown>) => ({ id: 'sch-01-btn-1', kind: 'alarm-button', name: '按钮', ...extra });

describe('device secrets and MQTT user passwords', () => {
  it('the simulated district stores only stable $7$ hashes of demo-pass-<id>', async () => {
    const text = readFileSync(DEFAULT_CONFIG_PATH, 'utf8');
    expect(text).not.toMatch(/^\s+secret:/m);
    expect(text).not.toMatch(/password: demo-pass-integrator/);
    const { config, devices, warnings } = loadConfig({ files: [DEFAULT_CONFIG_PATH], env: {} });
    expect(warnings).toStrictEqual([]);
    const mqttDevices = config.sites.flatMap((s) => s.devices).filter((d) => (d.adapter ?? 'mqtt-native') === 'mqtt-native' || d.adapter === 'radio');
    expect(mqttDevices.length).toBeGreaterThan(150);
    for (const d of mqttDevices) expect(d.secretHash).toBe(demoSecretHash(d.id));
    const btn = devices.find((d) => d.id === 'sch-01-btn-1');
    expect(btn?.secretHash).toBe(demoSecretHash('sch-01-btn-1'));
    expect(await verifySecret(demoSecret('sch-01-btn-1'), btn?.secretHash ?? '')).toBe(true);
    expect(await verifySecret(demoSecret('sch-01-btn-2'), btn?.secretHash ?? '')).toBe(false);
    const integrator = config.mqtt.users.find((u) => u.username === 'integrator');
    expect(integrator).toStrictEqual({ username: 'integrator', passwordHash: demoSecretHash('integrator'), role: 'integrator' });
  });

  it('hashes plaintext secrets and passwords in memory at load and says how many', async () => {
    const loaded = load({ users: [{ username: 'ops', password: 'ops-password-1' }] }, [button({ secret: 'plain-secret-1' }), { id: 'sch-01-btn-2', kind: 'alarm-button', name: '按钮2', secretHash: HASH }]);
    expect(loaded.warnings).toHaveLength(1);
    expect(loaded.warnings?.[0]).toMatch(/^2 plaintext MQTT secret\(s\)\/password\(s\) in the configuration were hashed in memory/);
    const [d1, d2] = loaded.config.sites[0]?.devices ?? [];
    expect(Object.keys(d1 ?? {})).not.toContain('secret');
    expect(d1?.secretHash).toMatch(/^\$7\$101\$/);
    expect(d2?.secretHash).toBe(HASH);
    expect(loaded.devices.map((d) => d.secretHash)).toStrictEqual([d1?.secretHash, HASH]);
    expect(await verifySecret('plain-secret-1', loaded.devices[0]?.secretHash ?? '')).toBe(true);
    expect(JSON.stringify(loaded)).not.toContain('plain-secret-1');
    expect(JSON.stringify(loaded)).not.toContain('ops-password-1');
    expect(await verifySecret('ops-password-1', loaded.config.mqtt.users[0]?.passwordHash ?? '')).toBe(true);
  });

  it('refuses both forms at once, hashes mosquitto would refuse, and a device or user without any', () => {
    expect(
      errorsOf(() =>
        load({ users: [{ username: 'ops', password: 'ops-password-1', passwordHash: HASH }, { username: 'bad', passwordHash: '$6$abc$def' }, { username: 'none' }] }, [
          button({ secret: 'plain-secret-1', secretHash: HASH }),
          { id: 'sch-01-btn-2', kind: 'alarm-button', name: '按钮2', secretHash: 'demo-pass-sch-01-btn-2' },
          { id: 'sch-01-btn-3', kind: 'alarm-button', name: '按钮3' },
        ]),
      ),
    ).toStrictEqual([
      '/sites/0/devices/0: give either secret or secretHash, not both',
      '/sites/0/devices/1/secretHash: must be a mosquitto 2.x hash: $7$<iterations>$<12-byte salt, base64>$<64-byte PBKDF2-SHA512, base64>',
      '/sites/0/devices/2/secretHash: required for mqtt-native devices while mqtt.allowAnonymous is false and no mqtt.tls.caFile verifies client certificates',
      '/mqtt/users/0: give either password or passwordHash, not both',
      '/mqtt/users/1/passwordHash: a $6$ hash is one unstretched SHA-512 (mosquitto 1.x): regenerate it with mosquitto_passwd 2.x or hash-device-secret',
      '/mqtt/users/2/passwordHash: required unless mqtt.tls.caFile verifies client certificates',
    ]);
  });

  it('lets devices go without a password when a CA verifies client certificates, and wants the CA when certificates are required', () => {
    const tls = { port: 0, certFile: '/x/server.crt', keyFile: '/x/server.key' };
    expect(errorsOf(() => load({ tls }, [button({})]))).toStrictEqual([
      '/sites/0/devices/0/secretHash: required for mqtt-native devices while mqtt.allowAnonymous is false and no mqtt.tls.caFile verifies client certificates',
      '/mqtt/tls/caFile: required when requireClientCert is true (the CA that signs device certificates)',
    ]);
    const loaded = load({ tls: { ...tls, caFile: '/x/ca.crt' } }, [button({})]);
    expect(loaded.config.mqtt.tls).toStrictEqual({ ...tls, caFile: '/x/ca.crt', requireClientCert: true });
    expect(loaded.devices[0]?.secretHash).toBeUndefined();
  });

  it('defaults the per-device publish limit', () => {
    expect(load({}, [button({ secretHash: HASH })]).config.mqtt.rateLimit).toStrictEqual({ messagesPerSecond: 50, burst: 200, disconnectAfterSeconds: 10, clearAfterSeconds: 60 });
  });
});
