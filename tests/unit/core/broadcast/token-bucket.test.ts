import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { systemClock } from '../../../../gateway/contract/clock.js';
import { ChannelDispatcher } from '../../../../gateway/core/broadcast/dispatch.js';
import { TokenBucket } from '../../../../gateway/core/broadcast/token-bucket.js';
import type { BroadcastChannel, ChannelTarget } from '../../../../gateway/contract/capabilities.js';

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('TokenBucket', () => {
  it('allows a burst, then refills at the rate, never above capacity', () => {
    const b = new TokenBucket(10, 3, () => Date.now());
    expect([b.tryTake(), b.tryTake(), b.tryTake(), b.tryTake()]).toStrictEqual([true, true, true, false]);
    expect(b.msUntil(1)).toBe(100);
    vi.advanceTimersByTime(99);
    expect(b.tryTake()).toBe(false);
    vi.advanceTimersByTime(1);
    expect(b.tryTake()).toBe(true);
    vi.advanceTimersByTime(60_000);
    expect(b.available()).toBe(3);
    expect(b.msUntil(2)).toBe(0);
    expect(b.tryTake(4)).toBe(false);
    expect(b.available()).toBe(3);
  });
});

describe('ChannelDispatcher', () => {
  function setup(perSecond: number, burst: number, wanted: (ref: string, address: string) => boolean = () => true) {
    const sends: { at: number; ref: string; addresses: string[] }[] = [];
    const channel: BroadcastChannel = {
      name: 'sms',
      send: async (ref, targets) => void sends.push({ at: Date.now() - 1_000_000, ref, addresses: targets.map((t) => t.address) }),
      onStatus: () => () => undefined,
      onReply: () => () => undefined,
    };
    const errors: string[] = [];
    const d = new ChannelDispatcher({
      channel,
      bucket: new TokenBucket(perSecond, burst, () => Date.now()),
      clock: systemClock,
      log: pino({ level: 'silent' }),
      wanted,
      onSendError: (_ref, targets, err) => errors.push(`${targets.map((t) => t.address).join(',')}: ${(err as Error).message}`),
      minWaitMs: 1,
    });
    return { d, sends, errors, channel };
  }
  const to = (...a: string[]): ChannelTarget[] => a.map((address) => ({ address }));

  it('sends the burst at once and the rest at the rate, in order, dropping nothing', async () => {
    const { d, sends } = setup(2, 2);
    d.enqueue('b1', 'hi', { drill: false }, to('a', 'b', 'c', 'd', 'e'));
    expect(sends).toStrictEqual([{ at: 0, ref: 'b1', addresses: ['a', 'b'] }]);
    expect(d.pending()).toBe(3);
    await vi.advanceTimersByTimeAsync(1500);
    expect(sends).toStrictEqual([
      { at: 0, ref: 'b1', addresses: ['a', 'b'] },
      { at: 500, ref: 'b1', addresses: ['c'] },
      { at: 1000, ref: 'b1', addresses: ['d'] },
      { at: 1500, ref: 'b1', addresses: ['e'] },
    ]);
    expect(d.pending()).toBe(0);
    d.stop();
  });

  it('counts one token per talkgroup transmission, and skips people no longer waiting without spending tokens', () => {
    const skip = new Set(['x']);
    const { d, sends } = setup(1, 2, (_ref, a) => !skip.has(a));
    d.enqueue('b1', 'hi', { drill: false }, [
      { address: 'x', talkgroup: 'tg-a' },
      { address: 'P-01', talkgroup: 'tg-patrol' },
      { address: 'P-02', talkgroup: 'tg-patrol' },
      { address: 'tg-sch-01', talkgroup: 'tg-sch-01' },
    ]);
    expect(sends).toStrictEqual([{ at: 0, ref: 'b1', addresses: ['P-01', 'P-02', 'tg-sch-01'] }]);
    expect(d.pending()).toBe(0);
    d.stop();
  });

  it('reports a channel that throws, and stop() clears the queue and timer', async () => {
    const { d, errors, channel, sends } = setup(1, 1);
    channel.send = () => Promise.reject(new Error('not bound'));
    d.enqueue('b1', 'hi', { drill: false }, to('a', 'b'));
    await vi.advanceTimersByTimeAsync(0);
    expect(errors).toStrictEqual(['a: not bound']);
    d.stop();
    expect(d.pending()).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    expect(sends).toStrictEqual([]);
  });
});
