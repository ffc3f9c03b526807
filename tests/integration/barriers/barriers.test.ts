/**
 * Barriers through the whole gateway: Modbus TCP barriers polled from the controller
 * simulator and MQTT barriers, protection windows on a clock set to a school morning,
 * impacts dispatched like a panic, and verified raise commands.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock, type Clock } from '../../../gateway/contract/clock.js';
import type { Alarm, Health } from '../../../gateway/contract/types.js';
import { connectAs, eventually, startGateway, type TestGateway } from '../../helpers/gateway.js';

/** The system clock moved to a given Shanghai wall time (timers still run in real time). */
function clockAt(iso: string): Clock {
  const offset = Date.parse(iso) - Date.now();
  return { ...systemClock, now: () => Date.now() + offset };
}
// Monday 2026-11-23 07:40 in Shanghai: inside the 07:00–08:30 entry window.
const SCHOOL_MORNING = '2026-11-23T07:40:00+08:00';
// Sunday 2026-11-22 07:40: no window.
const SUNDAY_MORNING = '2026-11-22T07:40:00+08:00';

const openOf = (t: TestGateway, type: string, deviceId: string): Alarm | undefined => t.gw.alarms.openAlarms().find((a) => a.type === type && a.deviceId === deviceId);

describe('barriers', () => {
  let t: TestGateway | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('raises barrier-down-in-window for a Modbus barrier lowered on a school morning, clears it when raised', async () => {
    t = await startGateway({ barriers: { downInWindowGraceSeconds: 0.5 } }, { clock: clockAt(SCHOOL_MORNING) });
    const gw = t;
    await eventually(() => (gw.gw.health.get('sch-01-bar-1')?.status === 'ok' ? true : undefined));
    gw.centre.plc.lower(1);
    const alarm = await eventually(() => openOf(gw, 'barrier-down-in-window', 'sch-01-bar-1'), { timeoutMs: 15_000 });
    expect([alarm.severity, alarm.siteId]).toStrictEqual(['major', 'sch-01']);
    expect(gw.gw.health.get('sch-01-bar-1')?.reasons.map((r) => r.code)).toStrictEqual(['barrier-down-in-window']);
    // The duty officer raises it remotely; the adapter verifies the position.
    const res = await gw.api(`/api/devices/sch-01-bar-1/command`, { method: 'POST', body: '{"command":"raise"}', as: 'tech' });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { position: string }).position).toBe('raised');
    await eventually(async () => ((await gw.gw.alarms.get(alarm.id))?.state === 'resolved' ? true : undefined));
    // The school's guard post was told by broadcast (policy barrier-down-in-window).
    expect((await gw.gw.alarms.get(alarm.id))?.timeline.map((e) => e.action)).toStrictEqual(['raised', 'broadcast', 'cleared']);
    expect((await gw.gw.store.auditEntries()).filter((e) => e.action === 'barrier.command').map((e) => [e.target, e.detail.command, e.detail.outcome])).toStrictEqual([['sch-01-bar-1', 'raise', 'ok']]);
  });

  it('does the same for an MQTT barrier, and nothing on a Sunday', async () => {
    t = await startGateway({ barriers: { downInWindowGraceSeconds: 0.3 } }, { clock: clockAt(SCHOOL_MORNING) });
    const c = await connectAs(t.mqttUrl, 'sch-06-bar-1');
    await c.publishAsync('campus/v1/sch-06/sch-06-bar-1/telemetry', JSON.stringify({ position: 'lowered' }), { qos: 1 });
    const gw = t;
    await eventually(() => openOf(gw, 'barrier-down-in-window', 'sch-06-bar-1'));
    await c.publishAsync('campus/v1/sch-06/sch-06-bar-1/event', JSON.stringify({ type: 'raised' }), { qos: 1 });
    await eventually(() => (openOf(gw, 'barrier-down-in-window', 'sch-06-bar-1') ? undefined : true));
    await c.endAsync();
    await t.close();

    t = await startGateway({ barriers: { downInWindowGraceSeconds: 0.3 } }, { clock: clockAt(SUNDAY_MORNING) });
    const sunday = await connectAs(t.mqttUrl, 'sch-06-bar-1');
    await sunday.publishAsync('campus/v1/sch-06/sch-06-bar-1/telemetry', JSON.stringify({ position: 'lowered' }), { qos: 1 });
    // Well past the grace period, still no alarm: the rule has no window to check against.
    await new Promise((r) => setTimeout(r, 1000));
    expect(openOf(t, 'barrier-down-in-window', 'sch-06-bar-1')).toBeUndefined();
    await sunday.endAsync();
  });

  it('dispatches an impact like a panic: critical alarm forwarded to 110', async () => {
    t = await startGateway();
    const gw = t;
    await eventually(() => (gw.gw.health.get('sch-02-bar-1')?.status === 'ok' ? true : undefined));
    gw.centre.plc.impact(2, 1);
    const alarm = await eventually(() => openOf(gw, 'barrier-impact', 'sch-02-bar-1'));
    expect(alarm.severity).toBe('critical');
    const m = await gw.centre.primary.waitForMessage((x) => x.account === '1002' && x.data.includes('QA'), 10_000);
    expect(m.data).toBe('#1002|NQA1');
  });

  it('reports fault bits and a lost controller with their reasons, and recovers', async () => {
    t = await startGateway();
    const gw = t;
    await eventually(() => (gw.gw.health.get('sch-03-bar-1')?.status === 'ok' ? true : undefined));
    gw.centre.plc.setFault('hydraulic-pressure-low', 3);
    // The falling pressure reading (pressure-low) may be reported a poll before the fault bit.
    const faulty = await eventually(() => {
      const h = gw.gw.health.get('sch-03-bar-1');
      return h?.reasons.some((r) => r.code === 'barrier-fault' && r.detail?.includes('hydraulic')) ? h : undefined;
    });
    expect(faulty.reasons.find((r) => r.code === 'barrier-fault')?.detail).toContain('hydraulic');
    gw.centre.plc.restore(3);
    await gw.centre.plc.unreachable('drop');
    const lost = await eventually((): Health | undefined => {
      const h = gw.gw.health.get('sch-04-bar-1');
      return h?.status === 'offline' ? h : undefined;
    });
    expect(lost.reasons.map((r) => r.code)).toStrictEqual(['unreachable']);
    gw.centre.plc.restore();
    await eventually(() => (gw.gw.health.get('sch-04-bar-1')?.status === 'ok' ? true : undefined), { timeoutMs: 15_000 });
  });
});
