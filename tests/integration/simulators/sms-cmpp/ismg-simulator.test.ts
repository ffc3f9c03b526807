/**
 * The simulated ISMG, driven by a plain socket speaking CMPP frame by frame (not the adapter):
 * the MD5 check (wrong secret → Status 3), version negotiation, Msg_Ids as the spec lays them
 * out, status reports in the session's layout, refuse-all; and its command line.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { authenticatorIsmg, authenticatorSource, unpackMsgId } from '../../../../adapters/sms-cmpp/cmpp-auth.js';
import { decodePdu, decodeStatusReport, encodePdu } from '../../../../adapters/sms-cmpp/cmpp-codec.js';
import type { CmppVersion } from '../../../../adapters/sms-cmpp/cmpp-constants.js';
import { FrameDecoder } from '../../../../adapters/sms-cmpp/cmpp-framer.js';
import type { CmppPdu } from '../../../../adapters/sms-cmpp/cmpp-pdu.js';
import { ucs2 } from '../../../../adapters/sms-cmpp/cmpp-text.js';
import { CmppIsmgSimulator } from '../../../../simulators/sms-cmpp/ismg-simulator.js';

const SP = '901234';
const SECRET = 'secret0';
const TS = '1103140509';

let sim: CmppIsmgSimulator | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await sim?.stop();
  sim = undefined;
});

/** A raw CMPP peer: writes PDUs, reads frames (kept with their bytes). */
async function peer(port: number, version: CmppVersion) {
  const socket = connect({ host: '127.0.0.1', port });
  sockets.push(socket);
  socket.on('error', () => undefined);
  await once(socket, 'connect');
  const frames: Buffer[] = [];
  const waiters: (() => void)[] = [];
  const d = new FrameDecoder();
  let closed = false;
  socket.on('data', (c: Buffer) => {
    frames.push(...d.push(c).frames);
    for (const w of waiters.splice(0)) w();
  });
  socket.on('close', () => {
    closed = true;
    for (const w of waiters.splice(0)) w();
  });
  return {
    send: (p: CmppPdu) => socket.write(encodePdu(p, version)),
    async next(): Promise<Buffer> {
      const deadline = Date.now() + 5000;
      while (frames.length === 0) {
        if (closed || Date.now() > deadline) throw new Error('no frame');
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, 100);
          waiters.push(() => {
            clearTimeout(t);
            resolve();
          });
        });
      }
      return frames.shift() as Buffer;
    },
    close: () => socket.destroy(),
    async untilClosed(): Promise<void> {
      if (!closed) await once(socket, 'close');
    },
  };
}

const connectPdu = (secret: string, version: number, sp = SP): CmppPdu => ({ command: 'connect', sequenceId: 1, sourceAddr: sp, authenticatorSource: authenticatorSource(sp, secret, TS), version, timestamp: Number(TS) });

describe('CMPP ISMG simulator', () => {
  it('accepts the right MD5 authenticator with a correct AuthenticatorISMG, refuses a wrong secret (3), a stranger (2), and everyone in refuse-all (5)', async () => {
    sim = new CmppIsmgSimulator();
    const { port } = await sim.start({ spId: SP, sharedSecret: SECRET });
    const good = await peer(port, '3.0');
    good.send(connectPdu(SECRET, 0x30));
    const resp = decodePdu(await good.next(), '3.0');
    expect(resp).toStrictEqual({ ok: true, pdu: { command: 'connect_resp', sequenceId: 1, status: 0, authenticatorIsmg: authenticatorIsmg(0, 4, authenticatorSource(SP, SECRET, TS), SECRET), version: 0x30, statusWidth: 4 } });

    for (const [secret, sp, status] of [['wrong', SP, 3], [SECRET, '900000', 2]] as const) {
      const p = await peer(port, '2.0');
      p.send(connectPdu(secret, 0x20, sp));
      expect(decodePdu(await p.next(), '2.0')).toMatchObject({ ok: true, pdu: { status, statusWidth: 1, authenticatorIsmg: Buffer.alloc(16) } });
      await p.untilClosed();
    }
    sim.setMode({ refuseAll: true });
    const refused = await peer(port, '2.0');
    refused.send(connectPdu(SECRET, 0x20));
    expect(decodePdu(await refused.next(), '2.0')).toMatchObject({ ok: true, pdu: { status: 5 } });
    expect(sim.records().flatMap((r) => (r.type === 'connect' ? [r.status] : []))).toStrictEqual([0, 3, 2, 5]);
  });

  it('a 2.0-only ISMG answers a 3.0 CONNECT with Status 4 in the 2.0 layout', async () => {
    sim = new CmppIsmgSimulator();
    const { port } = await sim.start({ spId: SP, sharedSecret: SECRET, maxVersion: '2.0' });
    const p = await peer(port, '3.0');
    p.send(connectPdu(SECRET, 0x30));
    const frame = await p.next();
    expect(frame.length).toBe(30);
    expect(decodePdu(frame, '3.0')).toMatchObject({ ok: true, pdu: { status: 4, statusWidth: 1, version: 0x20 } });
  });

  it('answers SUBMIT with a Msg_Id laid out as the spec says, and reports in the session layout', async () => {
    sim = new CmppIsmgSimulator();
    const { port } = await sim.start({ spId: SP, sharedSecret: SECRET, ismgCode: 571001, reportDelayMs: 10 });
    for (const v of ['2.0', '3.0'] as const) {
      const p = await peer(port, v);
      p.send(connectPdu(SECRET, v === '2.0' ? 0x20 : 0x30));
      await p.next();
      const before = Date.now();
      p.send({
        command: 'submit',
        sequenceId: 2,
        msgId: 0n,
        pkTotal: 1,
        pkNumber: 1,
        registeredDelivery: 1,
        msgLevel: 0,
        serviceId: 'MJS0001',
        feeUserType: 2,
        feeTerminalId: '',
        feeTerminalType: 0,
        tpPid: 0,
        tpUdhi: 0,
        msgFmt: 8,
        msgSrc: SP,
        feeType: '01',
        feeCode: '0',
        validTime: '',
        atTime: '',
        srcId: '1065710001',
        destTerminalIds: ['13800138000'],
        destTerminalType: 0,
        msgContent: ucs2('收到'),
        linkId: '',
      });
      const resp = decodePdu(await p.next(), v);
      if (!resp.ok || resp.pdu.command !== 'submit_resp') throw new Error('no SUBMIT_RESP');
      expect(resp.pdu.result).toBe(0);
      const id = unpackMsgId(resp.pdu.msgId);
      const beijing = new Date(before + 8 * 3600_000);
      expect([id.month, id.day, id.ismg]).toStrictEqual([beijing.getUTCMonth() + 1, beijing.getUTCDate(), 571001]);
      const report = decodePdu(await p.next(), v);
      if (!report.ok || report.pdu.command !== 'deliver') throw new Error('no report');
      expect([report.pdu.registeredDelivery, report.pdu.layout, report.pdu.msgContent.length]).toStrictEqual([1, v, v === '2.0' ? 60 : 71]);
      expect(decodeStatusReport(report.pdu.msgContent)).toMatchObject({ ok: true, pdu: { msgId: resp.pdu.msgId, stat: 'DELIVRD', destTerminalId: '13800138000' } });
      // Answered, or the ISMG keeps it and delivers it again on the next session.
      p.send({ command: 'deliver_resp', sequenceId: report.pdu.sequenceId, msgId: report.pdu.msgId, result: 0, resultWidth: v === '2.0' ? 1 : 4 });
      await sim.waitFor((r) => r.type === 'deliver-resp' && r.of === 'report' && sim?.records().filter((x) => x.type === 'deliver-resp').length === (v === '2.0' ? 1 : 2));
      // Reports go to any connected session of the SP, as an ISMG's do: one session at a time here.
      p.close();
      await p.untilClosed();
    }
    expect(sim.messages().map((m) => [m.to, m.text])).toStrictEqual([
      ['13800138000', '收到'],
      ['13800138000', '收到'],
    ]);
  });

  it('runs from the command line on a free port and obeys stdin commands', async () => {
    const child = spawn('node_modules/.bin/tsx', ['simulators/sms-cmpp/cli.ts', '--port', '0', '--sp-id', SP, '--secret', SECRET], { stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const next = async () => JSON.parse(((await lines.next()).value as string) ?? 'null') as Record<string, unknown>;
    try {
      const up = await next();
      expect(up).toMatchObject({ type: 'up', port: expect.any(Number) });
      const p = await peer(up.port as number, '2.0');
      p.send(connectPdu('wrong', 0x20));
      expect(decodePdu(await p.next(), '2.0')).toMatchObject({ ok: true, pdu: { status: 3 } });
      expect(await next()).toMatchObject({ type: 'connect', spId: SP, status: 3 });
      child.stdin.write('bogus\n');
      expect(await next()).toStrictEqual({ error: "unknown command 'bogus' (see --help)" });
      child.stdin.write('quit\n');
      const [code] = (await once(child, 'exit')) as [number];
      expect(code).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill();
    }
  });
});
