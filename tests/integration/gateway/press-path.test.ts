/**
 * Where each millisecond of a press goes (issue 19): a press through the real gateway (aedes
 * over TCP, the test 110 centre) leaves its marks in order on GET /api/diagnostics/press-path
 * and one observation per hop in campus_gateway_press_stage_seconds; readings, status reports
 * and a repeated press add nothing; the route asks for a login. No timings are asserted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alarm } from '../../../gateway/contract/types.js';
import type { PressPathRecord } from '../../../gateway/core/alarms/press-path.js';
import type { PanelDc09Adapter } from '../../../adapters/panel-dc09/index.js';
import { Dc09PanelSimulator } from '../../../simulators/alarm-centre/panel.js';
import { connectAs, eventually, startGateway, type TestGateway } from '../../helpers/gateway.js';

const BTN = 'sch-01-btn-1';
const STAGES = ['receive-decode', 'decode-commit', 'commit-frame', 'frame-ack'];

/** Each mark at or after the one before (one process: a monotonic clock). */
const inOrder = (p: PressPathRecord) => {
  const marks = [p.receivedAt, p.decodedAt, p.committedAt, p.frameWrittenAt, p.ackedAt];
  return marks.map((m, i) => m !== undefined && (i === 0 || m >= (marks[i - 1] as number)));
};

interface PressPathBody {
  capacity: number;
  presses: PressPathRecord[];
}

/** `campus_gateway_press_stage_seconds_count{stage}` of an exposition, by stage. */
function stageCounts(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^campus_gateway_press_stage_seconds_count\{stage="([^"]+)"\} (\d+)$/gm)) out[m[1] as string] = Number(m[2]);
  return out;
}

describe('GET /api/diagnostics/press-path and campus_gateway_press_stage_seconds', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startGateway();
  });
  afterAll(async () => t?.close());

  const pressPath = async (): Promise<PressPathBody> => {
    const res = await t.api('/api/diagnostics/press-path', { as: 'tech' });
    expect(res.status).toBe(200);
    return (await res.json()) as PressPathBody;
  };
  const metrics = async () => stageCounts(await (await fetch(`${t.baseUrl}/metrics`)).text());

  it('refuses without a login, and roles without metrics:read', async () => {
    const anonymous = await t.api('/api/diagnostics/press-path', { as: null });
    expect([anonymous.status, ((await anonymous.json()) as { code: string }).code]).toStrictEqual([401, 'GW_ERR_UNAUTHENTICATED']);
    expect((await t.api('/api/diagnostics/press-path', { as: 'duty' })).status).toBe(403);
    expect((await t.api('/api/diagnostics/press-path', { as: 'admin' })).status).toBe(200);
  });

  it('keeps nothing for readings and status reports', async () => {
    const before = t.gw.counters.snapshot('events.');
    const client = await connectAs(t.mqttUrl, BTN);
    try {
      await client.publishAsync(`campus/v1/sch-01/${BTN}/status`, 'online', { qos: 1 });
      for (let i = 0; i < 5; i++) await client.publishAsync(`campus/v1/sch-01/${BTN}/telemetry`, JSON.stringify({ battery: 90 - i }), { qos: 1 });
    } finally {
      await client.endAsync();
    }
    // Ingested (the gateway's own links report readings too: at least these).
    const after = t.gw.counters.snapshot('events.');
    expect([(after['events.telemetry'] ?? 0) - (before['events.telemetry'] ?? 0) >= 5, (after['events.status'] ?? 0) - (before['events.status'] ?? 0) >= 1]).toStrictEqual([true, true]);
    expect(await pressPath()).toStrictEqual({ capacity: 1000, presses: [] });
    expect(await metrics()).toStrictEqual({});
  });

  it('marks a press in order from the broker to the 110 ACK, once per hop in /metrics', async () => {
    const client = await connectAs(t.mqttUrl, BTN);
    try {
      await client.publishAsync(`campus/v1/sch-01/${BTN}/event`, JSON.stringify({ type: 'press', seq: 41 }), { qos: 1 });
      await t.centre.primary.waitForMessage((m) => m.account === '1001' && m.data.includes('PA'), 10_000);
      const alarm = t.gw.alarms.openAlarms().find((a: Alarm) => a.deviceId === BTN && a.type === 'panic');
      expect(alarm).toBeDefined();
      // The record is complete once the forwarder has the ACK (it notes forward-acked right after).
      const record = await eventually(async () => (await pressPath()).presses.find((p) => p.ackedAt !== undefined), { timeoutMs: 15_000 });
      expect({ ...record, receivedAt: 0, decodedAt: 0, committedAt: 0, frameWrittenAt: 0, ackedAt: 0 }).toStrictEqual({
        alarmId: alarm?.id,
        deviceId: BTN,
        seq: 41,
        receivedAt: 0,
        decodedAt: 0,
        committedAt: 0,
        frameWrittenAt: 0,
        ackedAt: 0,
        receiver: 'primary',
        attempt: 1,
      });
      expect(inOrder(record)).toStrictEqual([true, true, true, true, true]);
      // Wall-clock milliseconds (comparable with another process's), not a process-relative time.
      expect(Math.abs(record.receivedAt - Date.now())).toBeLessThan(10 * 60_000);
      expect(await metrics()).toStrictEqual(Object.fromEntries(STAGES.map((s) => [s, 1])));

      // A second press folds into the open alarm as a repeat: no second 110 report, no record.
      await client.publishAsync(`campus/v1/sch-01/${BTN}/event`, JSON.stringify({ type: 'press', seq: 42 }), { qos: 1 });
      await client.publishAsync(`campus/v1/sch-01/${BTN}/telemetry`, JSON.stringify({ battery: 80 }), { qos: 1 });
      await eventually(() => t.gw.alarms.openAlarms().find((a) => a.id === alarm?.id && a.repeats === 1));
      expect((await pressPath()).presses.map((p) => p.alarmId)).toStrictEqual([alarm?.id]);
      expect(await metrics()).toStrictEqual(Object.fromEntries(STAGES.map((s) => [s, 1])));
      expect((await (await t.api('/api/diagnostics/press-path?limit=0', { as: 'tech' })).json()) as { code: string }).toMatchObject({ code: 'GW_ERR_BAD_REQUEST' });
    } finally {
      await client.endAsync();
    }
  });

  it('marks a DC-09 alarm panel\'s panic from its socket to the 110 ACK', async () => {
    const port = (t.gw.adapters.get('panel-dc09') as PanelDc09Adapter).port as number;
    const panel = new Dc09PanelSimulator({ host: '127.0.0.1', port, account: '1031', ackTimeoutMs: 10_000 });
    await panel.start();
    try {
      expect((await panel.panic(1)).reply).toBe('ack');
      const record = await eventually(async () => (await pressPath()).presses.find((p) => p.deviceId === 'sch-31-btn-3' && p.ackedAt !== undefined), { timeoutMs: 15_000 });
      expect([inOrder(record), record.receiver]).toStrictEqual([[true, true, true, true, true], 'primary']);
      expect(await metrics()).toStrictEqual(Object.fromEntries(STAGES.map((s) => [s, 2])));
    } finally {
      await panel.stop();
    }
  });
});
