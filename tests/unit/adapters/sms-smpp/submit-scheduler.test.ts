import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { systemClock } from '../../../../gateway/contract/clock.js';
import type { FailureReason } from '../../../../adapters/sms-smpp/receipt-codec.js';
import { SubmitScheduler, type PartJob, type PartSpec, type SchedulerOptions, type SubmitOutcome } from '../../../../adapters/sms-smpp/submit-scheduler.js';

const THROTTLED = 0x58;

/** A fake SMSC: every submit waits until the test answers it. */
function harness(opts: Partial<SchedulerOptions> = {}) {
  const calls: { job: PartJob; answer: (o: SubmitOutcome) => void }[] = [];
  const accepted: [string, string][] = [];
  const gaveUp: [string, FailureReason, string][] = [];
  const throttle: [boolean, string][] = [];
  const s = new SubmitScheduler(
    {
      clock: systemClock,
      submit: (job) => new Promise((resolve) => calls.push({ job: { ...job }, answer: resolve })),
      onAccepted: (job, id) => accepted.push([job.recipient, id]),
      onGaveUp: (job, reason, detail) => gaveUp.push([job.recipient, reason, detail]),
      onThrottle: (active, detail) => throttle.push([active, detail]),
    },
    { window: 2, maxAttempts: 3, retryBackoffMs: 100, throttleBackoffMs: 1000, throttleBackoffMaxMs: 8000, maxQueueMs: 60_000, ...opts },
  );
  /** Answers the oldest unanswered submit. */
  const answer = async (o: SubmitOutcome): Promise<PartJob> => {
    const c = calls.shift();
    if (!c) throw new Error('no submit in flight');
    c.answer(o);
    await vi.advanceTimersByTimeAsync(0);
    return c.job;
  };
  return { s, calls, accepted, gaveUp, throttle, answer };
}

const part = (recipient: string, index = 1, total = 1): PartSpec => ({ ref: 'b', recipient, index, total, dataCoding: 0, esmClass: 0, shortMessage: Buffer.from('x') });

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('SubmitScheduler', () => {
  it('submits nothing until the link is ready, then at most `window` at a time, in order', async () => {
    const h = harness();
    h.s.enqueue(['a', 'b', 'c'].map((r) => part(r)));
    expect(h.calls).toHaveLength(0);
    h.s.setReady(true);
    expect(h.calls.map((c) => c.job.recipient)).toStrictEqual(['a', 'b']);
    await h.answer({ kind: 'accepted', messageId: '1' });
    expect(h.calls.map((c) => c.job.recipient)).toStrictEqual(['b', 'c']);
    await h.answer({ kind: 'accepted', messageId: '2' });
    await h.answer({ kind: 'accepted', messageId: '3' });
    expect(h.accepted).toStrictEqual([
      ['a', '1'],
      ['b', '2'],
      ['c', '3'],
    ]);
    expect(h.s.stats()).toStrictEqual({ queued: 0, inFlight: 0, window: 2, throttled: false });
  });

  it('on ESME_RTHROTTLED pauses with backoff, halves the window, resends the same part first, and loses nothing', async () => {
    const h = harness({ window: 4 });
    h.s.setReady(true);
    h.s.enqueue(['a', 'b', 'c', 'd', 'e'].map((r) => part(r)));
    expect(h.calls).toHaveLength(4);
    await h.answer({ kind: 'status', status: THROTTLED }); // a
    expect(h.throttle).toStrictEqual([[true, 'ESME_RTHROTTLED (0x00000058): pausing 1000 ms']]);
    expect(h.s.stats()).toStrictEqual({ queued: 2, inFlight: 3, window: 2, throttled: true });
    await h.answer({ kind: 'status', status: THROTTLED }); // b: second in a row doubles the pause
    await h.answer({ kind: 'accepted', messageId: 'c1' }); // c
    await h.answer({ kind: 'accepted', messageId: 'd1' }); // d
    expect(h.calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1999);
    expect(h.calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    // Window 4 → 2 → 1 on the two throttles, then +1 per acceptance (c, d): 3, head of queue first.
    expect(h.calls.map((c) => c.job.recipient)).toStrictEqual(['a', 'b', 'e']);
    for (const id of ['a1', 'b1', 'e1']) await h.answer({ kind: 'accepted', messageId: id });
    expect(h.accepted.map(([r]) => r).sort()).toStrictEqual(['a', 'b', 'c', 'd', 'e']);
    expect(h.throttle.map(([active]) => active)).toStrictEqual([true, false]);
    expect(h.calls.map((c) => c.job.attempts)).toStrictEqual([]);
  });

  it('retries a transient error with backoff and gives up after maxAttempts', async () => {
    const h = harness();
    h.s.setReady(true);
    h.s.enqueue([part('a')]);
    await h.answer({ kind: 'status', status: 0x08 });
    await vi.advanceTimersByTimeAsync(99);
    expect(h.calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(h.calls[0]?.job.attempts).toBe(1);
    await h.answer({ kind: 'status', status: 0x08 });
    await vi.advanceTimersByTimeAsync(200);
    await h.answer({ kind: 'status', status: 0x08 });
    expect(h.gaveUp).toStrictEqual([['a', 'SUBMIT_REJECTED', 'ESME_RSYSERR (0x00000008) (after 3 attempts)']]);
  });

  it('never retries a permanent rejection', async () => {
    const h = harness();
    h.s.setReady(true);
    h.s.enqueue([part('a')]);
    await h.answer({ kind: 'status', status: 0x0b });
    await vi.advanceTimersByTimeAsync(10_000);
    expect([h.calls.length, h.gaveUp]).toStrictEqual([0, [['a', 'SUBMIT_REJECTED', 'ESME_RINVDSTADR (0x0000000B)']]]);
  });

  it('resubmits a part that got no submit_sm_resp, and reports NOT_SENT after maxAttempts', async () => {
    const h = harness({ maxAttempts: 2 });
    h.s.setReady(true);
    h.s.enqueue([part('a')]);
    await h.answer({ kind: 'lost', detail: 'link lost' });
    await vi.advanceTimersByTimeAsync(100);
    expect(h.calls.map((c) => c.job.attempts)).toStrictEqual([1]);
    await h.answer({ kind: 'lost', detail: 'link lost' });
    expect(h.gaveUp).toStrictEqual([['a', 'NOT_SENT', 'no submit_sm_resp: link lost (after 2 attempts)']]);
  });

  it('holds parts while unbound and gives them up after maxQueueMs', async () => {
    const h = harness({ maxQueueMs: 5000 });
    h.s.enqueue([part('a'), part('b')]);
    await vi.advanceTimersByTimeAsync(4000);
    h.s.expire();
    expect(h.gaveUp).toStrictEqual([]);
    await vi.advanceTimersByTimeAsync(1001);
    h.s.expire();
    expect(h.gaveUp.map(([r, reason]) => [r, reason])).toStrictEqual([
      ['a', 'NOT_SENT'],
      ['b', 'NOT_SENT'],
    ]);
  });

  it('cancels only unsubmitted parts, and still reports an acceptance that arrives after stop()', async () => {
    const h = harness({ window: 1 });
    h.s.setReady(true);
    h.s.enqueue([part('a', 1, 2), part('a', 2, 2), part('b')]);
    expect(h.s.cancel((j) => j.recipient === 'a').map((j) => j.index)).toStrictEqual([2]);
    h.s.stop();
    await h.answer({ kind: 'accepted', messageId: 'late' });
    expect(h.accepted).toStrictEqual([['a', 'late']]);
    expect(h.calls).toHaveLength(0);
  });
});
