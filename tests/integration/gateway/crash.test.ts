/**
 * Guarantee: an alarm accepted from a device (PUBACK sent) survives kill -9 of the gateway,
 * reaches the 110 centre after restart exactly once, and QoS 1 messages queued for a
 * persistent MQTT session survive too.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import type { Alarm } from '../../../gateway/contract/types.js';
import { AlarmCentreSimulator } from '../../../simulators/alarm-centre/alarm-centre-simulator.js';
import { spawnGateway, type GatewayProcess } from '../../helpers/gateway-process.js';
import { connectAs, eventually, tempDir } from '../../helpers/gateway.js';

describe('crash safety (kill -9)', () => {
  const procs: GatewayProcess[] = [];
  const dirs: string[] = [];
  const centres: AlarmCentreSimulator[] = [];
  afterEach(async () => {
    await Promise.all(procs.splice(0).map((p) => p.kill('SIGKILL')));
    await Promise.all(centres.splice(0).map((c) => c.stop()));
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('keeps an alarm acknowledged to the device across SIGKILL and forwards it to 110 once after restart', async () => {
    const dataDir = tempDir();
    dirs.push(dataDir);
    const centre = new AlarmCentreSimulator();
    centres.push(centre);
    const { port } = await centre.start({ port: 0, httpPort: null });
    // The centre is unreachable while the first gateway lives: the press can only be in its outbox.
    await centre.setMode('down');
    const site = join(dataDir, 'site.yaml');
    writeFileSync(
      site,
      `adapters:\n  alarm-centre-dc09:\n    primary: {host: 127.0.0.1, port: ${port}}\n    secondary: {host: 127.0.0.1, port: ${port}}\n    supervisionSeconds: 1\n    backoffMinMs: 50\n    backoffMaxMs: 300\n`,
    );
    const env = { DATA_DIR: dataDir, GATEWAY_CONFIG: site };
    const first = await spawnGateway(env);
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

    await centre.setMode('normal');
    const second = await spawnGateway(env);
    procs.push(second);
    const res = await second.api(`/api/alarms?state=active&site=sch-30`);
    const alarms = (await res.json()) as Alarm[];
    expect(alarms.map((a) => [a.type, a.deviceId, a.state, a.repeats])).toStrictEqual([['panic', 'sch-30-btn-1', 'active', 0]]);

    // The outbox survived: the centre gets the panic from school 30's account, once.
    await centre.waitForMessage((m) => m.account === '1030' && m.data.includes('PA'), 15_000);
    await eventually(async () => {
      const r = await second.api(`/api/alarms/${alarms[0]?.id}`);
      return ((await r.json()) as Alarm).timeline.some((e) => e.action === 'forward-acked') ? true : undefined;
    });
    expect(centre.messages({ account: '1030' }).filter((m) => m.data.includes('PA')).map((m) => [m.token, m.data])).toStrictEqual([['SIA-DCS', '#1030|NPA1']]);

    // The persistent session (kept on disk by the broker) comes back without subscribing again
    // and gets the alarm the restarted gateway republishes.
    const back = await mqtt.connectAsync(second.mqttUrl, sessionOpts);
    const received = await new Promise<Alarm>((resolve) =>
      back.on('message', (_t, p) => {
        const a = JSON.parse(String(p)) as Alarm;
        if (a.type === 'panic') resolve(a);
      }),
    );
    expect(received.id).toBe(alarms[0]?.id);
    await back.endAsync();
  }, 120_000); // two gateway processes start in it: generous on a loaded machine
});
