/**
 * Configuration of the on-call roster (config key `oncall`): the people who can be on duty,
 * and weekly shifts per role in one time zone. Overrides come through the API
 * (POST /api/oncall/overrides) and live in the state store.
 */
import { Type, type Static } from '@sinclair/typebox';
import { RadioAddressSchema } from '../broadcast/config.js';

import { ONCALL_ROLES } from './roles.js';

export { ONCALL_ROLES, isOnCallRole, type OnCallRole } from './roles.js';

const Id = Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{0,63}$' });
const HHMM = Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' });
const Role = Type.Union(ONCALL_ROLES.map((r) => Type.Literal(r)));

export const OnCallPersonSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 64 }),
    phone: Type.Optional(Type.String({ pattern: '^\\+?[0-9]{5,20}$' })),
    radio: Type.Optional(RadioAddressSchema),
  },
  { additionalProperties: false },
);

/** A weekly shift: ISO weekdays it starts on, local start and end (end before start runs past midnight). */
export const ShiftSchema = Type.Object(
  {
    role: Role,
    person: Id,
    days: Type.Array(Type.Integer({ minimum: 1, maximum: 7 }), { minItems: 1 }),
    start: HHMM,
    end: HHMM,
  },
  { additionalProperties: false },
);

export const OnCallConfigSchema = Type.Object(
  {
    /** The shifts' time zone (IANA). */
    timeZone: Type.String({ minLength: 1, default: 'Asia/Shanghai' }),
    people: Type.Record(Id, OnCallPersonSchema, { default: {} }),
    shifts: Type.Array(ShiftSchema, { default: [] }),
  },
  { additionalProperties: false, default: {} },
);

export type OnCallConfig = Static<typeof OnCallConfigSchema>;
export type OnCallPerson = Static<typeof OnCallPersonSchema>;
export type Shift = Static<typeof ShiftSchema>;

/** Checks the schema cannot express: shifts name known people, the time zone exists. */
export function onCallConfigErrors(cfg: OnCallConfig, prefix = '/oncall'): string[] {
  const errors: string[] = [];
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: cfg.timeZone });
  } catch {
    errors.push(`${prefix}/timeZone: unknown time zone '${cfg.timeZone}'`);
  }
  for (const [id, p] of Object.entries(cfg.people)) {
    if (!p.phone && !p.radio) errors.push(`${prefix}/people/${id}: needs a phone or a radio`);
  }
  cfg.shifts.forEach((s, i) => {
    if (!cfg.people[s.person]) errors.push(`${prefix}/shifts/${i}/person: unknown person '${s.person}'`);
    if (s.start === s.end) errors.push(`${prefix}/shifts/${i}/end: a shift cannot end when it starts`);
  });
  return errors;
}
