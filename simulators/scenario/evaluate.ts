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
  | { kind: 'reason'; t: number; deviceId: string; reason: string }
  | { kind: 'broadcast-failed'; t: number; group: string; channel?: string; alarmType?: string; broadcastId: string; reason?: string; detail?: string };

/** What the run measured (report `figures`), by name: `press110.before.p99Ms`, `telemetry.lost`… */
export type Figures = Record<string, number>;

/**
 * The fact a broadcast change is, if a recipient reached progress (in process and over
 * `/api/live` alike); `alarmType` is the type of the alarm that started the broadcast.
 */
export function broadcastFact(c: BroadcastChange, t: number, alarmType: string | undefined): Fact | undefined {
  if (c.change !== 'recipient') return undefined;
  const state = c.recipient.state;
  if (state === 'failed') {
    const r = c.recipient;
    return {
      kind: 'broadcast-failed',
      t,
      group: r.group,
      ...(r.channel ? { channel: r.channel } : {}),
      ...(alarmType ? { alarmType } : {}),
      broadcastId: c.broadcastId,
      ...(r.reason ? { reason: r.reason } : {}),
      ...(r.detail ? { detail: r.detail } : {}),
    };
  }
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
  /** Seconds from the expectation's `after` to the first matching fact (no-alarm: to the offending alarm; figure: the figure's value). */
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
    case 'broadcast-failed':
      return f.kind === 'broadcast-failed' && (!e.group || f.group === e.group) && (!e.channel || f.channel === e.channel) && (!e.alarmType || f.alarmType === e.alarmType);
    case 'figure':
      return false;
  }
}

const fmt = (n: number): string => String(Math.round(n * 1000) / 1000);

/** A figure expectation, once the run's figures are known (pending before). */
export function judgeFigure(e: Extract<Expectation, { kind: 'figure' }>, figures: Figures | undefined): ExpectationResult {
  const base = { label: e.label, kind: e.kind, deadline: 0 };
  if (!figures) return { ...base, verdict: 'pending', detail: 'measured at the end' };
  const value = figures[e.name];
  if (value === undefined) return { ...base, verdict: 'fail', detail: `no figure '${e.name}' was measured` };
  const problems: string[] = [];
  if (e.max !== undefined && value > e.max) problems.push(`above ${fmt(e.max)}`);
  if (e.min !== undefined && value < e.min) problems.push(`below ${fmt(e.min)}`);
  let bound = '';
  if (e.relativeTo !== undefined) {
    const ref = figures[e.relativeTo];
    if (ref === undefined) return { ...base, verdict: 'fail', measured: value, detail: `no figure '${e.relativeTo}' to compare with` };
    const limit = ref * (e.factor ?? 1) + (e.plus ?? 0);
    bound = ` (limit ${fmt(limit)} = ${e.relativeTo} ${fmt(ref)} × ${fmt(e.factor ?? 1)} + ${fmt(e.plus ?? 0)})`;
    if (value > limit) problems.push('above the limit');
  }
  return { ...base, verdict: problems.length === 0 ? 'pass' : 'fail', measured: value, detail: `${e.name} = ${fmt(value)}${bound}${problems.length ? `: ${problems.join(', ')}` : ''}` };
}

const round = (s: number): number => Math.round(s * 1000) / 1000;

/** One expectation at `now` seconds from the start. */
export function evaluateOne(e: Expectation, facts: readonly Fact[], now: number, figures?: Figures): ExpectationResult {
  if (e.kind === 'figure') return judgeFigure(e, figures);
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

/** Every expectation at `now`; figure expectations stay pending until `figures` are given (the run is over). */
export function evaluate(expectations: readonly Expectation[], facts: readonly Fact[], now: number, figures?: Figures): ExpectationResult[] {
  return expectations.map((e) => evaluateOne(e, facts, now, figures));
}

/** Seconds from the start by which every timed expectation is decided (figures are judged after the run). */
export function decidedBy(expectations: readonly Expectation[]): number {
  return Math.max(0, ...expectations.map((e) => (e.kind === 'figure' ? 0 : (e.after ?? 0) + (e.kind === 'no-alarm' ? e.during : e.within))));
}
