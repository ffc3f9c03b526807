/**
 * An independent CMPP 2.0 ISMG against the whole gateway. The ISMG below is written from the
 * China Mobile CMPP 2.0 specification only (section numbers in the comments): raw buffers,
 * its own MD5 authenticators and field layouts, no import from adapters/sms-cmpp or
 * simulators/sms-cmpp. It accepts the gateway's CONNECT (checking AuthenticatorSource), answers
 * every SUBMIT with a Msg_Id of its own, and sends one status report per message by DELIVER;
 * the duty officer's broadcast must end every recipient `delivered`, each submitted once.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, startGateway, type TestGateway } from '../../../helpers/gateway.js';

const SP_ID = '901234';
const SECRET = 'indep-secret';

const CMD = {
  CONNECT: 0x00000001,
  CONNECT_RESP: 0x80000001,
  TERMINATE: 0x00000002,
  TERMINATE_RESP: 0x80000002,
  SUBMIT: 0x00000004,
  SUBMIT_RESP: 0x80000004,
  DELIVER: 0x00000005,
  DELIVER_RESP: 0x80000005,
  ACTIVE_TEST: 0x00000008,
  ACTIVE_TEST_RESP: 0x80000008,
} as const;

const md5 = (...parts: Buffer[]) => createHash('md5').update(Buffer.concat(parts)).digest();
/** A fixed-length octet string, NUL-padded (§6.1). */
const octets = (text: string, size: number) => {
  const b = Buffer.alloc(size);
  b.write(text, 'latin1');
  return b;
};
const cString = (b: Buffer) => b.toString('latin1').replace(/\0+$/, '');

interface SubmitSeen {
  msgId: Buffer;
  registeredDelivery: number;
  msgFmt: number;
  dest: string[];
  text: string;
}

class IndependentIsmg {
  private server: Server | undefined;
  private seq = 1;
  readonly sockets = new Set<Socket>();
  readonly connects: { sourceAddr: string; version: number; authOk: boolean }[] = [];
  readonly submits: SubmitSeen[] = [];
  readonly deliverResps: { msgId: string; result: number }[] = [];

  async start(): Promise<number> {
    this.server = createServer((s) => this.accept(s));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const addr = this.server.address();
    if (!addr || typeof addr === 'string') throw new Error('no port');
    return addr.port;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      // §6.2: every message starts with Total_Length (4), Command_Id (4), Sequence_Id (4).
      while (pending.length >= 12) {
        const total = pending.readUInt32BE(0);
        if (total < 12 || total > 4096) return void socket.destroy();
        if (pending.length < total) break;
        const frame = pending.subarray(0, total);
        pending = pending.subarray(total);
        this.handle(socket, frame.readUInt32BE(4), frame.readUInt32BE(8), frame.subarray(12));
      }
    });
  }

  private send(socket: Socket, command: number, sequence: number, body: Buffer): void {
    const head = Buffer.alloc(12);
    head.writeUInt32BE(12 + body.length, 0);
    head.writeUInt32BE(command, 4);
    head.writeUInt32BE(sequence, 8);
    socket.write(Buffer.concat([head, body]));
  }

  private handle(socket: Socket, command: number, sequence: number, body: Buffer): void {
    switch (command) {
      case CMD.CONNECT: {
        // §7.4.1: Source_Addr 6, AuthenticatorSource 16, Version 1, Timestamp 4.
        const sourceAddr = cString(body.subarray(0, 6));
        const authSource = body.subarray(6, 22);
        const version = body.readUInt8(22);
        const timestamp = String(body.readUInt32BE(23)).padStart(10, '0');
        // AuthenticatorSource = MD5(Source_Addr + 9 bytes of 0 + shared secret + timestamp "MMDDHHMMSS").
        const expected = md5(Buffer.from(sourceAddr, 'latin1'), Buffer.alloc(9), Buffer.from(SECRET, 'latin1'), Buffer.from(timestamp, 'latin1'));
        const authOk = sourceAddr === SP_ID && expected.equals(authSource);
        this.connects.push({ sourceAddr, version, authOk });
        // §7.4.2 (2.0): Status 1, AuthenticatorISMG 16 = MD5(Status + AuthenticatorSource + secret), Version 1.
        const status = Buffer.from([authOk ? 0 : 3]);
        this.send(socket, CMD.CONNECT_RESP, sequence, Buffer.concat([status, md5(status, authSource, Buffer.from(SECRET, 'latin1')), Buffer.from([0x20])]));
        return;
      }
      case CMD.ACTIVE_TEST:
        // §7.4.10: the response carries one reserved byte.
        return this.send(socket, CMD.ACTIVE_TEST_RESP, sequence, Buffer.alloc(1));
      case CMD.TERMINATE:
        this.send(socket, CMD.TERMINATE_RESP, sequence, Buffer.alloc(0));
        return void socket.end();
      case CMD.SUBMIT:
        return this.submit(socket, sequence, body);
      case CMD.DELIVER_RESP:
        // §7.4.6 (2.0): Msg_Id 8, Result 1.
        this.deliverResps.push({ msgId: body.subarray(0, 8).toString('hex'), result: body.readUInt8(8) });
        return;
      default:
        return;
    }
  }

  private submit(socket: Socket, sequence: number, body: Buffer): void {
    // §7.4.3 (2.0): Msg_Id 8, Pk_total 1, Pk_number 1, Registered_Delivery 1, Msg_level 1,
    // Service_Id 10, Fee_UserType 1, Fee_terminal_Id 21, TP_pId 1, TP_udhi 1, Msg_Fmt 1,
    // Msg_src 6, FeeType 2, FeeCode 6, ValId_Time 17, At_Time 17, Src_Id 21, DestUsr_tl 1,
    // Dest_terminal_Id 21 × DestUsr_tl, Msg_Length 1, Msg_Content, Reserve 8.
    let at = 8;
    at += 2; // Pk_total, Pk_number
    const registeredDelivery = body.readUInt8(at);
    at += 1 + 1 + 10 + 1 + 21 + 1 + 1;
    const msgFmt = body.readUInt8(at);
    at += 1 + 6 + 2 + 6 + 17 + 17 + 21;
    const count = body.readUInt8(at);
    at += 1;
    const dest: string[] = [];
    for (let i = 0; i < count; i++, at += 21) dest.push(cString(body.subarray(at, at + 21)));
    const length = body.readUInt8(at);
    at += 1;
    const content = body.subarray(at, at + length);
    const text = msgFmt === 8 ? content.swap16().toString('utf16le') : content.toString('latin1');
    const msgId = randomBytes(8);
    this.submits.push({ msgId, registeredDelivery, msgFmt, dest, text });
    // §7.4.4 (2.0): Msg_Id 8, Result 1.
    this.send(socket, CMD.SUBMIT_RESP, sequence, Buffer.concat([msgId, Buffer.from([0])]));
    if (registeredDelivery === 1) setTimeout(() => this.report(socket, msgId, dest[0] ?? ''), 20);
  }

  /** §7.4.5 (2.0) DELIVER with Registered_Delivery 1: the content is the status report. */
  private report(socket: Socket, msgId: Buffer, dest: string): void {
    if (socket.destroyed) return;
    const time = octets('2612051200', 10);
    // Status report: Msg_Id 8, Stat 7, Submit_time 10, Done_time 10, Dest_terminal_Id 21, SMSC_sequence 4.
    const smscSeq = Buffer.alloc(4);
    smscSeq.writeUInt32BE(this.seq, 0);
    const report = Buffer.concat([msgId, octets('DELIVRD', 7), time, time, octets(dest, 21), smscSeq]);
    const deliverId = randomBytes(8);
    const body = Buffer.concat([
      deliverId,
      octets(SP_ID, 21), // Dest_Id
      octets('MJS0001', 10), // Service_Id
      Buffer.from([0, 0, 0]), // TP_pid, TP_udhi, Msg_Fmt
      octets(dest, 21), // Src_terminal_Id
      Buffer.from([1, report.length]), // Registered_Delivery = 1 (a report), Msg_Length
      report,
      Buffer.alloc(8), // Reserved
    ]);
    this.send(socket, CMD.DELIVER, this.seq++, body);
  }
}

let t: TestGateway | undefined;
let ismg: IndependentIsmg | undefined;
afterEach(async () => {
  await t?.close();
  await ismg?.stop();
  t = undefined;
  ismg = undefined;
});

describe('the gateway against an independent CMPP 2.0 ISMG', () => {
  it('binds, submits a broadcast with reports requested, and ends every recipient delivered by the reports, each once', async () => {
    ismg = new IndependentIsmg();
    const port = await ismg.start();
    t = await startGateway({
      adapters: { 'sms-cmpp': { host: '127.0.0.1', port, spId: SP_ID, sharedSecret: SECRET, srcId: '1065710001', version: '2.0', verifyIsmg: 'enforce', reconnectMinMs: 20, reconnectMaxMs: 200 } },
      broadcast: { channelAdapters: { sms: 'sms-cmpp' }, rateLimits: { sms: { perSecond: 200, burst: 100 } } },
    });
    const people = Array.from({ length: 12 }, (_, i) => ({ name: `门卫${i + 1}`, phone: `1370571${String(i).padStart(4, '0')}` }));
    const text = '校门口演练通知，收到请回复1';
    const res = await t.api('/api/broadcasts', { method: 'POST', as: 'duty', body: JSON.stringify({ text, recipients: people, channels: ['sms'] }) });
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: string };
    const gw = t;
    const tally = await eventually(
      async () => {
        const b = (await (await gw.api(`/api/broadcasts/${id}`, { as: 'duty' })).json()) as { tally: { delivered: number } };
        return b.tally.delivered === people.length ? b.tally : undefined;
      },
      { timeoutMs: 30_000, everyMs: 100 },
    );
    expect(tally).toStrictEqual({ total: 12, sent: 12, delivered: 12, confirmed: 0, failed: 0 });
    const peer = ismg;
    expect(peer.connects.length).toBeGreaterThanOrEqual(1);
    expect(peer.connects.every((c) => c.authOk && c.sourceAddr === SP_ID && c.version === 0x20)).toBe(true);
    // Each person submitted exactly once, one destination per SUBMIT, UCS-2, report requested.
    expect(peer.submits.map((s) => s.dest.join(',')).sort()).toStrictEqual(people.map((p) => p.phone).sort());
    expect(peer.submits.every((s) => s.registeredDelivery === 1 && s.msgFmt === 8 && s.text === text)).toBe(true);
    // Every report answered once with Result 0.
    await eventually(() => (peer.deliverResps.length === people.length ? true : undefined), { timeoutMs: 10_000 });
    expect(peer.deliverResps.every((r) => r.result === 0)).toBe(true);
  });
});
