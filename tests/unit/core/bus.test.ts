import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { EventBus } from '../../../gateway/core/bus.js';

describe('EventBus', () => {
  it('delivers to every listener even when one throws, and unsubscribes', () => {
    const bus = new EventBus(pino({ level: 'silent' }));
    const seen: string[] = [];
    bus.on('reject', 'thrower', () => {
      throw new Error('boom');
    });
    const off = bus.on('reject', 'recorder', (r) => seen.push(r.reason));
    bus.emit('reject', { source: 'test', reason: 'bad-json', at: 1 });
    off();
    bus.emit('reject', { source: 'test', reason: 'second', at: 2 });
    expect(seen).toStrictEqual(['bad-json']);
    expect(bus.listenerCount('reject')).toBe(1);
  });

  it('delivers an event emitted by a listener after the current one has reached every listener', () => {
    const bus = new EventBus(pino({ level: 'silent' }));
    const seen: string[] = [];
    const reject = (reason: string) => bus.emit('reject', { source: 'test', reason, at: 1 });
    bus.on('reject', 'first', (r) => {
      seen.push(`first:${r.reason}`);
      if (r.reason === 'a') reject('b');
    });
    bus.on('reject', 'last', (r) => seen.push(`last:${r.reason}`));
    reject('a');
    // Everything was delivered inside the outer emit, and the last listener saw a before b.
    expect(seen).toStrictEqual(['first:a', 'last:a', 'first:b', 'last:b']);
  });

  it('holds what is emitted inside hold() until it returns, then delivers it in order', () => {
    const bus = new EventBus(pino({ level: 'silent' }));
    const seen: string[] = [];
    bus.on('reject', 'recorder', (r) => seen.push(r.reason));
    const result = bus.hold(() => {
      bus.emit('reject', { source: 'test', reason: 'one', at: 1 });
      bus.emit('reject', { source: 'test', reason: 'two', at: 2 });
      seen.push('inside');
      return 7;
    });
    expect([result, seen]).toStrictEqual([7, ['inside', 'one', 'two']]);
  });
});
