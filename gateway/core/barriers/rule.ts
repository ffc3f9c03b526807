/**
 * Barrier rule: a barrier left lowered (retracted, not protecting the gate) during a site's
 * protection window for longer than a grace period raises `barrier-down-in-window`; raising
 * the barrier or the end of the window clears it. An impact raises `barrier-impact` at once,
 * in or out of a window. Pure state machine: fed positions, impacts and clock ticks, it returns
 * decisions; the caller owns alarms and timers (see nextDeadline).
 */
import type { BarrierPosition } from '../../contract/vocabulary.js';
import { activeWindow, WindowCalendar, type WindowSite } from './protection-window.js';

export type BarrierRuleAlarm = 'barrier-down-in-window' | 'barrier-impact';

export type BarrierDecision =
  | { raise: BarrierRuleAlarm; deviceId: string; siteId: string; at: number; detail: string }
  | { clear: 'barrier-down-in-window'; deviceId: string; siteId: string; at: number; reason: 'raised' | 'window-ended' | 'forgotten' };

export type RuleSite = WindowSite & { id: string };

/**
 * The same rule as a sweep check sees it: a barrier read lowered now, inside one of its site's
 * windows, is down in the window. No grace period: the technician is looking at it now. The
 * detail names the window; undefined when the barrier is not down in a window.
 */
export function downInWindowNow(site: WindowSite, position: unknown, at: number): string | undefined {
  if (position !== 'lowered') return undefined;
  const window = activeWindow(site, at);
  return window ? `lowered during ${window.label ?? `${window.start}–${window.end}`}` : undefined;
}

export interface BarrierRuleOptions {
  /** How long a barrier may stay lowered inside a window before it is an alarm (ms). */
  graceMs: number;
  /** The site a barrier stands at; undefined for barriers the rule should ignore. */
  siteOf(deviceId: string): RuleSite | undefined;
}

interface BarrierState {
  /** Last position other than `unknown`: losing contact does not undo what was last seen. */
  lastKnown: BarrierPosition;
  position: BarrierPosition;
  /** When the barrier was last seen going down. */
  loweredAt: number;
  alarmed: boolean;
  at: number;
}

export class BarrierRule {
  private readonly barriers = new Map<string, BarrierState>();
  /** One calendar per site object: a new site object (configuration reload) gets a new one. */
  private readonly calendars = new WeakMap<RuleSite, WindowCalendar>();

  constructor(private readonly opts: BarrierRuleOptions) {}

  private calendar(site: RuleSite): WindowCalendar {
    let cal = this.calendars.get(site);
    if (!cal) {
      cal = new WindowCalendar(site);
      this.calendars.set(site, cal);
    }
    return cal;
  }

  /** A position observed at `at` (position events and telemetry alike; repeats are harmless). */
  position(deviceId: string, position: BarrierPosition, at: number): BarrierDecision[] {
    const site = this.opts.siteOf(deviceId);
    if (!site) return [];
    let st = this.barriers.get(deviceId);
    if (st && at < st.at) return []; // stale observation
    if (!st) {
      st = { lastKnown: 'unknown', position, loweredAt: at, alarmed: false, at };
      this.barriers.set(deviceId, st);
    }
    if (position === 'lowered' && st.lastKnown !== 'lowered') st.loweredAt = at;
    if (position !== 'unknown') st.lastKnown = position;
    st.position = position;
    st.at = at;
    return this.evaluate(deviceId, st, site, at);
  }

  impact(deviceId: string, at: number, count?: number): BarrierDecision[] {
    const site = this.opts.siteOf(deviceId);
    if (!site) return [];
    const detail = count === undefined ? 'impact detected' : `impact detected (counter ${count})`;
    return [{ raise: 'barrier-impact', deviceId, siteId: site.id, at, detail }];
  }

  /** Re-evaluates every barrier at `at`: grace periods running out, windows ending. */
  tick(at: number): BarrierDecision[] {
    const out: BarrierDecision[] = [];
    for (const [deviceId, st] of this.barriers) {
      const site = this.opts.siteOf(deviceId);
      if (site) out.push(...this.evaluate(deviceId, st, site, at));
    }
    return out;
  }

  /**
   * The earliest instant after `at` at which tick() may decide something (a grace period
   * ending, a window starting or ending for a lowered or alarmed barrier), or `at` itself when
   * a grace period has already run out (the position was handled later than it was received,
   * by more than the grace period: a busy gateway); undefined when nothing is pending. May be
   * far away or Infinity: clamp before arming a timer.
   */
  nextDeadline(at: number): number | undefined {
    let next: number | undefined;
    const consider = (t: number) => {
      if (t > at && (next === undefined || t < next)) next = t;
    };
    // An overdue grace period is due now: skipping it (t ≤ at) left the barrier unalarmed until
    // its next report (a test lowering a barrier under load, grace 0.3 s, waited forever).
    const due = (t: number) => (t <= at ? (next = at) : consider(t));
    for (const [deviceId, st] of this.barriers) {
      const site = this.opts.siteOf(deviceId);
      if (!site || (st.lastKnown !== 'lowered' && !st.alarmed)) continue;
      const cal = this.calendar(site);
      consider(cal.nextChange(at));
      const span = st.lastKnown === 'lowered' && !st.alarmed ? cal.active(at) : undefined;
      if (span) due(Math.max(st.loweredAt, span.start) + this.opts.graceMs);
    }
    return next;
  }

  /** Drops a barrier (removed from the registry); clears its alarm if one is up. */
  forget(deviceId: string, at: number): BarrierDecision[] {
    const st = this.barriers.get(deviceId);
    this.barriers.delete(deviceId);
    const site = this.opts.siteOf(deviceId);
    if (!st?.alarmed || !site) return [];
    return [{ clear: 'barrier-down-in-window', deviceId, siteId: site.id, at, reason: 'forgotten' }];
  }

  private evaluate(deviceId: string, st: BarrierState, site: RuleSite, at: number): BarrierDecision[] {
    // Most barriers are raised most of the time: no calendar work for them.
    if (!st.alarmed && st.lastKnown !== 'lowered') return [];
    const span = this.calendar(site).active(at);
    if (st.alarmed) {
      if (st.lastKnown === 'raised') {
        st.alarmed = false;
        return [{ clear: 'barrier-down-in-window', deviceId, siteId: site.id, at, reason: 'raised' }];
      }
      if (!span) {
        st.alarmed = false;
        return [{ clear: 'barrier-down-in-window', deviceId, siteId: site.id, at, reason: 'window-ended' }];
      }
      return [];
    }
    if (st.lastKnown !== 'lowered' || !span) return [];
    const since = Math.max(st.loweredAt, span.start);
    if (at - since < this.opts.graceMs) return [];
    st.alarmed = true;
    const name = span.window.label ?? `${span.window.start}–${span.window.end}`;
    return [
      {
        raise: 'barrier-down-in-window',
        deviceId,
        siteId: site.id,
        at,
        detail: `lowered for ${Math.round((at - since) / 1000)} s during protection window ${name}`,
      },
    ];
  }
}
