import { describe, expect, it } from 'vitest';
import { decidedBy, evaluate, evaluateOne, judgeFigure, type Fact } from '../../../../simulators/scenario/evaluate.js';
import type { Expectation } from '../../../../simulators/scenario/schema.js';

const panic: Expectation = { kind: 'alarm', label: 'panic', type: 'panic', device: 'b1', after: 1, within: 2 };
const raised = (t: number, deviceId = 'b1', type = 'panic'): Fact => ({ kind: 'alarm', t, type, siteId: 's1', deviceId, alarmId: `a${t}` });

describe('expectation evaluator', () => {
  it('passes with the seconds measured from `after`, and picks the earliest match', () => {
    expect(evaluateOne(panic, [raised(2.5), raised(1.25), raised(1.1, 'b2')], 10)).toStrictEqual({
      label: 'panic',
      kind: 'alarm',
      verdict: 'pass',
      measured: 0.25,
      deadline: 2,
      detail: 'seen after 0.25s',
      fact: raised(1.25),
    });
  });

  it('is pending before the deadline, fails after it, and tells late from never', () => {
    expect(evaluateOne(panic, [], 2.9).verdict).toBe('pending');
    expect(evaluateOne(panic, [], 3)).toStrictEqual({ label: 'panic', kind: 'alarm', verdict: 'fail', deadline: 2, detail: 'not seen within 2s' });
    expect(evaluateOne(panic, [raised(3.5)], 4)).toStrictEqual({ label: 'panic', kind: 'alarm', verdict: 'fail', measured: 2.5, deadline: 2, detail: 'seen late, after 2.5s', fact: raised(3.5) });
    // A match before `after` belongs to something else.
    expect(evaluateOne(panic, [raised(0.5)], 4).verdict).toBe('fail');
  });

  it('no-alarm fails on an alarm inside its window, passes once the window is over', () => {
    const none: Expectation = { kind: 'no-alarm', label: 'quiet', type: 'panic', site: 's1', after: 1, during: 3 };
    expect(evaluateOne(none, [raised(0.5), raised(5)], 2).verdict).toBe('pending');
    expect(evaluateOne(none, [raised(0.5), raised(5)], 4)).toStrictEqual({ label: 'quiet', kind: 'no-alarm', verdict: 'pass', deadline: 3, detail: 'none in 3s', fact: raised(5) });
    expect(evaluateOne(none, [raised(2)], 2)).toStrictEqual({ label: 'quiet', kind: 'no-alarm', verdict: 'fail', measured: 1, deadline: 3, detail: 'alarm seen after 1s', fact: raised(2) });
    expect(evaluateOne({ ...none, site: 's2' }, [raised(2)], 4).verdict).toBe('pass');
  });

  it('matches forwarded-to-110 by device, account and receiver', () => {
    const acked: Fact = { kind: 'forwarded', t: 1, siteId: 's1', deviceId: 'b1', account: '1001', receiver: 'secondary', alarmId: 'a' };
    const fw = (e: Partial<Extract<Expectation, { kind: 'forwarded-to-110' }>>): Expectation => ({ kind: 'forwarded-to-110', label: 'fw', within: 5, ...e });
    expect([fw({ device: 'b1' }), fw({ account: '1001', receiver: 'secondary' }), fw({ account: '1001', receiver: 'primary' }), fw({ device: 'b2' })].map((e) => evaluateOne(e, [acked], 9).verdict)).toStrictEqual([
      'pass',
      'pass',
      'fail',
      'fail',
    ]);
  });

  it('counts a broadcast recipient as far as its state got: sent < delivered < confirmed', () => {
    const sent: Fact = { kind: 'broadcast-delivered', t: 0.5, state: 'sent', group: 'station-patrol', channel: 'radio', alarmType: 'panic', broadcastId: 'x' };
    const delivered: Fact = { ...sent, t: 2, state: 'delivered', group: 'school-contacts', channel: 'sms' };
    const bc = (e: Partial<Extract<Expectation, { kind: 'broadcast-delivered' }>>): Expectation => ({ kind: 'broadcast-delivered', label: 'bc', within: 5, ...e });
    const facts = [sent, delivered];
    expect(
      [bc({}), bc({ state: 'sent' }), bc({ state: 'confirmed' }), bc({ channel: 'radio' }), bc({ channel: 'radio', state: 'sent' }), bc({ group: 'school-contacts', alarmType: 'panic' }), bc({ alarmType: 'tamper' })].map(
        (e) => [evaluateOne(e, facts, 9).verdict, evaluateOne(e, facts, 9).measured],
      ),
    ).toStrictEqual([
      ['pass', 2],
      ['pass', 0.5],
      ['fail', undefined],
      ['fail', undefined],
      ['pass', 0.5],
      ['pass', 2],
      ['fail', undefined],
    ]);
  });

  it('matches device reasons by device and code', () => {
    const fact: Fact = { kind: 'reason', t: 0, deviceId: 'b7', reason: 'sim-suspended' };
    const r = (reason: string, device = 'b7'): Expectation => ({ kind: 'device-reason', label: reason, device, reason, within: 1 });
    expect(evaluate([r('sim-suspended'), r('fault'), r('sim-suspended', 'b8')], [fact], 2).map((x) => x.verdict)).toStrictEqual(['pass', 'fail', 'fail']);
  });

  it('judges figures once the run is over: max, min, and relative to another figure with a noise allowance', () => {
    const fig = (x: Partial<Extract<Expectation, { kind: 'figure' }>>): Extract<Expectation, { kind: 'figure' }> => ({ kind: 'figure', label: 'f', name: 'during', ...x });
    const figures = { before: 20, during: 80, lost: 0 };
    expect(judgeFigure(fig({ max: 100 }), undefined).verdict).toBe('pending');
    expect(evaluate([fig({ max: 100 })], [], 1e9).map((r) => r.verdict)).toStrictEqual(['pending']);
    expect(judgeFigure(fig({ relativeTo: 'before', factor: 2, plus: 50 }), figures)).toMatchObject({ verdict: 'pass', measured: 80, detail: 'during = 80 (limit 90 = before 20 × 2 + 50)' });
    expect(judgeFigure(fig({ relativeTo: 'before', factor: 2, plus: 30 }), figures)).toMatchObject({ verdict: 'fail', detail: 'during = 80 (limit 70 = before 20 × 2 + 30): above the limit' });
    expect(judgeFigure(fig({ name: 'lost', max: 0 }), figures).verdict).toBe('pass');
    expect(judgeFigure(fig({ min: 100 }), figures)).toMatchObject({ verdict: 'fail', detail: 'during = 80: below 100' });
    expect(judgeFigure(fig({ name: 'nothing', max: 1 }), figures)).toMatchObject({ verdict: 'fail', detail: "no figure 'nothing' was measured" });
    expect(decidedBy([fig({ max: 1 })])).toBe(0);
  });

  it('matches broadcast failures by group, channel and alarm type', () => {
    const fact: Fact = { kind: 'broadcast-failed', t: 3, group: 'school-contacts', channel: 'sms', alarmType: 'panic', broadcastId: 'b', reason: 'SUBMIT_REJECTED' };
    const e = (x: { group?: string; channel?: string }): Expectation => ({ kind: 'broadcast-failed', label: 'x', alarmType: 'panic', within: 5, ...x });
    expect(evaluate([e({ channel: 'sms' }), e({ channel: 'radio' }), e({ group: 'school-contacts' })], [fact], 10).map((r) => [r.verdict, r.measured])).toStrictEqual([
      ['pass', 3],
      ['fail', undefined],
      ['pass', 3],
    ]);
  });

  it('knows when every expectation is decided', () => {
    expect(decidedBy([panic, { kind: 'no-alarm', label: 'n', type: 'panic', during: 4 }, { kind: 'device-reason', label: 'r', device: 'b', reason: 'fault', after: 2, within: 5 }])).toBe(7);
    expect(decidedBy([])).toBe(0);
  });
});
