/**
 * Who is on call for each role at an instant: weekly shifts in the roster's time zone (a
 * shift is evaluated like a protection window, through the platform's tz database), and
 * overrides on top (the newest override in force wins). Pure.
 */
import { WindowCalendar } from '../barriers/protection-window.js';
import type { ProtectionWindow } from '../../contract/types.js';
import { ONCALL_ROLES, type OnCallConfig, type OnCallPerson, type OnCallRole, type Shift } from './config.js';

/** A stand-in for a role between two instants, set through the API. */
export interface OnCallOverride {
  id: string;
  role: OnCallRole;
  /** A person of the roster (`oncall.people`), or, without one, `contact`. */
  person?: string;
  contact?: OnCallPerson;
  from: number;
  until: number;
  note?: string;
  by: string;
  createdAt: number;
  /** Ended early through the API (DELETE /api/oncall/overrides/:id): who and when; `until` is then that instant. */
  endedBy?: string;
  endedAt?: number;
}

export interface OnDuty {
  role: OnCallRole;
  /** Roster id of the person, when they are in the roster. */
  personId?: string;
  person: OnCallPerson;
  source: 'shift' | 'override';
  /** When this person's turn started and ends (the shift occurrence or the override). */
  from: number;
  until: number;
  overrideId?: string;
}

export class Roster {
  private readonly calendars = new Map<OnCallRole, { cal: WindowCalendar; shifts: Map<ProtectionWindow, Shift> }>();

  constructor(private readonly cfg: OnCallConfig) {
    for (const role of ONCALL_ROLES) {
      const shifts = new Map<ProtectionWindow, Shift>();
      for (const s of cfg.shifts.filter((x) => x.role === role)) shifts.set({ days: s.days, start: s.start, end: s.end }, s);
      if (shifts.size > 0) this.calendars.set(role, { cal: new WindowCalendar({ protectionWindows: [...shifts.keys()], holidays: [], timeZone: cfg.timeZone }), shifts });
    }
  }

  get timeZone(): string {
    return this.cfg.timeZone;
  }

  person(id: string): OnCallPerson | undefined {
    return this.cfg.people[id];
  }

  /** Who is on call for `role` at `at`: an override in force (newest first), else the shift. */
  onDuty(role: OnCallRole, at: number, overrides: readonly OnCallOverride[] = []): OnDuty | undefined {
    const override = overrides
      .filter((o) => o.role === role && o.from <= at && at < o.until)
      .sort((a, b) => b.createdAt - a.createdAt)
      .find((o) => this.overridePerson(o) !== undefined);
    if (override) {
      return {
        role,
        ...(override.person ? { personId: override.person } : {}),
        person: this.overridePerson(override) as OnCallPerson,
        source: 'override',
        from: override.from,
        until: override.until,
        overrideId: override.id,
      };
    }
    const c = this.calendars.get(role);
    const span = c?.cal.active(at);
    const shift = span && c?.shifts.get(span.window);
    const person = shift && this.cfg.people[shift.person];
    if (!span || !shift || !person) return undefined;
    return { role, personId: shift.person, person, source: 'shift', from: span.start, until: span.end };
  }

  /** Every role, on call or not (undefined: nobody). */
  all(at: number, overrides: readonly OnCallOverride[] = []): Record<OnCallRole, OnDuty | undefined> {
    return Object.fromEntries(ONCALL_ROLES.map((r) => [r, this.onDuty(r, at, overrides)])) as Record<OnCallRole, OnDuty | undefined>;
  }

  private overridePerson(o: OnCallOverride): OnCallPerson | undefined {
    return o.person ? this.cfg.people[o.person] : o.contact;
  }
}
