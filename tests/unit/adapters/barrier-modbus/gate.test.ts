import { describe, expect, it } from 'vitest';
import { Gate } from '../../../../adapters/barrier-modbus/gate.js';

describe('Gate', () => {
  it('admits up to its limit and hands slots to waiters in arrival order', async () => {
    const gate = new Gate(2);
    const order: string[] = [];
    await gate.acquire();
    await gate.acquire();
    const c = gate.acquire().then(() => order.push('c'));
    const d = gate.acquire().then(() => order.push('d'));
    expect(gate.inUse).toBe(2);
    gate.release();
    await c;
    expect(order).toStrictEqual(['c']);
    gate.release();
    await d;
    expect(order).toStrictEqual(['c', 'd']);
    gate.release();
    gate.release();
    expect(gate.inUse).toBe(0);
  });
});
