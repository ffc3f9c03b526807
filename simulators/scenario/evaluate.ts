/**
 * Judges expectations against what was observed. Pure: the runner records facts (each with
 * the second, from the scenario start, it was first seen) and asks, at any moment, which
 * expectations have passed, failed or are still pending.
 */
import type { BroadcastChange } from '../../gateway/core/broadcast/types.js';
import type { Expectation } from './schema.js';

export type Fact =
  | { kind: 'alarm'; t: number; type: string; siteId: string; deviceId?: string; alarmId: string }
  | { kind: 'forwarded'; t: number; siteId: string; deviceId?: string; account?: string; receiver?: string; alarmId: string }
  | { kind: 'broadcast-delivered'; t: number; state: RecipientProgress; group: string; channel?: string; alarmType?: string; broadcastId: string }
  | { kind: 'reason'; t: number; deviceId: string; reason: string };

/**
 * The fact a broadcast change is, if a recipient reached progress (in process and over
 * `/api/live` alike); `alarmType` is the type of the alarm that started the broadcast.
 */
export function broadcastFact(c: BroadcastChange, t: number, alarmType: string | undefined): Fact | undefined {
  if (c.change !== 'recipient') return undefined;
  const state = c.recipient.state;
  if (state !== 'sent' && state !== 'delivered' && state !== 'confirmed') return undefined;
  return {
    kind: 'broadcast-delivered',
    t,
    state,
    group: c.recipient.group,
    ...(c.recipient.channel ? { channel: c.recipient.channel } : {}),
    ...(alarmType ? { alarmType } : {}),
    broadcastId: c.broadcastId,
  };
}

/** Recipient states that count as progress, in order. */
export type RecipientProgress = 'sent' | 'delivered' | 'confirmed';
const PROGRESS: readonly RecipientProgress[] = ['sent', 'delivered', 'confirmed'];
const reached = (have: RecipientProgress, want: RecipientProgress = 'delivered'): boolean => PROGRESS.indexOf(have) >= PROGRESS.indexOf(want);

export type Verdict = 'pass' | 'fail' | 'pending';

export interface ExpectationResult {
  label: string;
  kind: Expectation['kind'];
  verdict: Verdict;
  /** Seconds from the expectation's `after` to the first matching fact (no-alarm: to the offending alarm). */
  measured?: number;
  /** within (or during) in seconds. */
  deadline: number;
  detail: string;
  /** The first matching fact (no-alarm: the offending alarm), as evidence. */
  fact?: Fact;
}

function matches(e: Expectation, f: Fact): boolean {
  switch (e.kind) {
    case 'alarm':
    case 'no-alarm':
      return f.kind === 'alarm' && f.type === e.type && (!e.device || f.deviceId === e.device) && (!e.site || f.siteId === e.site);
    case 'forwarded-to-110':
      return f.kind === 'forwarded' && (!e.device || f.deviceId === e.device) && (!e.account || f.account === e.account) && (!e.receiver || f.receiver === e.receiver);
    case 'broadcast-delivered':
      return f.kind === 'broadcast-delivered' && reached(f.state, e.state) && (!e.group || f.group === e.group) && (!e.channel || f.channel === e.channel) && (!e.alarmType || f.alarmType === e.alarmType);
    case 'device-reason':
      return f.kind === 'reason' && f.deviceId === e.device && f.reason === e.reason;
  }
}

const round = (s: number): number => Math.round(s * 1000) / 1000;

/** One expectation at `now` seconds from the start. */
export function evaluateOne(e: Expectation, facts: readonly Fact[], now: number): ExpectationResult {
  const after = e.after ?? 0;
  const first = facts
    .filter((f) => f.t >= after && matches(e, f))
    .reduce<Fact | undefined>((a, f) => (a === undefined || f.t < a.t ? f : a), undefined);
  const measured = first ? round(first.t - after) : undefined;
  const base = { label: e.label, kind: e.kind, ...(first ? { fact: first } : {}) };
  if (e.kind === 'no-alarm') {
    const end = after + e.during;
    if (first && first.t <= end) return { ...base, verdict: 'fail', measured, deadline: e.during, detail: `alarm seen after ${measured}s` };
    if (now < end) return { ...base, verdict: 'pending', deadline: e.during, detail: 'watching' };
    return { ...base, verdict: 'pass', deadline: e.during, detail: `none in ${e.during}s` };
  }
  const end = after + e.within;
  if (first && first.t <= end) return { ...base, verdict: 'pass', measured, deadline: e.within, detail: `seen after ${measured}s` };
  if (now < end) return { ...base, verdict: 'pending', deadline: e.within, detail: 'waiting' };
  if (first) return { ...base, verdict: 'fail', measured, deadline: e.within, detail: `seen late, after ${measured}s` };
  return { ...base, verdict: 'fail', deadline: e.within, detail: `not seen within ${e.within}s` };
}

export function evaluate(expectations: readonly Expectation[], facts: readonly Fact[], now: number): ExpectationResult[] {
  return expectations.map((e) => evaluateOne(e, facts, now));
}

/** Seconds from the start by which every expectation is decided. */
export function decidedBy(expectations: readonly Expectation[]): number {
  return Math.max(0, ...expectations.map((e) => (e.after ?? 0) + (e.kind === 'no-alarm' ? e.during : e.within)));
}
