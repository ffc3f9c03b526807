/**
 * Retained messages are answered from the in-memory index (gateway/broker/indexed-persistence.ts),
 * which must hold exactly what the disk holds: after a restart, after a clear.
 */
import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import { connectAs, startGateway } from '../../helpers/gateway.js';

/** Retained messages a fresh subscriber gets: waits for `expected` of them, then a moment for extras. */
async function retainedStatuses(url: string, filter: string, expected: number): Promise<Record<string, string>> {
  const c = await mqtt.connectAsync(url, { clientId: `it-${Math.random()}`, username: 'integrator', password: 'demo-pass-integrator', protocolVersion: 4, reconnectPeriod: 0 });
  const got: Record<string, string> = {};
  let settle: () => void = () => undefined;
  const enough = new Promise<void>((r) => (settle = r));
  c.on('message', (topic, payload, packet) => {
    if (packet.retain) got[topic] = String(payload);
    if (Object.keys(got).length >= expected) settle();
  });
  await c.subscribeAsync(filter, { qos: 1 });
  await Promise.race([enough, new Promise((r) => setTimeout(r, 5000))]);
  // Anything more than expected would arrive right behind: give it a moment to show up.
  await new Promise((r) => setTimeout(r, 200));
  await c.endAsync();
  return got;
}

describe('retained messages', () => {
  it('serves retained statuses by exact topic and by wildcard, across a restart, and forgets cleared ones', async () => {
    let t = await startGateway();
    try {
      for (const id of ['sch-01-btn-1', 'sch-02-btn-1']) {
        const c = await connectAs(t.mqttUrl, id);
        await c.publishAsync(`campus/v1/${id.slice(0, 6)}/${id}/status`, 'online', { qos: 1, retain: true });
        await c.endAsync();
      }
      t = await t.restart();
      expect(await retainedStatuses(t.mqttUrl, 'campus/v1/+/+/status', 2)).toStrictEqual({
        'campus/v1/sch-01/sch-01-btn-1/status': 'online',
        'campus/v1/sch-02/sch-02-btn-1/status': 'online',
      });
      expect(await retainedStatuses(t.mqttUrl, 'campus/v1/sch-02/sch-02-btn-1/status', 1)).toStrictEqual({ 'campus/v1/sch-02/sch-02-btn-1/status': 'online' });
      // An empty retained payload clears it [MQTT-3.3.1-10].
      const c = await connectAs(t.mqttUrl, 'sch-01-btn-1');
      await c.publishAsync('campus/v1/sch-01/sch-01-btn-1/status', '', { qos: 1, retain: true });
      await c.endAsync();
      expect(await retainedStatuses(t.mqttUrl, 'campus/v1/+/+/status', 1)).toStrictEqual({ 'campus/v1/sch-02/sch-02-btn-1/status': 'online' });
    } finally {
      await t.close();
    }
  });
});
