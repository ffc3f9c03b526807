/**
 * When each step of an alarm's escalation is due, and how far it got — derived from the raise
 * time and the alarm's own timeline, never from memory, so a restarted gateway (or the node
 * that takes the lease over) continues where the escalation was. Pure.
 */
import type { Alarm } from '../../contract/types.js';
import type { EscalationPolicy } from './config.js';

export interface PlannedStep {
  /** 1-based pass through the policy (1 = first, up to 1 + repeat). */
  round: number;
  /** 1-based step of the policy. */
  step: number;
  /** Position in the whole plan (0-based). */
  index: number;
  dueAt: number;
}

export const ESCALATED = 'escalated';
export const UNANSWERED = 'unanswered';

/** Every step of every pass, in order. */
export function plan(policy: EscalationPolicy, raisedAt: number): PlannedStep[] {
  const last = policy.steps[policy.steps.length - 1];
  const roundMs = (policy.roundSeconds ?? last?.afterSeconds ?? 0) * 1000;
  const out: PlannedStep[] = [];
  for (let r = 0; r <= policy.repeat; r++) {
    policy.steps.forEach((s, i) => out.push({ round: r + 1, step: i + 1, index: out.length, dueAt: raisedAt + r * roundMs + Math.round(s.afterSeconds * 1000) }));
  }
  return out;
}

/** The policy an alarm falls under: same drill flag, its type listed, its severity when the policy names some. */
export function selectEscalationPolicy(policies: readonly EscalationPolicy[], alarm: Pick<Alarm, 'type' | 'severity' | 'drill'>): EscalationPolicy | undefined {
  return policies.find((p) => p.drill === alarm.drill && p.alarmTypes.includes(alarm.type) && (p.severities === undefined || p.severities.includes(alarm.severity)));
}

/** The policy an escalation already started with (editing the configuration never changes a running one), else the one that fits. */
export function policyOf(policies: readonly EscalationPolicy[], alarm: Alarm): EscalationPolicy | undefined {
  const started = alarm.timeline.find((e) => e.action === ESCALATED && typeof e.data?.policy === 'string')?.data?.policy;
  return (started !== undefined ? policies.find((p) => p.id === started) : undefined) ?? selectEscalationPolicy(policies, alarm);
}

export interface Progress {
  /** Index of the last step recorded on the timeline (-1: none). */
  done: number;
  unanswered: boolean;
}

export function progress(alarm: Alarm, policy: EscalationPolicy): Progress {
  let done = -1;
  for (const e of alarm.timeline) {
    if (e.action !== ESCALATED) continue;
    const round = Number(e.data?.round);
    const step = Number(e.data?.step);
    if (Number.isInteger(round) && Number.isInteger(step) && round >= 1 && step >= 1) done = Math.max(done, (round - 1) * policy.steps.length + (step - 1));
  }
  return { done, unanswered: alarm.timeline.some((e) => e.action === UNANSWERED) };
}

export interface Decision {
  /** The step to run now: the latest one due (steps missed while no gateway ran are skipped). */
  fire?: PlannedStep;
  /** Steps due but superseded by `fire`. */
  skipped: PlannedStep[];
  /** True when the last step has run (or runs now) and the alarm is not yet marked unanswered. */
  markUnanswered: boolean;
  /** When the next step after this decision is due (undefined: none left). */
  nextAt?: number;
}

/** What to do for an alarm at `now`. Only an active (unacknowledged) alarm escalates. */
export function decide(alarm: Alarm, policy: EscalationPolicy, now: number): Decision {
  if (alarm.state !== 'active') return { skipped: [], markUnanswered: false };
  const steps = plan(policy, alarm.raisedAt);
  const { done, unanswered } = progress(alarm, policy);
  const dueNow = steps.filter((s) => s.index > done && s.dueAt <= now);
  const fire = dueNow[dueNow.length - 1];
  const reached = fire?.index ?? done;
  const next = steps.find((s) => s.index > reached);
  return {
    ...(fire ? { fire } : {}),
    skipped: dueNow.slice(0, -1),
    markUnanswered: !unanswered && reached === steps.length - 1,
    ...(next ? { nextAt: next.dueAt } : {}),
  };
}
