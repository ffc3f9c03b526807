/**
 * The sms-cmpp adapter against the simulated ISMG over loopback: CONNECT authentication both
 * ways, version negotiation, the window, ACTIVE_TEST both ways and its timeout, long UCS-2
 * messages, status reports (also across an adapter restart), flow control, replies, TERMINATE.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { StatusChange } from '../../../../adapters/sms-cmpp/index.js';
import { startCmppPair, type CmppPair } from './harness.js';

const A = '13800138001';
const B = '13800138002';

let pair: CmppPair | undefined;
afterEach(async () => {
  await pair?.stop();
  pair = undefined;
});

/** Resolves with the final changes of `n` recipients of `ref`. */
function finals(p: CmppPair, ref: string, n: number, timeoutMs = 10_000): Promise<StatusChange[]> {
  const seen = new Map<string, StatusChange>();
  return p
    .next<StatusChange>(
      (cb) => p.adapter.onStatus(cb),
      (c) => {
        if (c.status.ref === ref && (c.status.state === 'delivered' || c.status.state === 'failed')) seen.set(c.status.recipient, c);
        return seen.size === n;
      },
      timeoutMs,
    )
    .then(() => [...seen.values()]);
}

describe('sms-cmpp adapter over loopback', () => {
  it('connects with the MD5 authenticator, submits with Registered_Delivery 1 and ends each recipient delivered by its report', async () => {
    pair = await startCmppPair();
    expect(pair.sim.records().filter((r) => r.type === 'connect')).toMatchObject([{ spId: '901234', version: 0x20, status: 0, negotiated: '2.0' }]);
    const done = finals(pair, 'b-1', 2);
    const results = await pair.adapter.send([A, B], '演练：北门临时封闭', 'b-1');
    expect(results.map((r) => [r.recipient, r.state, r.msgIds.length, r.duplicate])).toStrictEqual([
      [A, 'sent', 1, false],
      [B, 'sent', 1, false],
    ]);
    await done;
    expect(pair.adapter.status('b-1').map((s) => [s.recipient, s.state, s.evidence, s.lastStat])).toStrictEqual([
      [A, 'delivered', 'report', 'DELIVRD'],
      [B, 'delivered', 'report', 'DELIVRD'],
    ]);
    expect(pair.sim.submits().map((s) => [s.to, s.from, s.msgSrc, s.serviceId, s.msgFmt, s.registeredDelivery, s.text])).toStrictEqual([
      [A, '1065710001', '901234', 'MJS0001', 8, 1, '演练：北门临时封闭'],
      [B, '1065710001', '901234', 'MJS0001', 8, 1, '演练：北门临时封闭'],
    ]);
    // The Msg_Ids the adapter keeps are the ISMG's, octet for octet.
    expect(pair.adapter.status('b-1').map((s) => s.msgIds[0])).toStrictEqual(pair.sim.submits().map((s) => s.msgId));
  });

  it('a wrong shared secret is refused with Status 3, reported as channel-unbound, and never connects', async () => {
    pair = await startCmppPair({ cfg: { sharedSecret: 'wrong' }, connect: false });
    const down = await pair.condition('channel-unbound', true);
    expect(down.detail).toBe(`CMPP_CONNECT refused by ISMG 127.0.0.1:${pair.port} as SP 901234: Status 3 (authentication error); check spId and sharedSecret`);
    await pair.sim.waitFor((r) => r.type === 'connect' && pair?.sim.records().filter((x) => x.type === 'connect').length === 3);
    expect(new Set(pair.sim.records().flatMap((r) => (r.type === 'connect' ? [r.status] : [])))).toStrictEqual(new Set([3]));
    expect(pair.adapter.isConnected()).toBe(false);
  });

  it('checks the ISMG too: an AuthenticatorISMG the secret does not give is refused under verifyIsmg enforce', async () => {
    pair = await startCmppPair({ cfg: { verifyIsmg: 'enforce' }, mode: { badAuthenticator: true }, connect: false });
    const down = await pair.condition('channel-unbound', true);
    expect(down.detail).toBe(`AuthenticatorISMG from ISMG 127.0.0.1:${pair.port} as SP 901234 does not match the shared secret (verifyIsmg: enforce)`);
    // The genuine ISMG is accepted.
    pair.sim.setMode({ badAuthenticator: false });
    await pair.condition('channel-unbound', false);
    expect(pair.adapter.isConnected()).toBe(true);
  });

  it('negotiates the version: 3.0 with a 3.0 ISMG, and falls back to 2.0 when a 2.0 ISMG answers Status 4', async () => {
    pair = await startCmppPair({ cfg: { version: '3.0' } });
    expect(pair.sim.records().filter((r) => r.type === 'connect')).toMatchObject([{ version: 0x30, status: 0, negotiated: '3.0' }]);
    await pair.adapter.send([A], '测试', 'v3');
    expect(pair.sim.submits().map((s) => [s.version, s.to])).toStrictEqual([['3.0', A]]);
    await pair.stop();

    pair = await startCmppPair({ cfg: { version: '3.0' }, sim: { maxVersion: '2.0' } });
    expect(pair.sim.records().filter((r) => r.type === 'connect').map((r) => (r.type === 'connect' ? [r.version, r.status] : []))).toStrictEqual([
      [0x30, 4],
      [0x20, 0],
    ]);
    const done = finals(pair, 'v2', 1);
    await pair.adapter.send([A], '测试', 'v2');
    await done;
    expect(pair.sim.submits().map((s) => [s.version, s.to])).toStrictEqual([['2.0', A]]);
  });

  it('keeps at most `window` SUBMITs unanswered, and every recipient is submitted exactly once', async () => {
    pair = await startCmppPair({ cfg: { window: 5 } });
    pair.sim.setMode({ submitRespDelayMs: 30 });
    const people = Array.from({ length: 40 }, (_, i) => `1390000${String(i).padStart(4, '0')}`);
    const done = finals(pair, 'w', people.length, 20_000);
    await pair.adapter.send(people, '窗口测试', 'w');
    await done;
    expect(pair.sim.peakOutstanding()).toBe(5);
    expect(pair.adapter.windowStats().peakInFlight).toBe(5);
    expect(pair.sim.submits().map((s) => s.to).sort()).toStrictEqual(people);
    expect(pair.adapter.status('w').every((s) => s.state === 'delivered')).toBe(true);
  });

  it('ACTIVE_TEST: answers the ISMG, and reconnects after N unanswered tries T apart', async () => {
    pair = await startCmppPair({ cfg: { activeTestSeconds: 0.1, activeTestTimeoutSeconds: 0.1, activeTestTries: 3 } });
    expect(await pair.sim.activeTest()).toBe(1);
    pair.sim.setMode({ answerActiveTest: false });
    const down = await pair.condition('channel-unbound', true);
    expect(down.detail).toBe('no CMPP_ACTIVE_TEST_RESP to 3 tries 100 ms apart');
    const unanswered = pair.sim.records().filter((r) => r.type === 'active-test' && r.from === 'sp' && !r.answered);
    expect(unanswered.length).toBeGreaterThanOrEqual(3);
    const mark = pair.ctx.conditions.length;
    pair.sim.setMode({ answerActiveTest: true });
    await pair.condition('channel-unbound', false, mark);
    expect(pair.sim.records().filter((r) => r.type === 'connect').length).toBeGreaterThanOrEqual(2);
  });

  it('splits a long Chinese text into UCS-2 parts with a UDH, which the ISMG joins into one message', async () => {
    pair = await startCmppPair();
    const text = '【城东区公安分局】紧急通知：城东区第一中学北门发生可疑人员滞留事件，请附近巡逻民警立即前往处置，学校门卫室关闭校门并组织学生留在教室，各校安保负责人收到后请回复“收到”。';
    const n = Math.ceil(text.length / 67);
    const done = finals(pair, 'long', 1);
    const [r] = await pair.adapter.send([A], text, 'long');
    expect(r?.msgIds).toHaveLength(n);
    await done;
    expect(pair.sim.messages().map((m) => [m.to, m.text, m.parts, m.msgFmt])).toStrictEqual([[A, text, n, 8]]);
    const parts = pair.sim.submits();
    expect(parts.map((p) => [p.tpUdhi, p.pkTotal, p.pkNumber, p.concat?.total, p.concat?.index])).toStrictEqual(parts.map((_, i) => [1, n, i + 1, n, i + 1]));
    expect(new Set(parts.map((p) => p.concat?.ref)).size).toBe(1);
    expect(pair.adapter.status('long')[0]).toMatchObject({ state: 'delivered', parts: n, delivered: n });
  });

  it('reports failure Stats as failed recipients with their reason', async () => {
    pair = await startCmppPair();
    pair.sim.setMode({ failNumbers: [B], failStat: 'MB:0054' });
    const changes = await Promise.all([finals(pair, 'f', 2), pair.adapter.send([A, B], '疏散演练', 'f')]).then(([c]) => c);
    expect(Object.fromEntries(changes.map((c) => [c.status.recipient, [c.status.state, c.status.reason, c.status.detail]]))).toStrictEqual({
      [A]: ['delivered', undefined, undefined],
      [B]: ['failed', 'UNDELIV', 'stat:MB:0054'],
    });
  });

  it('reports for messages submitted before an adapter restart still reach their recipient', async () => {
    pair = await startCmppPair();
    pair.sim.setMode({ holdReports: true });
    const sent = await pair.adapter.send([A, B], '重启前发送', 'before');
    expect(sent.map((r) => r.state)).toStrictEqual(['sent', 'sent']);
    await pair.restart();
    expect(pair.adapter.status('before').map((s) => [s.recipient, s.state, s.msgIds])).toStrictEqual(sent.map((r) => [r.recipient, 'sent', r.msgIds]));
    const done = finals(pair, 'before', 2);
    expect(pair.sim.releaseReports()).toBe(2);
    expect((await done).map((c) => [c.status.recipient, c.status.state, c.cause]).sort()).toStrictEqual([
      [A, 'delivered', 'report'],
      [B, 'delivered', 'report'],
    ]);
    // Sending the same broadcast again after the restart sends nothing.
    const again = await pair.adapter.send([A, B], '重启前发送', 'before');
    expect(again.map((r) => [r.state, r.duplicate])).toStrictEqual([
      ['delivered', true],
      ['delivered', true],
    ]);
    expect(pair.sim.submits()).toHaveLength(2);
    expect(pair.ctx.rejects).toStrictEqual([]);
  });

  it('recipients still queued at a restart are sent once when the broadcast is sent again, with the same UDH reference', async () => {
    pair = await startCmppPair();
    await pair.sim.goDown();
    await pair.condition('channel-unbound', true);
    const text = '【城东区公安分局】紧急通知：城东区第一中学北门发生可疑人员滞留事件，请附近巡逻民警立即前往处置，学校门卫室关闭校门并组织学生留在教室。';
    const queued = await pair.adapter.send([A], text, 'q', { signal: AbortSignal.timeout(50) });
    expect(queued.map((r) => r.state)).toStrictEqual(['queued']);
    // The old adapter stops (its reconnect timer with it) before the ISMG is back: it never sends.
    const restarted = pair.restart();
    await pair.sim.comeUp();
    await restarted;
    const done = finals(pair, 'q', 1);
    const resumed = await pair.adapter.send([A], text, 'q');
    expect(resumed.map((r) => [r.state, r.duplicate])).toStrictEqual([['sent', false]]);
    await done;
    expect(pair.sim.messages().map((m) => [m.to, m.text])).toStrictEqual([[A, text]]);
    expect(pair.sim.submits()).toHaveLength(Math.ceil(text.length / 67));
  });

  it('answers flow control (Result 8) by slowing down, and still submits every recipient exactly once', async () => {
    pair = await startCmppPair({ cfg: { window: 4 } });
    pair.sim.setMode({ throttleNext: 3, throttleRate: 5 });
    const people = Array.from({ length: 12 }, (_, i) => `1370000${String(i).padStart(4, '0')}`);
    const done = finals(pair, 'thr', people.length, 20_000);
    await pair.adapter.send(people, '限流测试', 'thr');
    const throttled = await pair.condition('throttled', true);
    expect(throttled.detail).toMatch(/^Result 8 \(flow control\): pausing \d+ ms, window \d+$/);
    await pair.condition('throttled', false);
    await done;
    expect(pair.sim.submits().filter((s) => s.result === 8).length).toBeGreaterThanOrEqual(3);
    expect(pair.sim.messages().map((m) => m.to).sort()).toStrictEqual(people);
  });

  it('matches a reply from a phone to the broadcast it answers; a failed listener makes the ISMG deliver it again', async () => {
    pair = await startCmppPair();
    const done = finals(pair, 'r', 1);
    await pair.adapter.send([A], '收到请回复1', 'r');
    await done;
    let failOnce = true;
    const replies: { from: string; text: string; ref?: string }[] = [];
    pair.adapter.onReply((e) => {
      if (failOnce) {
        failOnce = false;
        throw new Error('roll-call store busy');
      }
      replies.push({ from: e.from, text: e.text, ...(e.ref ? { ref: e.ref } : {}) });
    });
    pair.sim.reply(`86${A}`, '1');
    // Result 8 first (the listener threw), then 0 for the same reply delivered again.
    await pair.sim.waitFor((r) => r.type === 'deliver-resp' && r.of === 'reply' && r.result === 0);
    expect(pair.sim.records().flatMap((r) => (r.type === 'deliver-resp' && r.of === 'reply' ? [[r.result, r.attempt]] : []))).toStrictEqual([
      [8, 1],
      [0, 2],
    ]);
    expect(replies).toStrictEqual([{ from: `86${A}`, text: '1', ref: 'r' }]);
    // A long reply comes in parts and is handed on once, whole.
    const long = '收到，已通知门卫室关闭北门，巡逻民警正在赶往现场，预计五分钟内到达，学生已全部留在教室内，请指示下一步行动。';
    const p = pair;
    const heard = p.next<{ text: string }>((cb) => p.adapter.onReply(cb), (e) => e.text === long);
    pair.sim.reply(A, long);
    await heard;
    expect(replies.at(-1)).toStrictEqual({ from: A, text: long, ref: 'r' });
  });

  it('TERMINATE both ways: the ISMG ending the session means reconnect; stop() ends it politely', async () => {
    pair = await startCmppPair();
    const mark = pair.ctx.conditions.length;
    await pair.sim.terminate();
    const down = await pair.condition('channel-unbound', true, mark);
    expect(down.detail).toBe('the ISMG terminated the session (CMPP_TERMINATE)');
    await pair.condition('channel-unbound', false, mark);
    await pair.adapter.stop();
    await pair.sim.waitFor((r) => r.type === 'terminate' && r.from === 'sp');
  });
});
