/**
 * Property-based fuzzing of the inbound DC-09 receiver as the gateway runs it: the panel-dc09
 * adapter over real TCP and UDP sockets on 127.0.0.1. Each run sends a burst of valid, broken
 * and random frames followed by a valid NULL "sentinel"; once the sentinel is ACKed, every
 * reply must be the one DC-09 prescribes (in stream order) and every refused piece must have
 * been counted once, as `rejects.dc09-<reason>`.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import fc from 'fast-check';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeFrame } from '../../adapters/shared/dc09/dc09-frame.js';
import { splitFrames } from '../../adapters/shared/dc09/dc09-framer.js';
import { Dc09Receiver } from '../../adapters/shared/dc09/dc09-receiver.js';
import { decideReply } from '../../adapters/shared/dc09/dc09-receiver-logic.js';
import { buildMessage } from '../../adapters/shared/dc09/dc09-transmitter-logic.js';
import { PanelDc09Adapter } from '../../adapters/panel-dc09/index.js';
import type { Device, Site } from '../../gateway/contract/types.js';
import { frameRecipe, materialize, noiseRecipe, type KeyFor, type Recipe } from './dc09-cases.js';
import { countingContext, fuzzParams, fuzzTimeout, total, expectNothingEscapes, type CountingContext } from './fuzz-support.js';

const K128 = Buffer.from('000102030405060708090A0B0C0D0E0F', 'hex');
const K256 = Buffer.from('F0E0D0C0B0A0908070605040302010000F0E0D0C0B0A09080706050403020100', 'hex');
const KEYS: Record<string, Buffer> = { '1033': K128, AB12: K256 };
const keyFor: KeyFor = (account) => KEYS[account];
/** Senders: keyed and plain configured accounts, an unknown account, and an unknown one that encrypts. */
const SENDERS = [
  { account: '1033', key: K128 },
  { account: 'AB12', key: K256 },
  { account: '2044' },
  { account: 'FFF0' },
  { account: 'C0DE', key: K128 },
];
const SENTINEL_ACCOUNT = '5678';
const SITE: Site = { id: 'sch-33', name: 'sch-33', district: 'd', timeZone: 'Asia/Shanghai', protectionWindows: [], holidays: [], contacts: [] };
const panel = (id: string, account: string, zone?: number): Device => ({ id, siteId: SITE.id, kind: 'alarm-button', adapter: 'panel-dc09', name: id, options: { account, ...(zone !== undefined ? { zone } : {}) } });
const DEVICES = [panel('p-1033', '1033', 2), panel('p-ab12', 'AB12'), panel('p-2044', '2044', 1), panel('p-2044b', '2044', 7), panel('p-5678', SENTINEL_ACCOUNT)];
const KNOWN = new Set(DEVICES.map((d) => String(d.options.account)));
const EVENT_TYPES = ['press', 'cancel', 'test', 'tamper', 'tamper-cleared', 'fault', 'fault-cleared', 'telemetry'];

/** Collects reply frames from a socket until one satisfies a predicate. */
class Replies {
  private buf: Buffer = Buffer.alloc(0);
  readonly frames: Buffer[] = [];
  private waiter?: { pred: (f: Buffer) => boolean; resolve: () => void };

  push(chunk: Buffer, stream: boolean): void {
    if (stream) {
      const r = splitFrames(Buffer.concat([this.buf, chunk]));
      this.buf = r.rest;
      for (const f of r.frames) this.add(f);
    } else this.add(chunk);
  }

  private add(f: Buffer): void {
    this.frames.push(f);
    if (this.waiter?.pred(f)) {
      const w = this.waiter;
      this.waiter = undefined;
      w.resolve();
    }
  }

  /** Resolves once a frame satisfying `pred` arrived after `from` (index into frames). */
  until(pred: (f: Buffer) => boolean, from: number, timeoutMs = 5000): Promise<void> {
    if (this.frames.slice(from).some(pred)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.waiter = undefined;
        reject(new Error(`no sentinel ACK within ${timeoutMs} ms: the receiver stopped answering`));
      }, timeoutMs);
      this.waiter = { pred, resolve: () => { clearTimeout(t); resolve(); } };
    });
  }
}

const token = (f: Buffer): string => {
  const d = decodeFrame(f, keyFor);
  return d.ok ? d.frame.token : `unreadable:${d.error}`;
};

describe('fuzz: DC-09 receiver (panel-dc09 over TCP and UDP)', () => {
  let ctx: CountingContext;
  let adapter: PanelDc09Adapter;
  let tcp: Socket;
  let udp: UdpSocket;
  const tcpReplies = new Replies();
  const udpReplies = new Replies();
  expectNothingEscapes();

  beforeAll(async () => {
    ctx = countingContext({ sites: [SITE], devices: DEVICES });
    adapter = new PanelDc09Adapter(
      { host: '127.0.0.1', port: 0, tcp: true, udp: true, keys: { '1033': K128.toString('hex'), AB12: K256.toString('hex') }, pastSeconds: 40, futureSeconds: 20 },
      ctx,
    );
    await adapter.start();
    const port = adapter.port as number;
    tcp = connect({ host: '127.0.0.1', port, noDelay: true });
    await new Promise<void>((resolve, reject) => tcp.once('connect', resolve).once('error', reject));
    tcp.on('data', (c: Buffer) => tcpReplies.push(c, true));
    udp = createSocket('udp4');
    await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
    udp.on('message', (m) => udpReplies.push(m, false));
  });

  afterAll(async () => {
    tcp.destroy();
    await new Promise<void>((resolve) => udp.close(() => resolve()));
    await adapter.stop();
  });

  it(
    'answers every piece of a burst as DC-09 prescribes, in order, and counts every refusal once',
    async () => {
      let sentinelSeq = 0;
      const recipe: fc.Arbitrary<Recipe> = fc.oneof({ weight: 4, arbitrary: frameRecipe(fc.constantFrom(...SENDERS)) }, { weight: 1, arbitrary: noiseRecipe });
      const burst = fc
        .tuple(fc.constantFrom('tcp', 'udp') as fc.Arbitrary<'tcp' | 'udp'>, fc.array(recipe, { minLength: 1, maxLength: 4 }))
        // TCP delivers a long line in pieces, and an unterminated run over 4 KiB is junk by design
        // (dc09-framer.ts): oversized frames go by UDP, one datagram each, at most one per burst.
        .map(([transport, rs]) => {
          const oversized = rs.filter((r) => r.kind === 'oversized').slice(0, transport === 'udp' ? 1 : 0);
          return [transport, [...rs.filter((r) => r.kind !== 'oversized'), ...oversized]] as const;
        });
      await fc.assert(
        fc.asyncProperty(burst, async ([transport, recipes]) => {
          const now = Date.now();
          // Keep clear of the window's edges: real time passes between building and receiving.
          const pieces = recipes.map((r) => materialize(r.kind === 'frame' ? { ...r, skewMs: Math.round(r.skewMs * 0.7) } : r, now, keyFor).bytes);
          sentinelSeq = (sentinelSeq % 9999) + 1;
          const sentinel = buildMessage({ account: SENTINEL_ACCOUNT, sequence: sentinelSeq, event: { protocol: 'null' }, nowMs: now, timestamp: false }).bytes;
          const stream = Buffer.concat([...pieces, sentinel]);

          // What the receiver must do, piece by piece, in stream order.
          const expectedReplies: string[] = [];
          const expectedRejects: string[] = [];
          for (const item of splitFrames(stream).items.slice(0, -1)) {
            if (item.kind === 'junk') {
              expectedReplies.push('DUH');
              expectedRejects.push('dc09-junk');
              continue;
            }
            const d = decideReply(item.bytes, now, { keys: keyFor });
            if (d.reply === 'ack') {
              if (KNOWN.has(d.message.frame.account)) expectedReplies.push('ACK');
              else {
                expectedReplies.push('DUH');
                expectedRejects.push('dc09-unknown-account');
              }
            } else {
              if (d.reply !== 'none') expectedReplies.push(d.reply.toUpperCase());
              expectedRejects.push(`dc09-${d.reason}`);
            }
          }

          const replies = transport === 'tcp' ? tcpReplies : udpReplies;
          const from = replies.frames.length;
          const r0 = ctx.rejects.length;
          const e0 = ctx.events.length;
          const c0 = total(ctx.counters, 'rejects.');
          const isSentinelAck = (f: Buffer) => {
            const d = decodeFrame(f, keyFor);
            return d.ok && d.frame.token === 'ACK' && d.frame.account === SENTINEL_ACCOUNT && d.frame.sequence === sentinelSeq;
          };
          const done = replies.until(isSentinelAck, from);
          if (transport === 'tcp') tcp.write(stream);
          else udp.send(stream, adapter.port as number, '127.0.0.1');
          await done;

          const got = replies.frames.slice(from);
          expect(got.map(token)).toStrictEqual([...expectedReplies, 'ACK']);
          const rejects = ctx.rejects.slice(r0);
          expect(rejects.map((r) => r.reason)).toStrictEqual(expectedRejects);
          expect(total(ctx.counters, 'rejects.') - c0).toBe(expectedRejects.length);
          for (const r of rejects) {
            expect(r.detail).toMatch(new RegExp(`^${transport} 127\\.0\\.0\\.1:\\d+( account [0-9A-F]+)?: \\S`));
            if (r.deviceId !== undefined) expect(DEVICES.map((d) => d.id)).toContain(r.deviceId);
          }
          for (const e of ctx.events.slice(e0)) {
            expect(DEVICES.map((d) => d.id)).toContain(e.deviceId);
            expect(EVENT_TYPES).toContain(e.type);
          }
        }),
        fuzzParams(),
      );
    },
    fuzzTimeout(6),
  );

  it('refuses over-long lines, even a megabyte without <CR>, and keeps answering on the same connection', async () => {
    const from = tcpReplies.frames.length;
    const r0 = ctx.rejects.length;
    const valid = buildMessage({ account: '2044', sequence: 4242, event: { protocol: 'sia', code: 'PA', zone: '1' }, nowMs: Date.now() }).bytes;
    for (const line of [Buffer.alloc(5000, 0x41), Buffer.alloc(1 << 20, 0x42), Buffer.concat([Buffer.from('\n'), Buffer.alloc(70_000, 0x43)])]) {
      await new Promise<void>((resolve) => tcp.write(line, () => resolve()));
    }
    const done = tcpReplies.until((f) => token(f) === 'ACK', from);
    tcp.write(valid);
    await done;
    const junk = ctx.rejects.slice(r0).filter((r) => r.reason === 'dc09-junk');
    // Every refused run is answered DUH and counted; the valid frame after them is ACKed.
    expect(junk.length).toBeGreaterThanOrEqual(3);
    expect(tcpReplies.frames.slice(from).map(token)).toStrictEqual([...junk.map(() => 'DUH'), 'ACK']);
  });

  it('a key lookup that throws is counted as handler-failed, and the frames after it are still answered', async () => {
    const rejects: string[] = [];
    const receiver = new Dc09Receiver({
      port: 0,
      udp: false,
      log: pino({ level: 'silent' }),
      policy: {
        keys: (account) => {
          if (account === 'BAD') throw new Error('key store unavailable');
          return undefined;
        },
      },
      onMessage: async () => 'ack',
      onReject: (reason) => rejects.push(reason),
    });
    const { port } = await receiver.start();
    const sock = connect({ host: '127.0.0.1', port });
    try {
      const replies = new Replies();
      sock.on('data', (c: Buffer) => replies.push(c, true));
      await new Promise<void>((resolve) => sock.once('connect', resolve));
      const frame = (account: string, sequence: number) => buildMessage({ account, sequence, event: { protocol: 'null' }, nowMs: Date.now(), timestamp: false }).bytes;
      const done = replies.until((f) => {
        const d = decodeFrame(f);
        return d.ok && d.frame.token === 'ACK' && d.frame.sequence === 2;
      }, 0);
      sock.write(Buffer.concat([frame('BAD', 1), frame('600D', 2)]));
      await done;
      expect(rejects).toStrictEqual(['handler-failed']);
      expect(replies.frames.map(token)).toStrictEqual(['ACK']);
    } finally {
      sock.destroy();
      await receiver.stop();
    }
  });
});
