import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { radioAdapter, resolveRadioConfig, type RollCallAck, type TxAckEvent } from '../../../../adapters/radio/index.js';
import type { Outbound } from '../../../../gateway/contract/capabilities.js';
import type { Alarm, Site } from '../../../../gateway/contract/types.js';
import { FAST, RADIO, RADIO_SITE, startRig, type Rig } from './harness.js';
import { eventually } from '../../../helpers/gateway.js';

function site(rig: Rig, id: string): Site {
  const s = rig.ctx.devices.site(id);
  if (!s) throw new Error(`no site ${id}`);
  return s;
}

function panic(siteId: string, drill = false): Alarm {
  return {
    id: 'alm-1',
    type: 'panic',
    severity: 'critical',
    siteId,
    state: 'active',
    raisedAt: 1,
    updatedAt: 1,
    repeats: 0,
    drill,
    summary: '城东区第一中学 · 一键报警 门卫室 · 一键报警',
    timeline: [],
  };
}

const signal = () => AbortSignal.timeout(10_000);

describe('radio adapter against the real broker and the simulated radio gateway', () => {
  let rig: Rig;
  beforeEach(async () => {
    rig = await startRig();
  });
  afterEach(async () => {
    await rig.stop();
  });

  it('announces a broadcast once per talkgroup and reports each talkgroup acked', async () => {
    const msg: Outbound = { id: 'bc-1', kind: 'message', site: site(rig, 'sch-01'), alarm: panic('sch-01'), to: ['tg-sch-01', 'tg-patrol-1'], text: '【一键报警】城东区第一中学门卫室报警，请附近巡逻警力立即前往。详情 https://gw.example/alarms/alm-1' };
    const result = await rig.adapter.deliver(msg, signal());
    expect(result).toStrictEqual({ ok: true, reference: 'bc-1', latencyMs: result.latencyMs, detail: 'acked 2/2' });
    expect(rig.adapter.outcomes('bc-1')).toStrictEqual([
      { talkgroup: 'tg-sch-01', status: 'acked', latencyMs: rig.adapter.outcomes('bc-1')?.[0]?.latencyMs, attempts: 1 },
      { talkgroup: 'tg-patrol-1', status: 'acked', latencyMs: rig.adapter.outcomes('bc-1')?.[1]?.latencyMs, attempts: 1 },
    ]);
    const speech = '一键报警，城东区第一中学门卫室报警，请附近巡逻警力立即前往。';
    expect(rig.sim.transmissions().map(({ at: _at, ...t }) => t)).toStrictEqual([
      { id: 'bc-1', talkgroup: 'tg-sch-01', text: msg.text, speech, priority: 'emergency', received: 1 },
      { id: 'bc-1', talkgroup: 'tg-patrol-1', text: msg.text, speech, priority: 'emergency', received: 1 },
    ]);
  });

  it("without talkgroups, broadcasts to the school's guard post and the patrol groups; a drill says so and is not urgent", async () => {
    await rig.adapter.stop();
    const adapter = radioAdapter.create(resolveRadioConfig({ ...FAST, broadcastTalkgroups: ['tg-patrol-1'] }), rig.ctx);
    await adapter.start();
    try {
      const result = await adapter.deliver({ id: 'bc-drill', kind: 'message', site: site(rig, 'sch-01'), alarm: panic('sch-01', true) }, signal());
      expect(result.detail).toBe('acked 2/2');
      expect(rig.sim.transmissions().map((t) => [t.talkgroup, t.text, t.priority])).toStrictEqual([
        ['tg-sch-01', '【演练】城东区第一中学 · 一键报警 门卫室 · 一键报警', 'normal'],
        ['tg-patrol-1', '【演练】城东区第一中学 · 一键报警 门卫室 · 一键报警', 'normal'],
      ]);
    } finally {
      await adapter.stop();
    }
  });

  it('reports a talkgroup the radio gateway cannot use as failed, without retrying it', async () => {
    rig.sim.setMode({ failTalkgroups: ['tg-sch-02'] });
    const outcomes = await rig.adapter.transmit(RADIO, ['tg-sch-01', 'tg-sch-02'], '测试广播', 'bc-2', signal());
    expect(outcomes.map(({ latencyMs: _l, ...o }) => o)).toStrictEqual([
      { talkgroup: 'tg-sch-01', status: 'acked', attempts: 1 },
      { talkgroup: 'tg-sch-02', status: 'failed', attempts: 1, detail: 'channel-busy' },
    ]);
    expect(rig.sim.history().filter((r) => r.kind === 'command' && r.op === 'tx')).toHaveLength(1);
  });

  it('never announces twice when an ack is lost: the retry carries the same id and is acked as a duplicate', async () => {
    rig.sim.setMode({ loseAcks: 1 });
    const acks: TxAckEvent[] = [];
    const off = rig.adapter.onTxAck((a) => void acks.push(a));
    const outcomes = await rig.adapter.transmit(RADIO, ['tg-sch-01'], '城东区第一中学报警', 'bc-3', signal());
    off();
    expect(outcomes.map(({ latencyMs: _l, ...o }) => o)).toStrictEqual([
      { talkgroup: 'tg-sch-01', status: 'acked', attempts: 2, detail: 'already announced (duplicate suppressed by the radio gateway)' },
    ]);
    expect(rig.sim.transmissions().map((t) => [t.id, t.talkgroup, t.received])).toStrictEqual([['bc-3', 'tg-sch-01', 2]]);
    expect(rig.sim.history().filter((r) => r.kind === 'announce')).toHaveLength(1);
    expect(acks.map(({ at: _at, ...a }) => a)).toStrictEqual([{ radioId: RADIO, ref: 'bc-3', talkgroup: 'tg-sch-01', status: 'ok', dup: true, late: false }]);
  });

  it('a silent radio gateway: retries, then timeout and a failed delivery, then unreachable; recovery clears it', async () => {
    await rig.sim.waitFor((r) => r.kind === 'heartbeat');
    rig.sim.setMode({ silent: true });
    const from = rig.ctx.conditions.length;
    const result = await rig.adapter.deliver({ id: 'bc-4', kind: 'message', site: site(rig, 'sch-02'), to: ['tg-sch-02'], text: '城东区第二小学报警' }, signal());
    expect(result).toStrictEqual({ ok: false, reference: 'bc-4', latencyMs: result.latencyMs, detail: 'acked 0/1; tg-sch-02 timeout (no tx-ack after 3 attempts)' });
    expect(rig.sim.history().filter((r) => r.kind === 'command' && r.id === 'bc-4').map((r) => (r.kind === 'command' ? r.attempt : 0))).toStrictEqual([1, 2, 3]);
    expect(rig.sim.transmissions()).toStrictEqual([]);
    const down = await rig.condition('unreachable', true, from);
    expect(down.detail).toMatch(/^silent for \d+ ms \(3 heartbeats of 100 ms missed\)$/u);
    expect(rig.adapter.isReachable(RADIO)).toBe(false);

    const mark = rig.ctx.conditions.length;
    rig.sim.setMode({ silent: false });
    await rig.condition('unreachable', false, mark);
    const outcomes = await rig.adapter.transmit(RADIO, ['tg-sch-02'], '城东区第二小学报警', 'bc-5', signal());
    expect(outcomes[0]?.status).toBe('acked');
  });

  it("hands a school handset's emergency call to the core before the radio gateway gets its PUBACK, once per call", async () => {
    const callId = await rig.sim.emergencyCall('tg-sch-01', 'sch-01-hs-1');
    // The simulator's publish resolved on PUBACK: the event must already be there.
    const e = rig.ctx.events.find((x) => x.type === 'emergency-call');
    expect(e).toStrictEqual({ deviceId: RADIO, type: 'emergency-call', at: e?.at, data: { talkgroup: 'tg-sch-01', unit: 'sch-01-hs-1', detail: 'tg-sch-01 sch-01-hs-1', siteId: 'sch-01', callId } });
    await rig.sim.emergencyCall('tg-sch-01', 'sch-01-hs-1', { callId });
    await rig.sim.emergencyCancel('tg-sch-01', 'sch-01-hs-1', { callId });
    expect(rig.ctx.events.filter((x) => x.type.startsWith('emergency')).map((x) => x.type)).toStrictEqual(['emergency-call', 'emergency-cancel']);
  });

  it('takes the site from the payload only when the talkgroup is of no known school', async () => {
    await rig.sim.emergencyCall('tg-unknown', 'hs-9', { callId: 'c-1', siteId: 'sch-02' });
    await rig.sim.emergencyCall('tg-unknown', 'hs-9', { callId: 'c-2', siteId: 'nowhere' });
    await rig.sim.emergencyCall('tg-sch-01', 'hs-1', { callId: 'c-3', siteId: 'sch-02' });
    expect(rig.ctx.events.filter((x) => x.type === 'emergency-call').map((x) => x.data)).toStrictEqual([
      { talkgroup: 'tg-unknown', unit: 'hs-9', detail: 'tg-unknown hs-9', siteId: 'sch-02', callId: 'c-1' },
      { talkgroup: 'tg-unknown', unit: 'hs-9', detail: 'tg-unknown hs-9', callId: 'c-2' },
      { talkgroup: 'tg-sch-01', unit: 'hs-1', detail: 'tg-sch-01 hs-1', siteId: 'sch-01', callId: 'c-3' },
    ]);
  });

  it('reports each unit confirming a roll-call once', async () => {
    rig.sim.setMode({ rollCallUnits: ['patrol-07', 'patrol-09'] });
    const seen: RollCallAck[] = [];
    const got = new Promise<void>((resolve) => {
      rig.adapter.onRollCall((a) => {
        seen.push(a);
        if (seen.length === 2) resolve();
      });
    });
    await rig.adapter.transmit(RADIO, ['tg-patrol-1'], '全体巡逻组请确认', 'bc-6', signal(), { rollCall: true });
    await got;
    await rig.sim.rollCall('bc-6', 'patrol-07', 'tg-patrol-1');
    await rig.sim.rollCall('bc-6', 'guard-sch-01');
    const strip = (a: RollCallAck) => ({ ...a, at: 0 });
    // The two automatic acks travel concurrently: their order is not part of the contract.
    const byUnit = (a: { unit: string }, b: { unit: string }) => a.unit.localeCompare(b.unit);
    expect(rig.adapter.rollCall('bc-6').map(strip).sort(byUnit)).toStrictEqual([
      { radioId: RADIO, ref: 'bc-6', unit: 'guard-sch-01', at: 0 },
      { radioId: RADIO, ref: 'bc-6', unit: 'patrol-07', talkgroup: 'tg-patrol-1', at: 0 },
      { radioId: RADIO, ref: 'bc-6', unit: 'patrol-09', talkgroup: 'tg-patrol-1', at: 0 },
    ]);
    expect([...seen.slice(0, 2).map((a) => a.unit).sort(), seen[2]?.unit, seen.length]).toStrictEqual(['patrol-07', 'patrol-09', 'guard-sch-01', 3]);
  });

  it('keeps a pending roll-call across a restart of the adapter: answers after it still count, answers before it are kept', async () => {
    rig.sim.setMode({ rollCallUnits: ['patrol-07'] });
    const first = new Promise<void>((resolve) => rig.adapter.onRollCall(() => resolve()));
    await rig.adapter.transmit(RADIO, ['tg-patrol-1'], '全体巡逻组请确认', 'bc-restart', signal(), { rollCall: true });
    await first;
    // A new adapter instance on the same data dir, as after a gateway restart; the old one is stopped
    // without a word to its store (every change was already written).
    await rig.adapter.stop();
    const again = radioAdapter.create(resolveRadioConfig({ ...FAST }), rig.ctx);
    rig.adapter = again;
    await again.start();
    expect(again.rollCall('bc-restart').map((a) => a.unit)).toStrictEqual(['patrol-07']);
    const late = new Promise<RollCallAck>((resolve) => again.onRollCall(resolve));
    await rig.sim.rollCall('bc-restart', 'guard-sch-01');
    expect((await late).unit).toBe('guard-sch-01');
    expect(again.rollCall('bc-restart').map((a) => a.unit).sort()).toStrictEqual(['guard-sch-01', 'patrol-07']);
    expect(rig.ctx.rejects.filter((r) => r.reason === 'rollcall-unknown-ref')).toStrictEqual([]);
  });

  it('refuses (and counts) a roll-call answer for a broadcast it never sent through that radio gateway', async () => {
    await rig.sim.rollCall('bc-never-sent', 'patrol-07', 'tg-patrol-1');
    await eventually(() => rig.ctx.rejects.find((r) => r.reason === 'rollcall-unknown-ref'));
    expect(rig.adapter.rollCall('bc-never-sent')).toStrictEqual([]);
    expect(rig.ctx.rejects.filter((r) => r.reason === 'rollcall-unknown-ref').map((r) => r.deviceId)).toStrictEqual([RADIO]);
  });

  it('check() pings: pong latency as evidence; a silent gateway is unreachable at once', async () => {
    const device = rig.ctx.devices.get(RADIO);
    if (!device) throw new Error('no radio device');
    const ok = await rig.adapter.check(device, signal());
    expect(ok).toStrictEqual({ status: 'ok', reasons: [], evidence: { pendingTx: 0, radioLink: 'up', lastSeenAgoMs: ok.evidence.lastSeenAgoMs, pingMs: ok.evidence.pingMs } });
    expect(typeof ok.evidence.pingMs).toBe('number');
    rig.sim.setMode({ silent: true });
    const from = rig.ctx.conditions.length;
    const bad = await rig.adapter.check(device, signal());
    expect(bad.status).toBe('offline');
    expect(bad.reasons).toStrictEqual([{ code: 'unreachable', detail: 'no pong within 200 ms' }]);
    expect(rig.ctx.conditions[from]).toStrictEqual({ deviceId: RADIO, code: 'unreachable', active: true, detail: 'no pong within 200 ms' });
  });

  it('forwards heartbeats as telemetry, a lost radio link as channel-unbound, and the will as offline', async () => {
    await rig.ctx.waitForEvent((e) => e.type === 'telemetry');
    const t = rig.ctx.events.find((e) => e.type === 'telemetry');
    expect(Object.keys(t?.data ?? {}).sort()).toStrictEqual(['announced', 'radio', 'uptimeS']);
    rig.sim.setMode({ radioLink: 'down' });
    await rig.condition('channel-unbound', true);
    const outcomes = await rig.adapter.transmit(RADIO, ['tg-sch-01'], '测试', 'bc-7', signal());
    expect(outcomes.map((o) => [o.status, o.detail])).toStrictEqual([['failed', 'radio-link-down']]);
    rig.sim.setMode({ radioLink: 'up' });
    await rig.condition('channel-unbound', false);

    rig.sim.drop();
    await rig.ctx.waitForEvent((e) => e.type === 'status' && e.data?.status === 'offline');
    const mark = rig.ctx.events.length;
    await rig.sim.restore();
    await rig.ctx.waitForEvent((e) => rig.ctx.events.indexOf(e) >= mark && e.type === 'status' && e.data?.status === 'online');
  });

  it('refuses a transmission it cannot make, with a coded error', async () => {
    await expect(rig.adapter.transmit('radio-9', ['tg-sch-01'], '测试', 'x', signal())).rejects.toMatchObject({ code: 'GW_ERR_RADIO_UNKNOWN_GATEWAY' });
    await expect(rig.adapter.transmit(RADIO, [], '测试', 'x', signal())).rejects.toMatchObject({ code: 'GW_ERR_RADIO_NO_TALKGROUPS' });
    await expect(rig.adapter.transmit(RADIO, ['tg-sch-01'], '  ', 'x', signal())).rejects.toMatchObject({ code: 'GW_ERR_RADIO_EMPTY_TEXT' });
    expect(await rig.adapter.deliver({ id: 'x', kind: 'message', site: site(rig, RADIO_SITE) }, signal())).toStrictEqual({ ok: false, reference: 'x', detail: 'x: nothing to send (no text, no alarm)' });
    expect(await rig.adapter.deliver({ id: 'y', kind: 'message', site: site(rig, RADIO_SITE), text: '测试' }, signal())).toStrictEqual({
      ok: false,
      reference: 'y',
      detail: 'y: no talkgroups (none given, none for site ps-1, no broadcastTalkgroups)',
    });
  });
});
