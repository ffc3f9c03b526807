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
});
