/**
 * Property-based fuzzing of the sms-cmpp adapter as the gateway runs it: a real adapter over a
 * real socket to a scripted ISMG (127.0.0.1) that, after a correct CONNECT_RESP, sends bursts
 * of valid, broken and random CMPP_DELIVERs. After each burst: every DELIVER whose Msg_Id could
 * be read got exactly one DELIVER_RESP (Result 0, or 1 for one it could not read), every
 * refused frame was counted once as `rejects.cmpp-malformed` and every unreadable report once
 * as `rejects.report-unreadable`, the link is still up, and a genuine report still ends its
 * recipient `delivered`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { smsCmppAdapter, type LinkEvent, type SmsCmppAdapter, type StatusChange } from '../../adapters/sms-cmpp/index.js';
import { authenticatorIsmg, msgIdKey } from '../../adapters/sms-cmpp/cmpp-auth.js';
import { decodePdu, decodeStatusReport, encodePdu, encodeStatusReport } from '../../adapters/sms-cmpp/cmpp-codec.js';
import { COMMAND, RESULT } from '../../adapters/sms-cmpp/cmpp-constants.js';
import { FrameDecoder } from '../../adapters/sms-cmpp/cmpp-framer.js';
import type { CmppPdu, DeliverPdu } from '../../adapters/sms-cmpp/cmpp-pdu.js';
import { adapterConfig, nextEvent, SECRET } from '../integration/adapters/sms-cmpp/harness.js';
import { mutate, mutation } from './cmpp-cases.js';
import { countingContext, expectNothingEscapes, fuzzParams, fuzzTimeout, total, type CountingContext } from './fuzz-support.js';

const V = '3.0' as const;

/** A scripted ISMG: answers CONNECT and SUBMIT properly, records every DELIVER_RESP, and lets the test write raw frames. */
class ScriptedIsmg {
  server: Server | undefined;
  socket: Socket | undefined;
  port = 0;
  readonly deliverResps: { sequenceId: number; result: number }[] = [];
  readonly probeResps = new Set<number>();
  private nextId = 1n;
  private waiters: (() => void)[] = [];

  async start(): Promise<void> {
    this.server = createServer({ noDelay: true }, (socket) => {
      this.socket = socket;
      const d = new FrameDecoder();
      socket.on('error', () => undefined);
      socket.on('data', (chunk: Buffer) => {
        for (const f of d.push(chunk).frames) this.onFrame(socket, f);
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const a = this.server.address();
    this.port = typeof a === 'object' && a ? a.port : 0;
  }

  private onFrame(socket: Socket, frame: Buffer): void {
    const d = decodePdu(frame, V);
    if (!d.ok) return;
    const p = d.pdu;
    const send = (x: CmppPdu) => socket.write(encodePdu(x, V));
    if (p.command === 'connect') send({ command: 'connect_resp', sequenceId: p.sequenceId, status: 0, authenticatorIsmg: authenticatorIsmg(0, 4, p.authenticatorSource, SECRET), version: 0x30, statusWidth: 4 });
    else if (p.command === 'submit') send({ command: 'submit_resp', sequenceId: p.sequenceId, msgId: this.nextId++, result: 0, resultWidth: 4 });
    else if (p.command === 'active_test') send({ command: 'active_test_resp', sequenceId: p.sequenceId, reserved: 0 });
    else if (p.command === 'active_test_resp') {
      this.probeResps.add(p.sequenceId);
      for (const w of this.waiters.splice(0)) w();
    }
    else if (p.command === 'deliver_resp') {
      this.deliverResps.push({ sequenceId: p.sequenceId, result: p.result });
      for (const w of this.waiters.splice(0)) w();
    }
  }

  write(frames: Buffer[]): void {
    this.socket?.write(Buffer.concat(frames));
  }

  /**
   * Resolves once the ACTIVE_TEST `probe` was answered (the adapter handles frames in order, so
   * every frame written before it has been read) and `n` DELIVER_RESPs have arrived in all.
   */
  async until(probe: number, n: number, ms = 5000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!this.probeResps.has(probe) || this.deliverResps.length < n) {
      if (Date.now() > deadline) throw new Error(`probe ${probe} answered: ${this.probeResps.has(probe)}; ${this.deliverResps.length} of ${n} DELIVER_RESPs within ${ms} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 50);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  async stop(): Promise<void> {
    this.socket?.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

const u8 = fc.integer({ min: 0, max: 255 });
const content = fc.oneof(
  fc.uint8Array({ maxLength: 140 }).map((b) => Buffer.from(b)),
  fc.record({ msgId: fc.bigInt({ min: 1n << 40n, max: 2n ** 64n - 1n }), stat: fc.constantFrom('DELIVRD', 'UNDELIV', 'EXPIRED', 'MA:0054', 'ACCEPTD', ''), v: fc.constantFrom('2.0' as const, '3.0' as const) }).map((r) =>
    encodeStatusReport({ msgId: r.msgId, stat: r.stat, submitTime: '2611031405', doneTime: '2611031406', destTerminalId: '13800138000', smscSequence: 1 }, r.v),
  ),
);
/** A DELIVER as an ISMG would send it (report or phone), possibly broken in transit. */
const deliverFrame = fc
  .record({ registeredDelivery: u8, tpUdhi: u8, msgFmt: fc.constantFrom(0, 4, 8, 15, 99), msgContent: content, src: fc.constantFrom('13800138000', '8613800138000', ''), broken: fc.option(mutation, { nil: undefined, freq: 3 }) })
  .map((r) => {
    const pdu: DeliverPdu = { command: 'deliver', sequenceId: 0, msgId: 7n, destId: '1065710001', serviceId: '', tpPid: 0, tpUdhi: r.tpUdhi, msgFmt: r.msgFmt, srcTerminalId: r.src, srcTerminalType: 0, registeredDelivery: r.registeredDelivery, msgContent: r.msgContent, linkId: '', layout: V };
    const frame = encodePdu(pdu, V);
    // 'length' mutations make the header lie and would end the stream: kept for the codec fuzz.
    return r.broken && r.broken.kind !== 'length' ? mutate(frame, r.broken) : frame;
  });

describe('fuzz: sms-cmpp adapter over a socket', () => {
  expectNothingEscapes();
  let ismg: ScriptedIsmg;
  let adapter: SmsCmppAdapter;
  let ctx: CountingContext;
  let dir: string;
  let seq = 1000;

  beforeAll(async () => {
    ismg = new ScriptedIsmg();
    await ismg.start();
    dir = mkdtempSync(join(tmpdir(), 'cmpp-fuzz-'));
    ctx = countingContext({ dataDir: dir });
    adapter = smsCmppAdapter.create(adapterConfig(ismg.port, { version: V, verifyIsmg: 'enforce' }), ctx);
    adapter.onReply(() => undefined);
    const up = nextEvent<LinkEvent>((cb) => adapter.onLink(cb), (e) => e.connected);
    await adapter.start();
    await up;
  });

  afterAll(async () => {
    await adapter?.stop();
    await ismg?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it(
    'answers every readable DELIVER once, counts every refusal once, and keeps working',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(deliverFrame, { minLength: 1, maxLength: 6 }), async (raw) => {
          const frames = raw.map((f) => {
            const out = Buffer.from(f);
            out.writeUInt32BE(seq++, 8);
            return out;
          });
          const malformedBefore = total(ctx.counters, 'rejects.cmpp-malformed');
          const unreadableBefore = total(ctx.counters, 'rejects.report-unreadable');
          const respsBefore = ismg.deliverResps.length;
          let malformed = 0;
          let unreadable = 0;
          let answered = 0;
          const expected: { sequenceId: number; result: number }[] = [];
          for (const f of frames) {
            const d = decodePdu(f, V);
            if (!d.ok) {
              malformed++;
              // The adapter answers Result 1 when it can read the Msg_Id of a DELIVER.
              if (d.commandId === COMMAND.DELIVER && f.length >= 20) {
                answered++;
                expected.push({ sequenceId: f.readUInt32BE(8), result: RESULT.STRUCTURE });
              }
              continue;
            }
            if (d.pdu.command !== 'deliver') {
              malformed++;
              continue;
            }
            answered++;
            expected.push({ sequenceId: d.pdu.sequenceId, result: RESULT.OK });
            if (d.pdu.registeredDelivery === 1 && !decodeStatusReport(d.pdu.msgContent).ok) unreadable++;
          }
          const probe = seq++;
          ismg.write([...frames, encodePdu({ command: 'active_test', sequenceId: probe }, V)]);
          await ismg.until(probe, respsBefore + answered);
          const got = ismg.deliverResps.slice(respsBefore).sort((a, b) => a.sequenceId - b.sequenceId);
          expect(got).toStrictEqual(expected.sort((a, b) => a.sequenceId - b.sequenceId));
          expect(total(ctx.counters, 'rejects.cmpp-malformed') - malformedBefore).toBe(malformed);
          expect(total(ctx.counters, 'rejects.report-unreadable') - unreadableBefore).toBe(unreadable);
          expect(adapter.isConnected()).toBe(true);
        }),
        fuzzParams(),
      );
      // Still a working channel: a message sent now ends delivered by its genuine report.
      const done = nextEvent<StatusChange>((cb) => adapter.onStatus(cb), (c) => c.status.ref === 'after-fuzz' && c.status.state === 'delivered');
      const [r] = await adapter.send(['13800138000'], '模糊测试之后', 'after-fuzz');
      const msgId = BigInt(`0x${r?.msgIds[0] ?? '0'}`);
      const report = encodeStatusReport({ msgId, stat: 'DELIVRD', submitTime: '2611031405', doneTime: '2611031406', destTerminalId: '13800138000', smscSequence: 9 }, V);
      ismg.write([encodePdu({ command: 'deliver', sequenceId: seq++, msgId: 8n, destId: '1065710001', serviceId: '', tpPid: 0, tpUdhi: 0, msgFmt: 0, srcTerminalId: '13800138000', srcTerminalType: 0, registeredDelivery: 1, msgContent: report, linkId: '', layout: V }, V)]);
      expect((await done).status).toMatchObject({ state: 'delivered', msgIds: [msgIdKey(msgId)] });
    },
    fuzzTimeout(3),
  );
});
