/**
 * Guarantee: an alarm accepted from a device (PUBACK sent) survives kill -9 of the gateway,
 * and QoS 1 messages queued for a persistent MQTT session survive it too.
 */
import { rmSync } from 'node:fs';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import type { Alarm } from '../../../gateway/core/types.js';
import { spawnGateway, type GatewayProcess } from '../../helpers/gateway-process.js';
import { connectAs, tempDir } from '../../helpers/gateway.js';

describe('crash safety (kill -9)', () => {
  const procs: GatewayProcess[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(procs.splice(0).map((p) => p.kill('SIGKILL')));
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('keeps an alarm acknowledged to the device and a persistent session queue across SIGKILL', async () => {
    const dataDir = tempDir();
    dirs.push(dataDir);
    const first = await spawnGateway({ DATA_DIR: dataDir });
    procs.push(first);

    // An integrator with a persistent session subscribes to alarms, then goes away.
    const sessionOpts = { clientId: 'ops-bridge', username: 'integrator', password: 'demo-pass-integrator', clean: false, protocolVersion: 4 as const, reconnectPeriod: 0 };
    const integrator = await mqtt.connectAsync(first.mqttUrl, sessionOpts);
    await integrator.subscribeAsync('campus/v1/alarms/#', { qos: 1 });
    await integrator.endAsync();

    const button = await connectAs(first.mqttUrl, 'sch-30-btn-1');
    await button.publishAsync('campus/v1/sch-30/sch-30-btn-1/event', JSON.stringify({ type: 'press', seq: 7 }), { qos: 1 });
    // PUBACK is in: kill the gateway before it can do anything else.
    await first.kill('SIGKILL');
    button.end(true);

    const second = await spawnGateway({ DATA_DIR: dataDir });
    procs.push(second);
    const res = await fetch(`${second.baseUrl}/api/alarms?state=active&site=sch-30`);
    const alarms = (await res.json()) as Alarm[];
    expect(alarms.map((a) => [a.type, a.deviceId, a.state, a.repeats])).toStrictEqual([['panic', 'sch-30-btn-1', 'active', 0]]);

    // The persistent session (kept on disk by the broker) comes back without subscribing again
    // and gets the alarm the restarted gateway republishes.
    const back = await mqtt.connectAsync(second.mqttUrl, sessionOpts);
    const received = await new Promise<Alarm>((resolve) => back.on('message', (_t, p) => resolve(JSON.parse(String(p)) as Alarm)));
    expect(received.id).toBe(alarms[0]?.id);
    await back.endAsync();
  });
});
