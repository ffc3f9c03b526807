import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { systemClock } from '../../../../gateway/contract/clock.js';
import { createButtonSelfTest } from '../../../../gateway/core/sweeps/self-test.js';
import { device, FakeHealth, okCheck } from '../../reports/fixtures.js';

const T0 = Date.parse('2026-11-23T08:00:00+08:00');
const button = device('s01-btn-1', 's01', 'alarm-button', 'mqtt-native');

function harness() {
  const health = new FakeHealth();
  const published: [string, string][] = [];
  const tests = new Map<string, { at: number; latencyMs: number; receiver?: string }>();
  const extra = createButtonSelfTest({
    publish: async (topic, payload) => {
      published.push([topic, payload]);
    },
    lastLinkTest: (id) => tests.get(id),
    health,
    clock: systemClock,
    waitMs: 2000,
    pollMs: 100,
  });
  return { extra, published, tests, health };
}

describe('button self-test extra', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: T0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('publishes the self-test command and passes once the centre acknowledged a test sent after it', async () => {
    const h = harness();
    h.tests.set(button.id, { at: T0 - 86_400_000, latencyMs: 80 }); // yesterday's test does not count
    const run = h.extra.run(button, okCheck(), new AbortController().signal);
    await vi.advanceTimersByTimeAsync(300);
    h.tests.set(button.id, { at: T0 + 250, latencyMs: 42.5, receiver: 'primary' });
    await vi.advanceTimersByTimeAsync(100);
    await expect(run).resolves.toStrictEqual({
      clear: ['not-linked-110'],
      evidence: { selfTestMs: 400, selfTest: 'passed', linkTestLatencyMs: 42.5, linkTestReceiver: 'primary' },
    });
    expect(h.published).toStrictEqual([['campus/v1/s01/s01-btn-1/cmd', JSON.stringify({ cmd: 'self-test', at: T0 })]]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('reports not-linked-110 when no acknowledged test arrives in time, saying whether the button answered at all', async () => {
    const silent = harness();
    const a = silent.extra.run(button, okCheck(), new AbortController().signal);
    await vi.advanceTimersByTimeAsync(2000);
    await expect(a).resolves.toStrictEqual({
      reasons: [{ code: 'not-linked-110', detail: 'no 110-acknowledged test within 2000 ms of the self-test command; the button sent nothing since' }],
      evidence: { selfTestMs: 2000, selfTest: 'no-ack' },
    });

    const talking = harness();
    const b = talking.extra.run(button, okCheck(), new AbortController().signal);
    await vi.advanceTimersByTimeAsync(500);
    talking.health.set(button, { lastSeen: Date.now() });
    await vi.advanceTimersByTimeAsync(1500);
    await expect(b).resolves.toMatchObject({ reasons: [{ code: 'not-linked-110', detail: 'no 110-acknowledged test within 2000 ms of the self-test command' }] });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('gives up at once when the sweep aborts the check', async () => {
    const h = harness();
    const ctl = new AbortController();
    const run = h.extra.run(button, okCheck(), ctl.signal);
    await vi.advanceTimersByTimeAsync(100);
    ctl.abort(new Error('timed out after 15000 ms'));
    await expect(run).rejects.toThrow('timed out after 15000 ms');
    expect(vi.getTimerCount()).toBe(0);
  });
});
