import { createSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeFrame, wrapBody } from '../../../../../adapters/shared/dc09/dc09-frame.js';
import { Dc09Receiver, type Dc09HandlerResult, type Dc09ReceivedMessage } from '../../../../../adapters/shared/dc09/dc09-receiver.js';
import type { Dc09RejectReason } from '../../../../../adapters/shared/dc09/dc09-receiver-logic.js';
import { buildMessage } from '../../../../../adapters/shared/dc09/dc09-transmitter-logic.js';
import { Dc09Transmitter } from '../../../../../adapters/shared/dc09/dc09-transmitter.js';
import { systemClock, type Clock } from '../../../../../gateway/contract/clock.js';
import { preciseNow } from '../../../../../gateway/contract/press-timing.js';

const KEY = Buffer.from('000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F', 'hex');

interface Harness {
  receiver: Dc09Receiver;
  port: number;
  messages: Dc09ReceivedMessage[];
  rejects: { reason: Dc09RejectReason; detail: string }[];
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function startReceiver(
  handler: (m: Dc09ReceivedMessage) => Promise<Dc09HandlerResult> = async () => undefined,
  keys: Record<string, Buffer> = {},
): Promise<Harness> {
  const messages: Dc09ReceivedMessage[] = [];
  const rejects: Harness['rejects'] = [];
  const receiver = new Dc09Receiver({
    policy: { keys: (a) => keys[a] },
    onMessage: async (m) => {
      messages.push(m);
      return handler(m);
    },
    onReject: (reason, detail) => rejects.push({ reason, detail }),
  });
  const { port } = await receiver.start();
  cleanups.push(() => receiver.stop());
  return { receiver, port, messages, rejects };
}

function transmitter(port: number, opts: { ackTimeoutMs?: number; persistent?: boolean; clock?: Clock } = {}): Dc09Transmitter {
  const tx = new Dc09Transmitter({ host: '127.0.0.1', port, ackTimeoutMs: opts.ackTimeoutMs ?? 5000, ...opts });
  cleanups.push(() => tx.stop());
  return tx;
}

/** A raw TCP client that collects what the receiver answers. */
async function rawClient(port: number): Promise<{ sock: Socket; next: () => Promise<Buffer> }> {
  const sock = connect({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => sock.once('connect', resolve).once('error', reject));
  cleanups.push(async () => void sock.destroy());
  const got: Buffer[] = [];
  const waiting: ((b: Buffer) => void)[] = [];
  sock.on('data', (b: Buffer) => {
    const w = waiting.shift();
    if (w) w(b);
    else got.push(b);
  });
  return { sock, next: () => new Promise((resolve) => (got.length ? resolve(got.shift() as Buffer) : waiting.push(resolve))) };
}

describe('Dc09Transmitter ↔ Dc09Receiver over loopback', () => {
  it('ACKs a panic over TCP after the handler resolved, plain and AES-256', async () => {
    const h = await startReceiver(undefined, { '5678': KEY });
    const tx = transmitter(h.port);
    const plain = await tx.sendEvent({ account: '1234', sequence: 1, event: { protocol: 'sia', code: 'PA', zone: '1', area: '1' } });
    expect(plain.reply).toBe('ack');
    expect(plain.frame?.token).toBe('ACK');
    const enc = await tx.sendEvent({ account: '5678', sequence: 2, key: KEY, event: { protocol: 'cid', qualifier: 1, code: '120', partition: 1, zone: 3 } });
    expect(enc.reply).toBe('ack');
    expect(enc.frame?.encrypted).toBe(true);
    expect(typeof enc.receiverTime).toBe('number');
    expect(h.messages.map((m) => [m.transport, m.frame.account, m.frame.sequence, m.payload.kind])).toStrictEqual([
      ['tcp', '1234', 1, 'sia'],
      ['tcp', '5678', 2, 'cid'],
    ]);
  });

  it('does not ACK while the handler is pending, nor when it fails', async () => {
    let release: () => void = () => undefined;
    let entered: () => void = () => undefined;
    const inHandler = new Promise<void>((r) => (entered = r));
    const gate = new Promise<void>((r) => (release = r));
    let fail = false;
    const h = await startReceiver(async () => {
      if (fail) throw new Error('store down');
      entered();
      await gate;
    });
    const tx = transmitter(h.port);
    let settled = false;
    const sending = tx.sendEvent({ account: '1234', sequence: 1, event: { protocol: 'sia', code: 'PA' } }).then((r) => {
      settled = true;
      return r;
    });
    await inHandler;
    await new Promise((r) => setImmediate(r));
    expect(settled).toBe(false);
    release();
    expect((await sending).reply).toBe('ack');

    fail = true;
    const tx2 = transmitter(h.port, { ackTimeoutMs: 300 });
    const r = await tx2.sendEvent({ account: '1234', sequence: 2, event: { protocol: 'sia', code: 'PA' } });
    expect(r.reply).toBe('timeout');
    expect(h.rejects).toStrictEqual([{ reason: 'handler-failed', detail: 'store down' }]);
    // The failed message was not remembered: its retry is processed, and ACKed now.
    fail = false;
    const again = await tx2.sendEvent({ account: '1234', sequence: 2, event: { protocol: 'sia', code: 'PA' } });
    expect(again.reply).toBe('ack');
  });

  it('NAKs a stale timestamp with the receiver time', async () => {
    const h = await startReceiver();
    const lateClock: Clock = { ...systemClock, now: () => Date.now() - 120_000 };
    const tx = transmitter(h.port, { clock: lateClock });
    const before = Math.floor(Date.now() / 1000) * 1000;
    const r = await tx.sendEvent({ account: '1234', sequence: 1, event: { protocol: 'sia', code: 'PA' } });
    expect(r.reply).toBe('nak');
    expect(r.receiverTime).toBeGreaterThanOrEqual(before);
    expect(h.messages).toStrictEqual([]);
    expect(h.rejects.map((x) => x.reason)).toStrictEqual(['timestamp']);
  });

  it('answers DUH to garbage and nothing to a bad CRC (transmitter times out)', async () => {
    const h = await startReceiver();
    const c = await rawClient(h.port);
    c.sock.write('GET / HTTP/1.1\r\n');
    const duh = decodeFrame(await c.next());
    expect(duh.ok && duh.frame.token).toBe('DUH');

    const good = buildMessage({ account: '1234', sequence: 9, event: { protocol: 'sia', code: 'PA' }, nowMs: Date.now() }).bytes;
    const bad = Buffer.from(good);
    bad[1] = bad[1] === 0x30 ? 0x31 : 0x30; // corrupt the first CRC digit
    const tx = transmitter(h.port, { ackTimeoutMs: 300 });
    const r = await tx.send({ bytes: bad, sequence: 9, account: '1234' });
    expect(r.reply).toBe('timeout');
    expect(h.messages).toStrictEqual([]);
    expect(h.rejects.map((x) => x.reason)).toStrictEqual(['junk', 'crc']);
  });

  it('answers DUH to a frame that is cut short and never completed', async () => {
    const receiver = new Dc09Receiver({ onMessage: async () => undefined, frameIdleMs: 100 });
    const { port } = await receiver.start();
    cleanups.push(() => receiver.stop());
    const c = await rawClient(port);
    c.sock.write('\n1234001A"SIA-DCS"00');
    const reply = decodeFrame(await c.next());
    expect(reply.ok && reply.frame.token).toBe('DUH');
  });

  it('processes a repeated sequence number once and ACKs it again', async () => {
    const h = await startReceiver();
    const frame = buildMessage({ account: '1234', sequence: 77, line: '1', event: { protocol: 'sia', code: 'PA' }, nowMs: Date.now() }).bytes;
    const tx = transmitter(h.port);
    const a = await tx.send({ bytes: frame, sequence: 77, account: '1234' });
    const b = await tx.send({ bytes: frame, sequence: 77, account: '1234' });
    expect([a.reply, b.reply]).toStrictEqual(['ack', 'ack']);
    expect(h.messages.length).toBe(1);
    // Same number on another line is another message.
    const other = buildMessage({ account: '1234', sequence: 77, line: '2', event: { protocol: 'sia', code: 'PA' }, nowMs: Date.now() }).bytes;
    expect((await tx.send({ bytes: other, sequence: 77, account: '1234' })).reply).toBe('ack');
    expect(h.messages.length).toBe(2);
  });

  it('de-duplicates a retransmission that arrives while the first is still being stored', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    let calls = 0;
    let sawRetransmission: () => void = () => undefined;
    const retransmitted = new Promise<void>((r) => (sawRetransmission = r));
    const log = pino({ level: 'info' }, {
      write: (line: string) => {
        if (line.includes('retransmission while the first is processed')) sawRetransmission();
      },
    });
    const receiver = new Dc09Receiver({
      log,
      onMessage: async () => {
        calls++;
        await gate;
      },
    });
    const { port } = await receiver.start();
    cleanups.push(() => receiver.stop());
    const frame = buildMessage({ account: '1234', sequence: 5, event: { protocol: 'sia', code: 'PA' }, nowMs: Date.now() }).bytes;
    const c1 = await rawClient(port);
    const c2 = await rawClient(port);
    c1.sock.write(frame);
    c2.sock.write(frame);
    await retransmitted;
    release();
    const replies = (await Promise.all([c1.next(), c2.next()])).map((b) => decodeFrame(b));
    expect(replies.map((d) => d.ok && [d.frame.token, d.frame.sequence])).toStrictEqual([
      ['ACK', 5],
      ['ACK', 5],
    ]);
    expect(calls).toBe(1);
  });

  it('keeps a persistent connection and reconnects after the receiver restarts', async () => {
    const h = await startReceiver();
    const tx = transmitter(h.port, { persistent: true });
    const send = (sequence: number) => tx.sendEvent({ account: '1234', sequence, event: { protocol: 'null' } });
    expect((await send(1)).reply).toBe('ack');
    expect((await send(2)).reply).toBe('ack');
    expect(h.messages[0]?.remote).toStrictEqual(h.messages[1]?.remote);
    await h.receiver.stop();
    await h.receiver.start();
    expect((await send(3)).reply).toBe('ack');
    expect(h.messages[2]?.remote.port).not.toBe(h.messages[0]?.remote.port);
  });

  it('writes the frame before send() returns when the connection is idle, and still sends one at a time', async () => {
    const h = await startReceiver();
    const tx = transmitter(h.port, { persistent: true });
    const frame = (sequence: number) => {
      const { bytes } = buildMessage({ account: '1234', sequence, event: { protocol: 'sia', code: 'PA', zone: '1' }, nowMs: Date.now() });
      return { bytes, sequence, account: '1234' };
    };
    expect((await tx.send(frame(1))).reply).toBe('ack'); // connects
    const sending = tx.send(frame(2));
    const returnedAt = preciseNow();
    const idle = await sending;
    // Marked before the write, which came before send() returned (not in a later microtask).
    expect([idle.reply, (idle.writtenAt ?? Infinity) <= returnedAt, (idle.answeredAt ?? -Infinity) >= (idle.writtenAt ?? Infinity)]).toStrictEqual(['ack', true, true]);
    // Three at once: one outstanding frame at a time (DC-09 matches a reply to the last one sent).
    const replies = await Promise.all([3, 4, 5].map((n) => tx.send(frame(n))));
    expect(replies.map((r) => [r.reply, r.frame?.sequence])).toStrictEqual([
      ['ack', 3],
      ['ack', 4],
      ['ack', 5],
    ]);
    expect(h.messages.map((m) => m.frame.sequence)).toStrictEqual([1, 2, 3, 4, 5]);
  });

  it('reports a refused connection as closed with ECONNREFUSED', async () => {
    const h = await startReceiver();
    await h.receiver.stop();
    const tx = transmitter(h.port);
    const r = await tx.sendEvent({ account: '1234', sequence: 1, event: { protocol: 'null' } });
    expect(r.reply).toBe('closed');
    expect(r.detail).toBe('ECONNREFUSED');
  });

  it('receives over UDP and answers to the sender', async () => {
    const h = await startReceiver();
    const udp = createSocket('udp4');
    cleanups.push(() => new Promise<void>((r) => udp.close(() => r())));
    await new Promise<void>((r) => udp.bind(0, '127.0.0.1', () => r()));
    const reply = new Promise<Buffer>((r) => udp.once('message', (m) => r(m)));
    const frame = buildMessage({ account: '1234', sequence: 3, event: { protocol: 'cid', qualifier: 1, code: '602', partition: 0, zone: 0 }, nowMs: Date.now() }).bytes;
    udp.send(frame, h.port, '127.0.0.1');
    const ack = decodeFrame(await reply);
    expect(ack.ok && [ack.frame.token, ack.frame.sequence, ack.frame.account]).toStrictEqual(['ACK', 3, '1234']);
    expect(h.messages.map((m) => m.transport)).toStrictEqual(['udp']);
    const junkReply = new Promise<Buffer>((r) => udp.once('message', (m) => r(m)));
    udp.send(Buffer.from('hello'), h.port, '127.0.0.1');
    expect((await junkReply).toString('latin1')).toBe(wrapBody('"DUH"0000R0L0A0[]').toString('latin1'));
  });
});
