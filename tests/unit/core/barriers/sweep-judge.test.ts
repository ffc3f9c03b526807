/**
 * The barrier window rule inside a sweep: the adapter reports the position it read, the core
 * (core/barriers) decides whether that is a barrier down in a protection window.
 */
import { describe, expect, it, vi } from 'vitest';
import type { CheckResult } from '../../../../gateway/contract/adapter.js';
import type { Clock } from '../../../../gateway/contract/clock.js';
import type { Device, Site } from '../../../../gateway/contract/types.js';
import { barrierWindowJudge } from '../../../../gateway/core/barriers/sweep-judge.js';
import { checkDevice } from '../../../../gateway/core/sweeps/check.js';

const SCHOOL: Site = {
  id: 'sch-01',
  name: '一中',
  district: 'd',
  timeZone: 'Asia/Shanghai',
  protectionWindows: [{ days: [1, 2, 3, 4, 5], start: '07:30', end: '08:30', label: 'entry' }],
  holidays: [],
  contacts: [],
};
const BARRIER: Device = { id: 'sch-01-bar-1', siteId: 'sch-01', kind: 'barrier', adapter: 'acme', name: 'gate', options: {} };
const MONDAY_0740 = Date.parse('2026-09-07T07:40:00+08:00');
const MONDAY_1000 = Date.parse('2026-09-07T10:00:00+08:00');

const read = (position: string): CheckResult => ({ status: 'ok', reasons: [], evidence: { position } });

describe('barrierWindowJudge', () => {
  const judge = barrierWindowJudge((id) => (id === SCHOOL.id ? SCHOOL : undefined));

  it('finds a barrier read lowered inside a window, and nothing outside one or when raised', () => {
    expect(judge.judge(BARRIER, read('lowered'), MONDAY_0740)).toStrictEqual([{ code: 'barrier-down-in-window', detail: 'lowered during entry' }]);
    expect(judge.judge(BARRIER, read('lowered'), MONDAY_1000)).toStrictEqual([]);
    expect(judge.judge(BARRIER, read('raised'), MONDAY_0740)).toStrictEqual([]);
    expect(judge.judge({ ...BARRIER, siteId: 'elsewhere' }, read('lowered'), MONDAY_0740)).toStrictEqual([]);
  });

  it('reports a site whose windows cannot be evaluated, and judges nothing there', () => {
    const onError = vi.fn();
    const broken = barrierWindowJudge(() => ({ ...SCHOOL, timeZone: 'Mars/Olympus' }), onError);
    expect(broken.judge(BARRIER, read('lowered'), MONDAY_0740)).toStrictEqual([]);
    expect(onError).toHaveBeenCalledWith(expect.objectContaining({ code: 'GW_ERR_WINDOW_INVALID' }), BARRIER);
  });

  it('adds its reason to an active check in a sweep, which then counts as degraded', async () => {
    const clock: Clock = { now: () => MONDAY_0740, setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (t) => clearTimeout(t), setInterval: (fn, ms) => setInterval(fn, ms), clearInterval: (t) => clearInterval(t) };
    const result = await checkDevice(
      BARRIER,
      { adapters: new Map([['acme', { check: async () => read('lowered') }]]), health: { get: () => undefined }, clock, heartbeatTimeout: {}, extras: new Map(), judges: [judge] },
      { timeoutMs: 1000, extras: [], cancel: new AbortController().signal },
    );
    expect([result?.status, result?.reasons, result?.method]).toStrictEqual(['degraded', [{ code: 'barrier-down-in-window', detail: 'lowered during entry' }], 'active']);
  });
});
