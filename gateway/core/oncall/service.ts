/**
 * The on-call roster as the gateway runs it: shifts from the configuration, overrides set
 * through the API (kept in the state store, so every node and every restart sees them, and
 * audited). Escalation asks it who is on call now; broadcast groups that name a role too.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../../contract/clock.js';
import { GatewayError } from '../../contract/errors.js';
import { isOnCallRole, ONCALL_ROLES, type OnCallConfig, type OnCallPerson, type OnCallRole, type Shift } from './config.js';
import { Roster, type OnCallOverride, type OnDuty } from './roster.js';

export type { OnCallOverride, OnDuty } from './roster.js';

/** Where overrides are kept (gateway/store: the state store's small-JSON table). */
export interface OnCallRepository {
  listOverrides(): Promise<OnCallOverride[]>;
  saveOverride(o: OnCallOverride): Promise<void>;
}

export interface OnCallAudit {
  audit(e: { at: number; actor: string; action: string; target: string; detail: Record<string, unknown>; ip?: string }): Promise<unknown>;
}

export interface OverrideInput {
  role: string;
  person?: string;
  contact?: OnCallPerson;
  /** ms since epoch; default now. */
  from?: number;
  until: number;
  note?: string;
}

export interface OnCallStatus {
  at: number;
  timeZone: string;
  /** Every role with who is on call now (null: nobody). */
  onDuty: Record<OnCallRole, OnDuty | null>;
  people: OnCallConfig['people'];
  shifts: Shift[];
  /** Overrides in force now or later, newest first. */
  overrides: OnCallOverride[];
}

/** Overrides that ended longer ago than this are no longer listed. */
const LIST_ENDED_MS = 7 * 86_400_000;

export class OnCallService {
  private readonly roster: Roster;
  /** The last overrides read from the store (synchronous lookups: broadcast groups). */
  private overrides: OnCallOverride[] = [];

  constructor(
    private readonly d: { config: OnCallConfig; repo: OnCallRepository; audit: OnCallAudit; clock: Clock },
  ) {
    this.roster = new Roster(d.config);
  }

  async start(): Promise<void> {
    await this.refresh();
  }

  /** Re-reads overrides (another node may have set one). */
  async refresh(): Promise<OnCallOverride[]> {
    this.overrides = await this.d.repo.listOverrides();
    return this.overrides;
  }

  /** Who is on call for `role` now, from the store's overrides (read again). */
  async onDuty(role: OnCallRole, at = this.d.clock.now()): Promise<OnDuty | undefined> {
    return this.roster.onDuty(role, at, await this.refresh());
  }

  /** Who is on call now, from the overrides last read (no I/O). */
  onDutyCached(role: OnCallRole, at = this.d.clock.now()): OnDuty | undefined {
    return this.roster.onDuty(role, at, this.overrides);
  }

  async status(at = this.d.clock.now()): Promise<OnCallStatus> {
    const overrides = await this.refresh();
    const all = this.roster.all(at, overrides);
    return {
      at,
      timeZone: this.roster.timeZone,
      onDuty: Object.fromEntries(ONCALL_ROLES.map((r) => [r, all[r] ?? null])) as Record<OnCallRole, OnDuty | null>,
      people: this.d.config.people,
      shifts: this.d.config.shifts,
      overrides: overrides.filter((o) => o.until > at - LIST_ENDED_MS).sort((a, b) => b.createdAt - a.createdAt),
    };
  }

  /** Sets a stand-in for a role; refused (GW_ERR_ONCALL_INVALID) when it names no one or no time. */
  async addOverride(input: OverrideInput, by: string, ip?: string): Promise<OnCallOverride> {
    const now = this.d.clock.now();
    if (!isOnCallRole(input.role)) throw new GatewayError('GW_ERR_ONCALL_INVALID', `unknown on-call role '${input.role}' (known: ${ONCALL_ROLES.join(', ')})`);
    if ((input.person === undefined) === (input.contact === undefined)) throw new GatewayError('GW_ERR_ONCALL_INVALID', 'give exactly one of person (a roster id) or contact');
    if (input.person !== undefined && !this.roster.person(input.person)) {
      throw new GatewayError('GW_ERR_ONCALL_INVALID', `unknown person '${input.person}' (known: ${Object.keys(this.d.config.people).join(', ') || 'none'})`);
    }
    if (input.contact && !input.contact.phone && !input.contact.radio) throw new GatewayError('GW_ERR_ONCALL_INVALID', 'contact needs a phone or a radio');
    const from = input.from ?? now;
    if (!(input.until > from)) throw new GatewayError('GW_ERR_ONCALL_INVALID', 'until must be after from');
    if (input.until <= now) throw new GatewayError('GW_ERR_ONCALL_INVALID', 'until is in the past');
    const o: OnCallOverride = {
      id: randomUUID(),
      role: input.role,
      ...(input.person !== undefined ? { person: input.person } : {}),
      ...(input.contact ? { contact: input.contact } : {}),
      from,
      until: input.until,
      ...(input.note ? { note: input.note } : {}),
      by,
      createdAt: now,
    };
    await this.d.repo.saveOverride(o);
    await this.d.audit.audit({
      at: now,
      actor: by,
      action: 'oncall.override',
      target: o.role,
      detail: { id: o.id, ...(o.person ? { person: o.person } : {}), ...(o.contact ? { contact: o.contact.name } : {}), from: o.from, until: o.until, ...(o.note ? { note: o.note } : {}) },
      ...(ip ? { ip } : {}),
    });
    this.overrides = [...this.overrides, o];
    return o;
  }

  /**
   * Ends an override now (a stand-in who is no longer needed, or one set by mistake): its
   * `until` becomes now, who ended it is kept, and the roster's shift applies again. The override
   * stays listed (history), audited as `oncall.override.end`. Ending one that is already over
   * changes nothing and answers it as it is.
   */
  async endOverride(id: string, by: string, ip?: string): Promise<OnCallOverride> {
    const now = this.d.clock.now();
    const o = (await this.refresh()).find((x) => x.id === id);
    if (!o) throw new GatewayError('GW_ERR_ONCALL_OVERRIDE_NOT_FOUND', id);
    if (o.until <= now) return o;
    // One that has not started yet ends before it begins (from = until: never in force).
    const ended: OnCallOverride = { ...o, from: Math.min(o.from, now), until: now, endedBy: by, endedAt: now };
    await this.d.repo.saveOverride(ended);
    await this.d.audit.audit({ at: now, actor: by, action: 'oncall.override.end', target: o.role, detail: { id: o.id, until: o.until }, ...(ip ? { ip } : {}) });
    this.overrides = this.overrides.map((x) => (x.id === id ? ended : x));
    return ended;
  }
}
