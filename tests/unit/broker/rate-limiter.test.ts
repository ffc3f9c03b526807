import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PublishRateLimiter, type RateLimitOptions } from '../../../gateway/broker/rate-limiter.js';
import { systemClock } from '../../../gateway/contract/clock.js';
import { Counters } from '../../../gateway/core/counters.js';

const OPTS: RateLimitOptions = { messagesPerSecond: 10, burst: 5, disconnectAfterSeconds: 2, clearAfterSeconds: 5 };

function rig(opts: Partial<RateLimitOptions> = {}) {
  const counters = new Counters();
  const events: string[] = [];
  const limiter = new PublishRateLimiter(
    { ...OPTS, ...opts },
    {
      disconnect: (conn, id) => events.push(`disconnect ${(conn as { name: string }).name} ${id}`),
      flooding: (id, active, detail) => events.push(`flooding ${id} ${active}${detail ? ` (${detail})` : ''}`),
    },
    counters,
    systemClock,
  );
  const released: string[] = [];
  /** Sends n publishes on a connection; each records `label` when released (or `label!` when dropped). */
  const send = (conn: object, id: string, label: string, n = 1) => {
    for (let i = 0; i < n; i++) limiter.admit(conn, id, { admitted: (err) => released.push(err ? `${label}!` : label) });
  };
  return { limiter, counters, events, released, send };
}

describe('PublishRateLimiter', () => {
  beforeEach(() => vi.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => vi.useRealTimers());

  it('lets a burst through at once, then releases held publishes in order at the sustained rate', () => {
    const { limiter, counters, released, send } = rig();
    const a = { name: 'a' };
    limiter.connected(a, 'dev-a');
    send(a, 'dev-a', 'b', 5);
    send(a, 'dev-a', 'h1');
    send(a, 'dev-a', 'h2');
    expect(released).toStrictEqual(['b', 'b', 'b', 'b', 'b']);
    vi.advanceTimersByTime(100);
    expect(released.slice(5)).toStrictEqual(['h1']);
    vi.advanceTimersByTime(100);
    expect(released.slice(5)).toStrictEqual(['h1', 'h2']);
    expect(counters.snapshot('mqtt.ratelimit')).toStrictEqual({ 'mqtt.ratelimit.throttled': 2 });
  });

  it('keeps devices apart: one device without tokens does not hold another', () => {
    const { limiter, released, send } = rig();
    const a = { name: 'a' };
    const b = { name: 'b' };
    limiter.connected(a, 'dev-a');
    limiter.connected(b, 'dev-b');
    send(a, 'dev-a', 'a', 8);
    send(b, 'dev-b', 'B');
    expect(released).toStrictEqual(['a', 'a', 'a', 'a', 'a', 'B']);
  });

  it('disconnects a device over the limit for disconnectAfterSeconds, marks it flooding and drops what it held', () => {
    const { limiter, counters, events, released, send } = rig();
    const a = { name: 'a' };
    limiter.connected(a, 'dev-a');
    send(a, 'dev-a', 'x', 30);
    // A flooder refills its queue as soon as it drains (aedes reads the next chunk).
    for (let t = 0; t < 25 && events.length === 0; t++) {
      vi.advanceTimersByTime(100);
      send(a, 'dev-a', 'x', 30);
    }
    expect(events).toStrictEqual(['flooding dev-a true (over 10 msg/s for 2 s: disconnected)', 'disconnect a dev-a']);
    expect(released.filter((r) => r === 'x').length).toBeLessThanOrEqual(5 + 10 * 2 + 1);
    expect(released.filter((r) => r === 'x!').length).toBeGreaterThan(0);
    expect(counters.get('mqtt.ratelimit.disconnected')).toBe(1);
    expect(limiter.isFlooding('dev-a')).toBe(true);
    limiter.disconnected(a);
    limiter.stop();
  });

  it('forgives a burst: a publish that finds a token ends the over-the-limit stretch', () => {
    const { limiter, events, send } = rig();
    const a = { name: 'a' };
    limiter.connected(a, 'dev-a');
    for (let i = 0; i < 6; i++) {
      send(a, 'dev-a', 'x', 8); // 8 at once: 3 held each time
      vi.advanceTimersByTime(1000); // quiet: the bucket refills
    }
    expect(events).toStrictEqual([]);
  });

  it('says whether a device is over its limit: from its first held publish until one finds a token', () => {
    const { limiter, send } = rig();
    const a = { name: 'a' };
    limiter.connected(a, 'dev-a');
    send(a, 'dev-a', 'x', 5);
    expect(limiter.overLimit('dev-a')).toBe(false);
    send(a, 'dev-a', 'x');
    expect(limiter.overLimit('dev-a')).toBe(true);
    expect(limiter.overLimit('dev-b')).toBe(false);
    vi.advanceTimersByTime(2000); // the held one released, the bucket refilled
    send(a, 'dev-a', 'x');
    expect(limiter.overLimit('dev-a')).toBe(false);
  });

  it('clears flooding once the device has stayed connected clearAfterSeconds without being throttled', () => {
    const { limiter, events, released, send } = rig();
    const a = { name: 'a' };
    limiter.connected(a, 'dev-a');
    send(a, 'dev-a', 'x', 30);
    for (let t = 0; t < 25 && events.length === 0; t++) {
      vi.advanceTimersByTime(100);
      send(a, 'dev-a', 'x', 30);
    }
    limiter.disconnected(a);
    events.length = 0;
    // Reconnected: no fresh burst (the bucket is per device and survives the reconnect).
    const a2 = { name: 'a2' };
    limiter.connected(a2, 'dev-a');
    released.length = 0;
    send(a2, 'dev-a', 'y', 3);
    expect(released).toStrictEqual([]);
    vi.advanceTimersByTime(3000);
    expect(released).toStrictEqual(['y', 'y', 'y']);
    send(a2, 'dev-a', 'z', 8); // 3 s after connecting: throttled again
    vi.advanceTimersByTime(4000);
    expect(events).toStrictEqual([]); // 5 s counted from the last throttle, not from the reconnect
    vi.advanceTimersByTime(1100);
    expect(events).toStrictEqual(['flooding dev-a false']);
    expect(limiter.isFlooding('dev-a')).toBe(false);
    limiter.stop();
  });

  it('keeps the mark while the device stays away', () => {
    const { limiter, events, send } = rig({ disconnectAfterSeconds: 0.5 });
    const a = { name: 'a' };
    limiter.connected(a, 'dev-a');
    for (let t = 0; t < 20 && events.length === 0; t++) {
      send(a, 'dev-a', 'x', 30);
      vi.advanceTimersByTime(100);
    }
    limiter.disconnected(a);
    vi.advanceTimersByTime(60_000);
    expect(limiter.isFlooding('dev-a')).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('does nothing when messagesPerSecond is 0', () => {
    const { limiter, released, send, counters } = rig({ messagesPerSecond: 0 });
    send({ name: 'a' }, 'dev-a', 'x', 1000);
    expect(released.length).toBe(1000);
    expect(counters.snapshot()).toStrictEqual({});
    expect(limiter.enabled).toBe(false);
  });

  it('stop() drops held publishes and leaves no timer behind', () => {
    const { limiter, released, send } = rig();
    const a = { name: 'a' };
    limiter.connected(a, 'dev-a');
    send(a, 'dev-a', 'x', 7);
    limiter.stop();
    expect(released).toStrictEqual(['x', 'x', 'x', 'x', 'x', 'x!', 'x!']);
    expect(vi.getTimerCount()).toBe(0);
  });
});
