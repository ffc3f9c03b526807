import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { TxCommand } from '../../../../adapters/radio/codec.js';
import { Transmitter, type TxJob } from '../../../../adapters/radio/transmitter.js';
import { systemClock } from '../../../../gateway/contract/clock.js';

const JOB: TxJob = { radioId: 'radio-1', id: 'bc-1', talkgroups: ['tg-a', 'tg-b'], text: '测试', speech: '测试', priority: 'normal', rollCall: false };

function setup(opts: { publish?: (cmd: TxCommand) => Promise<void> } = {}) {
  const sent: TxCommand[] = [];
  const tx = new Transmitter({
    clock: systemClock,
    log: pino({ level: 'silent' }),
    ackTimeoutMs: 100,
    retries: 2,
    publish: async (_radioId, cmd) => {
      sent.push(cmd);
      await opts.publish?.(cmd);
    },
  });
  const ack = (talkgroup: string, status: 'ok' | 'failed' = 'ok', extra: { reason?: string; dup?: boolean; id?: string } = {}) =>
    tx.onAck('radio-1', { type: 'tx-ack', id: extra.id ?? 'bc-1', talkgroup, status, ...(extra.reason ? { reason: extra.reason } : {}), ...(extra.dup ? { dup: true } : {}) });
  return { tx, sent, ack };
}

describe('Transmitter', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('returns one acked outcome per talkgroup after a single send when every talkgroup acks', async () => {
    const { tx, sent, ack } = setup();
    const p = tx.run(JOB);
    await vi.advanceTimersByTimeAsync(30);
    expect(ack('tg-b')).toBe(true);
    expect(ack('tg-a')).toBe(true);
    expect(await p).toStrictEqual([
      { talkgroup: 'tg-a', status: 'acked', latencyMs: 30, attempts: 1 },
      { talkgroup: 'tg-b', status: 'acked', latencyMs: 30, attempts: 1 },
    ]);
    expect(sent).toStrictEqual([{ op: 'tx', id: 'bc-1', attempt: 1, talkgroups: ['tg-a', 'tg-b'], text: '测试', speech: '测试', priority: 'normal', rollCall: false, validUntil: 1_000_300, at: 1_000_000 }]);
    expect(tx.pending).toBe(0);
    expect(ack('tg-a')).toBe(false); // late: nobody waits any more
  });

  it('retries only the silent talkgroups, with the same id, then reports timeout', async () => {
    const { tx, sent, ack } = setup();
    const p = tx.run(JOB);
    await vi.advanceTimersByTimeAsync(10);
    ack('tg-a');
    await vi.advanceTimersByTimeAsync(400);
    expect(await p).toStrictEqual([
      { talkgroup: 'tg-a', status: 'acked', latencyMs: 10, attempts: 1 },
      { talkgroup: 'tg-b', status: 'timeout', latencyMs: 300, attempts: 3, detail: 'no tx-ack after 3 attempts' },
    ]);
    expect(sent.map((c) => [c.id, c.attempt, c.talkgroups, c.validUntil])).toStrictEqual([
      ['bc-1', 1, ['tg-a', 'tg-b'], 1_000_300],
      ['bc-1', 2, ['tg-b'], 1_000_300],
      ['bc-1', 3, ['tg-b'], 1_000_300],
    ]);
  });

  it('takes a duplicate ack on a retry as acked, and a failed ack as final', async () => {
    const { tx, sent, ack } = setup();
    const p = tx.run(JOB);
    await vi.advanceTimersByTimeAsync(0);
    expect(ack('tg-b', 'failed', { reason: 'channel-busy' })).toBe(true);
    await vi.advanceTimersByTimeAsync(100);
    ack('tg-a', 'ok', { dup: true });
    expect(await p).toStrictEqual([
      { talkgroup: 'tg-a', status: 'acked', latencyMs: 100, attempts: 2, detail: 'already announced (duplicate suppressed by the radio gateway)' },
      { talkgroup: 'tg-b', status: 'failed', latencyMs: 0, attempts: 1, detail: 'channel-busy' },
    ]);
    expect(sent.map((c) => c.talkgroups)).toStrictEqual([['tg-a', 'tg-b'], ['tg-a']]);
  });

  it('stops waiting on abort and says so', async () => {
    const { tx, sent } = setup();
    const ac = new AbortController();
    const p = tx.run(JOB, ac.signal);
    await vi.advanceTimersByTimeAsync(40);
    ac.abort();
    const out = await p;
    expect(out.map((o) => [o.status, o.attempts, o.detail])).toStrictEqual([
      ['timeout', 1, 'aborted before tx-ack'],
      ['timeout', 1, 'aborted before tx-ack'],
    ]);
    expect(sent).toHaveLength(1);
  });

  it('keeps the pace after a publish error and reports the last error', async () => {
    const { tx, sent } = setup({ publish: async () => Promise.reject(new Error('broker not started')) });
    const p = tx.run({ ...JOB, talkgroups: ['tg-a'] });
    await vi.advanceTimersByTimeAsync(99);
    expect(sent).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(300);
    expect(await p).toStrictEqual([
      { talkgroup: 'tg-a', status: 'timeout', latencyMs: 300, attempts: 3, detail: 'no tx-ack after 3 attempts (last publish error: broker not started)' },
    ]);
  });

  it('runs the same (radio, id) one after the other so acks are never stolen', async () => {
    const { tx, sent, ack } = setup();
    const first = tx.run({ ...JOB, talkgroups: ['tg-a'] });
    const second = tx.run({ ...JOB, talkgroups: ['tg-a'] });
    await vi.advanceTimersByTimeAsync(0);
    expect(sent).toHaveLength(1);
    ack('tg-a');
    expect(await first).toStrictEqual([{ talkgroup: 'tg-a', status: 'acked', latencyMs: 0, attempts: 1 }]);
    await vi.advanceTimersByTimeAsync(0);
    expect(sent).toHaveLength(2);
    ack('tg-a', 'ok', { dup: true });
    expect((await second)[0]?.detail).toBe('already announced (duplicate suppressed by the radio gateway)');
  });

  it('ends every wait on stop()', async () => {
    const { tx } = setup();
    const p = tx.run(JOB);
    await vi.advanceTimersByTimeAsync(5);
    tx.stop();
    expect((await p).map((o) => o.detail)).toStrictEqual(['adapter stopped before tx-ack', 'adapter stopped before tx-ack']);
  });
});
