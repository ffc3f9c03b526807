/**
 * The Eclipse Paho MQTT 3.1.1 interoperability suite (tests/fixtures/paho-interop, a peer not
 * written here) against the gateway's broker, with anonymous clients confined to the suite's own
 * topic tree by the ACL: they may write only the suite's topics and, though a `#` read grant lets
 * them subscribe to `#`, the campus tree is denied and withheld on delivery.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectAs, startGateway, type TestGateway } from '../../helpers/gateway.js';

const run = promisify(execFile);

/** ACL rules for anonymous clients (username ''): the suite's topics, nothing of the campus. */
const ANONYMOUS = [
  ...['TopicA', 'TopicA/#', 'Topic/#', '/TopicA', '/#', '$TopicA/#'].map((topic) => ({ user: '', topic, access: 'readwrite' as const })),
  { user: '', topic: '#', access: 'read' as const },
  { user: '', topic: 'campus/#', access: 'deny' as const },
  { user: '', topic: 'test/nosubscribe', access: 'deny' as const },
];

describe('Eclipse Paho MQTT 3.1.1 interoperability suite', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startGateway({ mqtt: { allowAnonymous: true, acl: ANONYMOUS } });
  });
  afterAll(async () => {
    await t.close();
  });

  it('passes every test of client_test.py, optional ones included, with anonymous clients confined to its topics', async () => {
    // Retained alarm state exists: the suite's `#` subscriptions must not see it.
    const button = await connectAs(t.mqttUrl, 'sch-05-btn-1');
    await button.publishAsync('campus/v1/sch-05/sch-05-btn-1/event', JSON.stringify({ type: 'press' }), { qos: 1 });
    await button.endAsync();
    const deniedBefore = t.gw.counters.get('mqtt.forward.denied');

    const { stdout, stderr } = await run('python3', ['tests/fixtures/paho-interop/run_suite.py', '127.0.0.1', String(t.mqttPort)], { timeout: 240_000 }).catch(
      (err: { stdout: string; stderr: string }) => {
        throw new Error(`paho suite failed:\n${err.stdout}\n${err.stderr}`);
      },
    );
    expect(`${stdout}\n${stderr}`).toMatch(/^(\d+) passed, 0 failed$/m);
    expect(stderr).toMatch(/^OK$/m);
    // The suite's `#` subscriptions were offered the campus tree's retained state and were refused it.
    expect(t.gw.counters.get('mqtt.forward.denied')).toBeGreaterThan(deniedBefore);

    // Confined: an anonymous client cannot publish into the campus tree (the connection is closed).
    const anon = await mqtt.connectAsync(t.mqttUrl, { protocolVersion: 4, reconnectPeriod: 0, clientId: 'anon-probe' });
    const closed = new Promise<void>((r) => anon.once('close', () => r()));
    anon.publish('campus/v1/sch-05/sch-05-btn-1/event', JSON.stringify({ type: 'press' }), { qos: 1 });
    await closed;
    expect(t.gw.counters.get('mqtt.publish.denied')).toBeGreaterThanOrEqual(1);
    anon.end(true);
  }, 300_000);
});
