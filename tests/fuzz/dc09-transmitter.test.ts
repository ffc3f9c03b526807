/**
 * Property-based fuzzing of the 110 link's side of DC-09: what a (hostile or broken) alarm
 * receiving centre sends back. A fake centre answers every message with random garbage
 * followed by the proper ACK; the transmitter must take the ACK, and report every piece it
 * ignored with its reason (the link adapter counts them as `rejects.dc09-reply-<reason>`).
 */
import { createServer, type Server, type Socket } from 'node:net';
import fc from 'fast-check';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeFrame, type Dc09Frame } from '../../adapters/shared/dc09/dc09-frame.js';
import { splitFrames } from '../../adapters/shared/dc09/dc09-framer.js';
import { buildAck, buildDuh } from '../../adapters/shared/dc09/dc09-receiver-logic.js';
import { Dc09Transmitter, type IgnoredReplyReason } from '../../adapters/shared/dc09/dc09-transmitter.js';
import { buildMessage, parseReply } from '../../adapters/shared/dc09/dc09-transmitter-logic.js';
import { aesKey, frameRecipe, materialize, noiseRecipe, type Recipe } from './dc09-cases.js';
import { fuzzParams, fuzzTimeout, expectNothingEscapes } from './fuzz-support.js';

interface Run {
  key?: Buffer;
  garbage: Buffer;
}

/** Garbage a centre might send: panel frames, broken frames, noise, and replies to other messages. */
type Garbage = { kind: 'recipe'; recipe: Recipe } | { kind: 'ack-other-seq' } | { kind: 'ack-other-account' } | { kind: 'plain-ack' } | { kind: 'duh-other' };

describe('fuzz: DC-09 replies from the alarm receiving centre', () => {
  let server: Server;
  let tx: Dc09Transmitter;
  const ignored: { reason: IgnoredReplyReason; detail: string }[] = [];
  /** What the fake centre sends before its ACK in the current run. */
  let run: Run = { garbage: Buffer.alloc(0) };
  const sockets = new Set<Socket>();
  expectNothingEscapes();

  beforeAll(async () => {
    server = createServer({ noDelay: true }, (s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      let pending: Buffer = Buffer.alloc(0);
      s.on('data', (chunk: Buffer) => {
        const r = splitFrames(Buffer.concat([pending, chunk]));
        pending = r.rest;
        for (const f of r.frames) {
          const d = decodeFrame(f, () => run.key);
          if (!d.ok) throw new Error(`fake centre could not read the transmitter's frame: ${d.detail}`);
          s.write(Buffer.concat([run.garbage, buildAck(d.frame, Date.now(), run.key)]));
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    tx = new Dc09Transmitter({ host: '127.0.0.1', port, persistent: true, ackTimeoutMs: 5000, log: pino({ level: 'silent' }), onIgnoredReply: (reason, detail) => ignored.push({ reason, detail }) });
    await tx.start();
  });

  afterAll(async () => {
    await tx.stop();
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it(
    'takes the ACK it is owed and reports every other piece it ignored, with the reason',
    async () => {
      const garbage: fc.Arbitrary<Garbage> = fc.oneof(
        { weight: 6, arbitrary: fc.oneof(frameRecipe(fc.constant({ account: '1234' })), noiseRecipe.filter((n) => n.kind !== 'oversized')).map((recipe) => ({ kind: 'recipe' as const, recipe })) },
        { weight: 1, arbitrary: fc.constantFrom({ kind: 'ack-other-seq' as const }, { kind: 'ack-other-account' as const }, { kind: 'plain-ack' as const }, { kind: 'duh-other' as const }) },
      );
      let sequence = 0;
      await fc.assert(
        fc.asyncProperty(fc.option(aesKey, { nil: undefined }), fc.array(garbage, { maxLength: 4 }), async (key, pieces) => {
          sequence = (sequence % 9999) + 1;
          const now = Date.now();
          const expectation = { sequence, account: '1234', ...(key ? { key } : {}) };
          const sent: Dc09Frame = { token: 'ACK', encrypted: key !== undefined, sequence, line: '0', account: '1234', data: '', extended: [] };
          const bytesOf = (g: Garbage): Buffer => {
            switch (g.kind) {
              case 'recipe':
                return materialize(g.recipe, now, () => undefined).bytes;
              case 'ack-other-seq':
                return buildAck({ ...sent, sequence: (sequence % 9999) + 1 }, now, key);
              case 'ack-other-account':
                return buildAck({ ...sent, account: '4321' }, now, key);
              case 'plain-ack':
                return buildAck({ ...sent, encrypted: false }, now);
              case 'duh-other':
                return buildDuh({ ...sent, token: 'SIA-DCS', sequence: (sequence % 9999) + 1 });
            }
          };
          // A piece that is a proper reply to this message would (rightly) be taken: not garbage.
          let stream = Buffer.concat(pieces.map(bytesOf));
          for (let i = 0; i < 5; i++) {
            const items = splitFrames(stream).items;
            const kept = items.filter((it) => it.kind === 'junk' || !parseReply(it.bytes, expectation).ok);
            stream = Buffer.concat(kept.map((it) => it.bytes));
            if (kept.length === items.length) break;
          }
          // As the transmitter will see it: the garbage, then the centre's ACK (last item).
          const ack = buildAck(sent, now, key);
          const seen = splitFrames(Buffer.concat([stream, ack])).items;
          expect(seen.at(-1)?.bytes.toString('latin1')).toBe(ack.toString('latin1'));
          const expected: IgnoredReplyReason[] = seen.slice(0, -1).map((it) => {
            if (it.kind === 'junk') return 'junk';
            const r = parseReply(it.bytes, expectation);
            if (r.ok) throw new Error('garbage filter failed');
            return r.error;
          });
          run = { ...(key ? { key } : {}), garbage: stream };
          const i0 = ignored.length;
          const message = buildMessage({ account: '1234', sequence, event: { protocol: 'null' }, nowMs: now, ...(key ? { key } : {}) }).bytes;
          const result = await tx.send({ bytes: message, sequence, account: '1234', ...(key ? { key } : {}) }).catch((err: unknown) => ({ reply: `threw ${String(err)}` }));
          expect(result.reply).toBe('ack');
          expect(ignored.slice(i0).map((x) => x.reason)).toStrictEqual(expected);
          for (const x of ignored.slice(i0)) expect(x.detail.length).toBeGreaterThan(0);
        }),
        fuzzParams(),
      );
    },
    fuzzTimeout(4),
  );
});
