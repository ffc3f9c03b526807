/** The SUBMIT window, flow control (Result 8) and retries, with fake time and a fake ISMG. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { systemClock } from '../../../../gateway/contract/clock.js';
import { SubmitWindow, type PartJob, type PartSpec, type SubmitOutcome } from '../../../../adapters/sms-cmpp/submit-window.js';

const part = (i: number): PartSpec => ({ ref: 'b', recipient: `1380000${String(i).padStart(4, '0')}`, index: 1, total: 1, tpUdhi: 0, msgFmt: 8, content: Buffer.from('6536', 'hex') });
const OPTS = { window: 4, submitTries: 3, retryBackoffMs: 100, throttleBackoffMs: 100, throttleBackoffMaxMs: 1000, maxQueueMs: 60_000 };

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

function harness(answer: (job: PartJob, n: number) => SubmitOutcome | Promise<SubmitOutcome>) {
  const accepted: string[] = [];
  const gaveUp: string[] = [];
  const throttle: boolean[] = [];
  const details: string[] = [];
  let calls = 0;
  let open = 0;
  let peak = 0;
  const w = new SubmitWindow(
    {
      clock: systemClock,
      submit: async (job) => {
        open++;
        peak = Math.max(peak, open);
        try {
          return await answer(job, ++calls);
        } finally {
          open--;
        }
      },
      onAccepted: (job, id) => accepted.push(`${job.recipient}:${id}`),
      onGaveUp: (job, reason, detail) => gaveUp.push(`${job.recipient}:${reason}:${detail}`),
      onThrottle: (active, detail) => {
        throttle.push(active);
        if (active) details.push(detail);
      },
    },
    OPTS,
  );
  return { w, accepted, gaveUp, throttle, details, peak: () => peak, calls: () => calls };
}

describe('CMPP submit window', () => {
  it('never has more than `window` SUBMITs awaiting their response', async () => {
    const h = harness(() => new Promise((resolve) => setTimeout(() => resolve({ kind: 'accepted', msgId: 'id' }), 50)));
    h.w.setReady(true);
    h.w.enqueue(Array.from({ length: 20 }, (_, i) => part(i)));
    expect(h.w.stats()).toMatchObject({ inFlight: 4, queued: 16 });
    await vi.advanceTimersByTimeAsync(1000);
    expect(h.accepted).toHaveLength(20);
    expect([h.peak(), h.w.stats().peakInFlight]).toStrictEqual([4, 4]);
  });

  it('sends nothing until the session is up', async () => {
    const h = harness(() => ({ kind: 'accepted', msgId: 'id' }));
    h.w.enqueue([part(1)]);
    await vi.advanceTimersByTimeAsync(100);
    expect(h.calls()).toBe(0);
    h.w.setReady(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(h.accepted).toStrictEqual(['13800000001:id']);
  });

  it('Result 8 (flow control) pauses, halves the window, and loses nothing', async () => {
    const h = harness((_job, n) => (n <= 3 ? { kind: 'result', result: 8 } : { kind: 'accepted', msgId: `m${n}` }));
    h.w.setReady(true);
    h.w.enqueue(Array.from({ length: 6 }, (_, i) => part(i)));
    await vi.advanceTimersByTimeAsync(0);
    // Four went out at once and three came back Result 8: one congestion episode, one halving
    // (4 → 2) and one pause; the fourth, accepted, adds one.
    expect(h.w.stats()).toMatchObject({ throttled: true, window: 3, queued: 5 });
    expect(h.details).toStrictEqual(['Result 8 (flow control): pausing 100 ms, window 2']);
    await vi.advanceTimersByTimeAsync(5000);
    expect(h.accepted.map((a) => a.split(':')[0]).sort()).toStrictEqual(Array.from({ length: 6 }, (_, i) => part(i).recipient));
    expect(h.gaveUp).toStrictEqual([]);
    expect(h.throttle).toStrictEqual([true, false]);
  });

  it('a SUBMIT without answer is sent again, N tries in all, then NOT_SENT', async () => {
    const h = harness(() => ({ kind: 'lost', detail: 'no response to CMPP_SUBMIT within 60000 ms' }));
    h.w.setReady(true);
    h.w.enqueue([part(1)]);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(h.calls()).toBe(3);
    expect(h.gaveUp).toStrictEqual(['13800000001:NOT_SENT:no CMPP_SUBMIT_RESP: no response to CMPP_SUBMIT within 60000 ms (after 3 tries)']);
  });

  it('a refusal other than flow control or a duplicate sequence fails at once', async () => {
    const h = harness(() => ({ kind: 'result', result: 13 }));
    h.w.setReady(true);
    h.w.enqueue([part(1)]);
    await vi.advanceTimersByTimeAsync(0);
    expect([h.calls(), h.gaveUp]).toStrictEqual([1, ['13800000001:SUBMIT_REJECTED:Result 13 (Dest_terminal_Id error)']]);
  });
});
