/**
 * Read access is checked for every delivered message (issue 18): a `deny` narrower than a
 * client's subscription holds for live and retained messages, as in mosquitto.
 */
import mqtt, { type ISubscriptionGrant, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectAs, eventually, startGateway, type TestGateway } from '../../helpers/gateway.js';

async function subscribeCodes(client: MqttClient, topics: string[]): Promise<number[]> {
  try {
    return (await client.subscribeAsync(topics, { qos: 1 })).map((g: ISubscriptionGrant) => g.qos);
  } catch (err) {
    const granted = (err as { packet?: { granted?: number[] } }).packet?.granted;
    if (!granted) throw err;
    return granted;
  }
}

const press = (id: string) => JSON.stringify({ type: 'press', id });

describe('ACL on delivery', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startGateway({
      mqtt: {
        users: [
          { username: 'watcher', password: 'watcher-pass', role: 'integrator' },
          { username: 'wide', password: 'wide-pass-1', role: 'integrator' },
          { username: 'ops', password: 'ops-pass-01', role: 'integrator' },
        ],
        acl: [
          { user: 'watcher', topic: 'campus/#', access: 'readwrite' },
          { user: 'watcher', topic: 'campus/v1/alarms/#', access: 'deny' },
          // The example: a grant of everything, a deny of the campus tree.
          { user: 'wide', topic: '#', access: 'readwrite' },
          { user: 'wide', topic: 'campus/#', access: 'deny' },
          // A control: the same grant without the deny does receive alarm state.
          { user: 'ops', topic: 'campus/#', access: 'read' },
        ],
      },
    });
  });
  afterAll(async () => {
    await t.close();
  });

  it('a client granted campus/# and denied campus/v1/alarms/# receives other campus topics but no alarm state, retained or live', async () => {
    // Retained alarm state exists before the watcher subscribes.
    const before = await connectAs(t.mqttUrl, 'sch-01-btn-1');
    await before.publishAsync('campus/v1/sch-01/sch-01-btn-1/event', press('p-before'), { qos: 1 });
    await before.endAsync();
    expect(t.gw.alarms.openAlarms().some((a) => a.deviceId === 'sch-01-btn-1')).toBe(true);

    const opts = { protocolVersion: 4 as const, reconnectPeriod: 0, connectTimeout: 5000 };
    const watcher = await mqtt.connectAsync(t.mqttUrl, { ...opts, clientId: 'watcher-1', username: 'watcher', password: 'watcher-pass' });
    const control = await mqtt.connectAsync(t.mqttUrl, { ...opts, clientId: 'ops-1', username: 'ops', password: 'ops-pass-01' });
    const watcherGot: string[] = [];
    const controlGot: string[] = [];
    watcher.on('message', (topic) => watcherGot.push(topic));
    control.on('message', (topic) => controlGot.push(topic));
    // campus/# lies under the grant: granted. # does not (mosquitto refuses it too): 0x80.
    expect(await subscribeCodes(watcher, ['campus/#', '#', 'campus/v1/alarms/#'])).toStrictEqual([1, 128, 128]);
    expect(await subscribeCodes(control, ['campus/#'])).toStrictEqual([1]);

    // The control receives the retained alarm state: there is something to withhold.
    await eventually(() => controlGot.some((x) => x.startsWith('campus/v1/alarms/')));

    // Presses happen while both listen; the device's own topics are campus topics too.
    const devices = await Promise.all(['sch-02-btn-1', 'sch-03-btn-1'].map((id) => connectAs(t.mqttUrl, id)));
    for (const [i, d] of devices.entries()) {
      await d.publishAsync(`campus/v1/sch-0${i + 2}/sch-0${i + 2}-btn-1/event`, press(`p-${i}`), { qos: 1 });
      await d.publishAsync(`campus/v1/sch-0${i + 2}/sch-0${i + 2}-btn-1/telemetry`, JSON.stringify({ battery: 90 }), { qos: 1 });
    }
    const alarmTopicsOf = (got: string[]) => new Set(got.filter((x) => x.startsWith('campus/v1/alarms/')));
    await eventually(() => t.gw.alarms.openAlarms().length >= 3);
    // Late subscribers get the retained board state of every alarm (the control all of it).
    const lateControl = await mqtt.connectAsync(t.mqttUrl, { ...opts, clientId: 'ops-2', username: 'ops', password: 'ops-pass-01' });
    const lateWatcher = await mqtt.connectAsync(t.mqttUrl, { ...opts, clientId: 'watcher-2', username: 'watcher', password: 'watcher-pass' });
    const lateControlGot: string[] = [];
    const lateWatcherGot: string[] = [];
    lateControl.on('message', (topic) => lateControlGot.push(topic));
    lateWatcher.on('message', (topic) => lateWatcherGot.push(topic));
    const deniedBefore = t.gw.counters.get('mqtt.forward.denied');
    await lateControl.subscribeAsync('campus/#', { qos: 1 });
    await lateWatcher.subscribeAsync('campus/#', { qos: 1 });
    await eventually(() => alarmTopicsOf(lateControlGot).size >= 3);
    // A marker published last by the gateway: once a client has it, what came before was delivered or withheld.
    await t.gw.broker.bus.publish('campus/v1/marker', 'end', { qos: 1 });
    const all = [watcherGot, controlGot, lateWatcherGot, lateControlGot];
    await eventually(() => all.every((got) => got.includes('campus/v1/marker')));

    expect(alarmTopicsOf(controlGot).size).toBeGreaterThanOrEqual(1);
    expect(alarmTopicsOf(watcherGot)).toStrictEqual(new Set());
    expect(alarmTopicsOf(lateWatcherGot)).toStrictEqual(new Set());
    expect(watcherGot).toContain('campus/v1/sch-02/sch-02-btn-1/event');
    expect(watcherGot).toContain('campus/v1/sch-03/sch-03-btn-1/telemetry');
    // Withheld, not missing: the broker refused each retained alarm state to the late watcher.
    expect(t.gw.counters.get('mqtt.forward.denied') - deniedBefore).toBeGreaterThanOrEqual(3);

    await Promise.all([lateControl, lateWatcher].map((c) => c.endAsync()));
    await Promise.all([...devices, watcher, control].map((c) => c.endAsync()));
  });

  it('a grant of # with a deny of campus/#: a # subscriber receives nothing of the campus tree', async () => {
    const wide = await mqtt.connectAsync(t.mqttUrl, { protocolVersion: 4, reconnectPeriod: 0, clientId: 'wide-1', username: 'wide', password: 'wide-pass-1' });
    const got: string[] = [];
    wide.on('message', (topic) => got.push(topic));
    expect(await subscribeCodes(wide, ['#'])).toStrictEqual([1]);
    const d = await connectAs(t.mqttUrl, 'sch-04-btn-1');
    await d.publishAsync('campus/v1/sch-04/sch-04-btn-1/event', press('p-wide'), { qos: 1 });
    await t.gw.broker.bus.publish('elsewhere/marker', 'end', { qos: 1 });
    await eventually(() => got.includes('elsewhere/marker'));
    expect(got.filter((x) => x.startsWith('campus/'))).toStrictEqual([]);
    await Promise.all([d.endAsync(), wide.endAsync()]);
  });
});
