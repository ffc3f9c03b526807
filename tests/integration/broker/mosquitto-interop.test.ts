/**
 * Hashes are interchangeable with mosquitto 2.x: a password file written by the real
 * `mosquitto_passwd -b` is accepted by our verifier and our broker, and a hash we generate
 * is accepted by a real `mosquitto` broker.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret, verifySecret } from '../../../gateway/broker/password-hash.js';
import { demoSecret, demoSecretHash } from '../../../simulators/demo-secret.js';
import { tempDir } from '../../helpers/gateway.js';
import { run, startMosquitto, startStandaloneBroker, type Mosquitto, type StandaloneBroker } from './peers.js';

const connectOpts = { protocolVersion: 4 as const, reconnectPeriod: 0, connectTimeout: 5000 };

/** CONNACK return code of one connection attempt (0 = accepted). */
async function connackCode(url: string, username: string, password: string): Promise<number> {
  try {
    const c = await mqtt.connectAsync(url, { ...connectOpts, clientId: `t-${username}-${Math.random()}`, username, password });
    await c.endAsync();
    return 0;
  } catch (err) {
    const code = (err as { code?: number }).code;
    if (typeof code !== 'number') throw err;
    return code;
  }
}

describe('mosquitto_passwd → our verifier and broker', () => {
  let lines: Map<string, string>;
  let gw: StandaloneBroker | undefined;
  const dir = tempDir('mosquitto-passwd-');

  beforeAll(async () => {
    const file = join(dir, 'passwd');
    await run('mosquitto_passwd', ['-c', '-b', file, 'sch-01-btn-1', 'field-secret-Ω-1']);
    await run('mosquitto_passwd', ['-b', file, 'integrator-2', 'integrator-password-2']);
    lines = new Map(
      readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .map((l) => l.split(':') as [string, string]),
    );
    gw = await startStandaloneBroker({
      sites: [{ id: 'sch-01', name: '一中', district: 'test', devices: [{ id: 'sch-01-btn-1', kind: 'alarm-button', name: '按钮', secretHash: lines.get('sch-01-btn-1') }] }],
      mqtt: { users: [{ username: 'integrator-2', passwordHash: lines.get('integrator-2') }] },
    });
  });
  afterAll(async () => {
    await gw?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes $7$101 hashes our verifier accepts for the right password only', async () => {
    const hash = lines.get('sch-01-btn-1') ?? '';
    expect(hash).toMatch(/^\$7\$101\$[A-Za-z0-9+/]{16}\$[A-Za-z0-9+/]{86}==$/);
    expect(await verifySecret('field-secret-Ω-1', hash)).toBe(true);
    expect(await verifySecret('field-secret-Ω-2', hash)).toBe(false);
  });

  it('lets the device and the user in with their passwords and refuses wrong ones with CONNACK 4', async () => {
    const url = gw?.url ?? '';
    expect(await connackCode(url, 'sch-01-btn-1', 'field-secret-Ω-1')).toBe(0);
    expect(await connackCode(url, 'sch-01-btn-1', 'field-secret-Ω-1')).toBe(0); // the remembered success
    expect(await connackCode(url, 'sch-01-btn-1', 'wrong-secret')).toBe(4);
    expect(await connackCode(url, 'integrator-2', 'integrator-password-2')).toBe(0);
    expect(await connackCode(url, 'integrator-2', 'field-secret-Ω-1')).toBe(4);
    expect(gw?.counters.snapshot('mqtt.auth')).toStrictEqual({
      'mqtt.auth.accepted': 3,
      'mqtt.auth.refused.bad-credentials': 2,
      'mqtt.auth.verify.cached': 1,
      'mqtt.auth.verify.hashed': 4,
    });
  });
});

describe('our hashes → a real mosquitto broker', () => {
  let broker: Mosquitto | undefined;

  beforeAll(async () => {
    const random = await hashSecret('random-salt-secret-1');
    broker = await startMosquitto(`dev-a:${random}\nsch-01-btn-1:${demoSecretHash('sch-01-btn-1')}\n`);
  });
  afterAll(async () => {
    await broker?.stop();
  });

  it('accepts the right passwords and refuses wrong ones', async () => {
    const url = `mqtt://127.0.0.1:${broker?.port ?? 0}`;
    expect(await connackCode(url, 'dev-a', 'random-salt-secret-1')).toBe(0);
    expect(await connackCode(url, 'sch-01-btn-1', demoSecret('sch-01-btn-1'))).toBe(0);
    expect(await connackCode(url, 'dev-a', 'random-salt-secret-2')).toBe(5);
    expect(await connackCode(url, 'sch-01-btn-1', demoSecret('sch-01-btn-2'))).toBe(5);
  });
});
