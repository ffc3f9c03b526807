/**
 * The sms-smpp adapter against the real simulated SMSC over loopback.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveSmsSmppConfig, smsSmppAdapter, type ReceiptEvent, type ReplyEvent, type SmsSmppAdapter, type StatusChange, type SubmissionResult } from '../../../../adapters/sms-smpp/index.js';
import { SmsCentreSimulator } from '../../../../simulators/sms-centre/sms-centre-simulator.js';
import { fakeContext } from '../../../helpers/fake-context.js';
import { CHANNEL, startPair, withTimeout, type Pair } from './harness.js';

const A = '13805710101';
const B = '13805710102';
const C = '13805710103';

let pair: Pair | undefined;
afterEach(async () => {
  await pair?.stop();
  pair = undefined;
});

function delivered(p: Pair, ref: string, n: number): Promise<StatusChange[]> {
  const seen: StatusChange[] = [];
  return p.next<StatusChange>(
    (cb) => p.adapter.onStatus(cb),
    (c) => {
      if (c.status.ref === ref && (c.status.state === 'delivered' || c.status.state === 'failed')) seen.push(c);
      return seen.length === n;
    },
  ).then(() => seen);
}

describe('sms-smpp adapter over loopback', () => {
  it('submits with registered_delivery and reports delivered from the receipts', async () => {
    pair = await startPair();
    const done = delivered(pair, 'b-1', 2);
    const results = await pair.adapter.send([A, B], 'Drill: gate 3 closed', 'b-1');
    expect(results.map((r) => ({ ...r, messageIds: r.messageIds.length }))).toStrictEqual([
      { recipient: A, state: 'sent', messageIds: 1, duplicate: false },
      { recipient: B, state: 'sent', messageIds: 1, duplicate: false },
    ]);
    await done;
    const statuses = pair.adapter.status('b-1');
    expect(statuses.map((s) => [s.recipient, s.state, s.evidence, s.lastStat, s.parts, s.delivered])).toStrictEqual([
      [A, 'delivered', 'receipt', 'DELIVRD', 1, 1],
      [B, 'delivered', 'receipt', 'DELIVRD', 1, 1],
    ]);
    const msgs = pair.sim.messages().map((m) => ({ from: m.from, to: m.to, text: m.text, parts: m.parts, dataCoding: m.dataCoding }));
    expect(msgs).toStrictEqual([
      { from: '10690110', to: A, text: 'Drill: gate 3 closed', parts: 1, dataCoding: 0 },
      { from: '10690110', to: B, text: 'Drill: gate 3 closed', parts: 1, dataCoding: 0 },
    ]);
    expect(pair.sim.submits().every((s) => s.registeredDelivery === 1)).toBe(true);
  });

  it('sends Chinese text over 70 characters as UCS-2 parts the SMSC reassembles into one message', async () => {
    pair = await startPair();
    const text = '【城东区公安分局】紧急通知：城东区第一中学北门发生可疑人员滞留事件，请附近巡逻民警立即前往处置，学校门卫室关闭校门并组织学生留在教室，各校安保负责人收到后请回复“收到”。';
    expect(text.length).toBeGreaterThan(70);
    const done = delivered(pair, 'b-zh', 1);
    const [r] = await pair.adapter.send([A], text, 'b-zh');
    expect(r?.messageIds).toHaveLength(Math.ceil(text.length / 67));
    await done;
    const msgs = pair.sim.messages();
    expect(msgs.map((m) => ({ to: m.to, text: m.text, parts: m.parts, dataCoding: m.dataCoding }))).toStrictEqual([
      { to: A, text, parts: Math.ceil(text.length / 67), dataCoding: 8 },
    ]);
    const parts = pair.sim.submits();
    expect(parts.map((p) => [p.esmClass & 0x40, p.concat?.total, p.concat?.index])).toStrictEqual(
      parts.map((_, i) => [0x40, parts.length, i + 1]),
    );
    expect(new Set(parts.map((p) => p.concat?.ref)).size).toBe(1);
    expect(pair.adapter.status('b-zh')[0]).toMatchObject({ state: 'delivered', parts: parts.length, delivered: parts.length });
  });

  it('reports channel-unbound while the SMSC is down and sends the queued broadcast once after recovery', async () => {
    pair = await startPair();
    await pair.sim.goDown();
    const down = await pair.condition('channel-unbound', true);
    expect(down.detail).toMatch(/closed|ECONNREFUSED/);
    const mark = pair.ctx.conditions.length;
    const aborted = AbortSignal.timeout(100);
    const early = await pair.adapter.send([A, B], 'Shelter in place', 'b-down', { signal: aborted });
    expect(early.map((r) => r.state)).toStrictEqual(['queued', 'queued']);
    // The lead's retry of the same broadcast must not queue it twice.
    const retry = pair.adapter.send([A, B], 'Shelter in place', 'b-down');
    const done = delivered(pair, 'b-down', 2);
    await pair.sim.comeUp();
    await pair.condition('channel-unbound', false, mark);
    expect((await retry).map((r) => [r.state, r.duplicate])).toStrictEqual([
      ['sent', true],
      ['sent', true],
    ]);
    await done;
    expect(pair.sim.messages().map((m) => m.to).sort()).toStrictEqual([A, B]);
    expect(pair.sim.submits().map((s) => s.to).sort()).toStrictEqual([A, B]);
  });

  it('slows down when throttled and still sends every recipient exactly once', async () => {
    pair = await startPair({ cfg: { window: 4 } });
    const recipients = Array.from({ length: 12 }, (_, i) => `139000000${String(i).padStart(2, '0')}`);
    pair.sim.setMode({ throttleNext: 3, throttleRate: 5 });
    const results = await pair.adapter.send(recipients, 'Road closed at north gate', 'b-thr');
    // Early recipients may already have their receipt by the time the last one is accepted.
    expect(results.filter((r) => r.state !== 'sent' && r.state !== 'delivered')).toStrictEqual([]);
    const throttled = await pair.condition('throttled', true);
    expect(throttled.detail).toMatch(/ESME_RTHROTTLED \(0x00000058\)/);
    await pair.condition('throttled', false);
    const accepted = pair.sim.messages().map((m) => m.to).sort();
    expect(accepted).toStrictEqual([...recipients].sort());
    expect(pair.sim.submits().filter((s) => s.status === 0x58).length).toBeGreaterThanOrEqual(3);
  });

  it('reports UNDELIV receipts as failed with the reason', async () => {
    pair = await startPair();
    pair.sim.setMode({ failNumbers: [B], failErr: '001' });
    const done = delivered(pair, 'b-fail', 2);
    await pair.adapter.send([A, B], 'Evacuate building 2', 'b-fail');
    const changes = await done;
    const byRecipient = Object.fromEntries(changes.map((c) => [c.status.recipient, [c.status.state, c.status.reason, c.status.detail]]));
    expect(byRecipient).toStrictEqual({ [A]: ['delivered', undefined, undefined], [B]: ['failed', 'UNDELIV', 'stat:UNDELIV err:001'] });
  });

  it('fails a recipient the SMSC rejects for good, without retrying', async () => {
    pair = await startPair();
    pair.sim.setMode({ rejectNumbers: { [C]: 0x0b } });
    const results = await pair.adapter.send([A, C], 'Test', 'b-rej');
    expect(results[1]).toStrictEqual({ recipient: C, state: 'failed', messageIds: [''], reason: 'SUBMIT_REJECTED', detail: 'ESME_RINVDSTADR (0x0000000B)', duplicate: false });
    expect(pair.sim.submits().filter((s) => s.to === C)).toHaveLength(1);
  });

  it('hands a phone reply to onReply with sender and decoded text, and counts it as delivery', async () => {
    pair = await startPair({ cfg: { registeredDelivery: false } });
    await pair.adapter.send([A], '请各岗位回复收到', 'b-ask');
    expect(pair.adapter.status('b-ask')[0]?.state).toBe('sent');
    const short = pair.next<ReplyEvent>((cb) => pair!.adapter.onReply(cb));
    pair.sim.reply(`86${A}`, '收到，门卫室已关闭校门。');
    const e = await short;
    expect({ from: e.from, to: e.to, text: e.text, parts: e.parts, complete: e.complete, ref: e.ref, state: e.status?.state, evidence: e.status?.evidence }).toStrictEqual({
      from: `86${A}`,
      to: '10690110',
      text: '收到，门卫室已关闭校门。',
      parts: 1,
      complete: true,
      ref: 'b-ask',
      state: 'delivered',
      evidence: 'reply',
    });
    const longText = '收到。北门已关闭，学生全部留在教室内，安保人员三名在北门值守，等待民警到场。校门口两辆可疑车辆已驶离，车牌已记录。如有新情况将立即电话报告值班室，请指示下一步行动。';
    expect(longText.length).toBeGreaterThan(70);
    const long = pair.next<ReplyEvent>((cb) => pair!.adapter.onReply(cb));
    pair.sim.reply(B, longText);
    expect(await long).toMatchObject({ from: B, text: longText, parts: 2, complete: true });
    const ascii = pair.next<ReplyEvent>((cb) => pair!.adapter.onReply(cb));
    pair.sim.reply(C, 'OK @ gate_3 $5');
    expect((await ascii).text).toBe('OK @ gate_3 $5');
  });

  it('asks the SMSC to redeliver a reply a listener failed to take (ESME_RX_T_APPN)', async () => {
    pair = await startPair();
    let calls = 0;
    const got: string[] = [];
    pair.adapter.onReply((e) => {
      calls++;
      if (calls === 1) throw new Error('store unavailable');
      got.push(e.text);
    });
    const second = pair.next<ReplyEvent>((cb) => pair!.adapter.onReply(cb), () => calls >= 2);
    pair.sim.reply(A, 'copy that');
    await second;
    expect(got).toStrictEqual(['copy that']);
  });

  it('refuses wrong credentials with channel-unbound and a clear detail, and binds once the SMSC accepts', async () => {
    pair = await startPair({ cfg: { password: 'wrong' }, bind: false });
    const c = await pair.condition('channel-unbound', true);
    expect(c.detail).toBe(`bind refused by SMSC 127.0.0.1:${pair.port} as 'gateway': ESME_RBINDFAIL (0x0000000D); check systemId/password`);
    expect(pair.adapter.isBound()).toBe(false);
    await pair.stop();

    pair = await startPair({ bind: false });
    pair.sim.setMode({ refuseBinds: true });
    await pair.sim.goDown();
    await pair.sim.comeUp();
    const refused = await pair.condition('channel-unbound', true);
    pair.sim.setMode({ refuseBinds: false });
    await pair.condition('channel-unbound', false, pair.ctx.conditions.indexOf(refused));
    expect(pair.adapter.isBound()).toBe(true);
  });

  it('matches receipts whose id is the decimal form of a hex submit_sm_resp id, from text alone', async () => {
    pair = await startPair();
    pair.sim.setMode({ receiptIdStyle: 'decimal', receiptTlvs: false });
    const receipt = pair.next<ReceiptEvent>((cb) => pair!.adapter.onReceipt(cb));
    const [r] = await pair.adapter.send([A], 'hello', 'b-dec');
    const e = await receipt;
    expect(e.receipt.messageId).toBe(BigInt(`0x${r?.messageIds[0]}`).toString());
    expect(e.receipt.source).toBe('text');
    expect(e.status.state).toBe('delivered');
  });

  it('flags DELIVRD receipts that arrive implausibly fast as suspect', async () => {
    pair = await startPair({ cfg: { suspectReceiptMs: 1000 } });
    pair.sim.setMode({ fakeInstantReceipts: true, failNumbers: [A] });
    const done = delivered(pair, 'b-fake', 1);
    await pair.adapter.send([A], 'hello', 'b-fake');
    const [c] = await done;
    expect([c?.status.state, c?.status.suspect]).toStrictEqual(['delivered', true]);
  });

  it('resubmits a part whose submit_sm_resp never came, after dropping the dead session', async () => {
    pair = await startPair({ cfg: { responseTimeoutMs: 300 } });
    pair.sim.setMode({ dropResponses: 1 });
    const [r] = await pair.adapter.send([A], 'hello', 'b-drop');
    expect(r?.state).toBe('sent');
    expect(pair.sim.submits().map((s) => s.status)).toStrictEqual([-1, 0]);
    expect(pair.sim.messages()).toHaveLength(1);
    expect(pair.ctx.conditions.some((c) => c.code === 'channel-unbound' && c.active && c.detail === 'no submit_sm_resp within 300 ms')).toBe(true);
  });

  it('checks the link with an enquire_link round trip and reports it unbound when down', async () => {
    pair = await startPair();
    const device = { id: CHANNEL, siteId: 'district', kind: 'sms' as const, adapter: 'sms-smpp', name: 'SMS', options: {} };
    const ok = await pair.adapter.check(device, AbortSignal.timeout(2000));
    expect(ok.status).toBe('ok');
    expect(ok.reasons).toStrictEqual([]);
    expect(typeof ok.evidence.enquireLinkMs).toBe('number');
    expect({ ...ok.evidence, enquireLinkMs: 0 }).toStrictEqual({ bound: true, enquireLinkMs: 0, queued: 0, inFlight: 0, window: 10, throttled: false });
    await pair.sim.goDown();
    await pair.condition('channel-unbound', true);
    const down = await pair.adapter.check(device, AbortSignal.timeout(2000));
    expect([down.status, down.reasons[0]?.code, down.evidence.bound]).toStrictEqual(['offline', 'channel-unbound', false]);
  });

  it('delivers an Outbound broadcast and summarizes the submission', async () => {
    pair = await startPair();
    pair.sim.setMode({ rejectNumbers: { [C]: 0x0b } });
    const site = { id: 'sch-01', name: '城东区第一中学', district: 'chengdong', timeZone: 'Asia/Shanghai', protectionWindows: [], holidays: [], contacts: [] };
    const res = await pair.adapter.deliver({ id: 'out-1', kind: 'message', site, to: [A, C], text: '演练' }, AbortSignal.timeout(2000));
    expect({ ...res, latencyMs: 0 }).toStrictEqual({
      ok: false,
      reference: 'out-1',
      latencyMs: 0,
      detail: 'accepted 1/2; failed 138****0103 SUBMIT_REJECTED ESME_RINVDSTADR (0x0000000B)',
    });
  });
});

describe('sms-smpp across a kill -9', () => {
  it('receipts for messages submitted before the adapter process was killed still match their recipient', async () => {
    const sim = new SmsCentreSimulator();
    // Receipts come late: the first process is gone before any of them leaves the SMSC.
    const { port } = await sim.start({ systemId: 'gateway', password: 'secret', receiptDelayMs: 3000 });
    const dataDir = mkdtempSync(join(tmpdir(), 'smpp-kill-'));
    const child = spawn(process.execPath, ['--import', 'tsx', 'tests/fixtures/smpp-adapter-child.ts', String(port), dataDir, 'before-kill', A, B], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise((r) => child.once('exit', r));
    let again: SmsSmppAdapter | undefined;
    try {
      const line = await withTimeout(
        new Promise<string>((resolve) => createInterface({ input: child.stdout as NodeJS.ReadableStream }).once('line', resolve)),
        60_000,
        'the child adapter to submit',
      );
      const sent = JSON.parse(line) as SubmissionResult[];
      expect(sent.map((r) => [r.recipient, r.state])).toStrictEqual([
        [A, 'sent'],
        [B, 'sent'],
      ]);
      child.kill('SIGKILL');
      await exited;
      // Nothing reached the killed process: every receipt is still to come.
      expect(sim.records().filter((r) => r.type === 'receipt')).toStrictEqual([]);

      const ctx = fakeContext({ dataDir });
      again = smsSmppAdapter.create(resolveSmsSmppConfig({ deviceId: CHANNEL, host: '127.0.0.1', port, systemId: 'gateway', password: 'secret', sourceAddr: '10690110', reconnectMinMs: 20, reconnectMaxMs: 200, suspectReceiptMs: 0 }), ctx);
      const restarted = again;
      const finals = new Map<string, StatusChange>();
      const done = new Promise<void>((resolve) =>
        restarted.onStatus((c) => {
          if (c.status.ref === 'before-kill' && (c.status.state === 'delivered' || c.status.state === 'failed')) finals.set(c.status.recipient, c);
          if (finals.size === 2) resolve();
        }),
      );
      await restarted.start();
      expect(restarted.status('before-kill').map((s) => [s.recipient, s.state, s.messageIds])).toStrictEqual(sent.map((r) => [r.recipient, 'sent', r.messageIds]));
      await withTimeout(done, 30_000, 'receipts after the restart');
      expect([...finals.values()].map((c) => [c.status.recipient, c.status.state, c.cause]).sort()).toStrictEqual([
        [A, 'delivered', 'receipt'],
        [B, 'delivered', 'receipt'],
      ]);
      expect(ctx.rejects).toStrictEqual([]);
      // Sending the same broadcast again sends nothing new.
      expect((await restarted.send([A, B], 'sent before a kill -9', 'before-kill')).map((r) => r.duplicate)).toStrictEqual([true, true]);
      expect(sim.submits()).toHaveLength(2);
    } finally {
      child.kill('SIGKILL');
      await exited;
      await again?.stop();
      await sim.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});
