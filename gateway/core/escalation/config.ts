/**
 * Configuration of escalation (config key `escalation`): per alarm type, severity and drill
 * flag, ordered steps that say after how long an unacknowledged alarm goes to whom, on which
 * channels; the policy runs again `repeat` times, then the alarm stays on the board as
 * unanswered. After GoAlert's escalation policies (a policy is data; acknowledging stops it).
 */
import { Type, type Static } from '@sinclair/typebox';
import { ALARM_TYPES } from '../../contract/alarm-types.js';
import { ONCALL_ROLES } from '../oncall/roles.js';

/** 'board': the duty officers' board sounds again; 'radio' and 'sms' go through the broadcast channels. */
export const ESCALATION_CHANNELS = ['board', 'radio', 'sms'] as const;
export type EscalationChannel = (typeof ESCALATION_CHANNELS)[number];

const Severity = Type.Union(['critical', 'major', 'minor', 'warning'].map((s) => Type.Literal(s)));

export const StepSchema = Type.Object(
  {
    /** Seconds after the alarm was raised (within a round) at which this step runs. */
    afterSeconds: Type.Number({ minimum: 0.01 }),
    /** On-call roles (duty-officer, supervisor, station-chief, technician) or broadcast group ids. */
    notify: Type.Array(Type.String({ minLength: 1 }), { default: [] }),
    channels: Type.Array(Type.Union(ESCALATION_CHANNELS.map((c) => Type.Literal(c))), { minItems: 1, uniqueItems: true }),
  },
  { additionalProperties: false },
);

export const EscalationPolicySchema = Type.Object(
  {
    id: Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{0,63}$' }),
    alarmTypes: Type.Array(Type.Union(ALARM_TYPES.map((t) => Type.Literal(t))), { minItems: 1 }),
    /** Only alarms of these severities; omitted: any. */
    severities: Type.Optional(Type.Array(Severity, { minItems: 1 })),
    /** A drill's alarms follow the drill policies only (their messages say 演练). */
    drill: Type.Boolean({ default: false }),
    steps: Type.Array(StepSchema, { minItems: 1 }),
    /** How many times the whole policy runs again after its first pass. */
    repeat: Type.Integer({ minimum: 0, maximum: 10, default: 2 }),
    /** Length of one pass; the next pass's steps count from its start. Default: the last step's afterSeconds. */
    roundSeconds: Type.Optional(Type.Number({ minimum: 0.01 })),
  },
  { additionalProperties: false },
);

const STEPS = [
  { afterSeconds: 60, notify: ['supervisor'], channels: ['board', 'radio', 'sms'] },
  { afterSeconds: 180, notify: ['station-chief'], channels: ['board', 'radio', 'sms'] },
] as Static<typeof StepSchema>[];

export const DEFAULT_ESCALATION_POLICIES: Static<typeof EscalationPolicySchema>[] = [
  { id: 'life-safety', alarmTypes: ['panic', 'barrier-impact'], drill: false, steps: STEPS, repeat: 2 },
  // A drill rehearses the escalation too; the broadcast service puts 【演练】 before its texts.
  { id: 'life-safety-drill', alarmTypes: ['panic', 'barrier-impact'], drill: true, steps: STEPS, repeat: 2 },
];

export const EscalationConfigSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: true }),
    /** What radio and SMS say; broadcast template placeholders: {school} {device} {summary} {time} {type} {reply}. */
    text: Type.String({
      minLength: 1,
      maxLength: 1000,
      default: '【城东区校园安全】警情升级：{school}于{time}的警情（{summary}）无人确认，请立即处置。收到请回复{reply}。',
    }),
    policies: Type.Array(EscalationPolicySchema, { default: DEFAULT_ESCALATION_POLICIES }),
  },
  { additionalProperties: false, default: {} },
);

export type EscalationConfig = Static<typeof EscalationConfigSchema>;
export type EscalationPolicy = Static<typeof EscalationPolicySchema>;
export type EscalationStep = Static<typeof StepSchema>;

/** Checks the schema cannot express: unique ids, steps in order, known roles and groups. */
export function escalationConfigErrors(cfg: EscalationConfig, groupIds: readonly string[], prefix = '/escalation'): string[] {
  const errors: string[] = [];
  const ids = new Set<string>();
  cfg.policies.forEach((p, i) => {
    const path = `${prefix}/policies/${i}`;
    if (ids.has(p.id)) errors.push(`${path}/id: duplicate policy '${p.id}'`);
    ids.add(p.id);
    p.steps.forEach((s, j) => {
      const prev = p.steps[j - 1];
      if (prev && s.afterSeconds <= prev.afterSeconds) errors.push(`${path}/steps/${j}/afterSeconds: must be after the previous step's (${prev.afterSeconds})`);
      s.notify.forEach((n, k) => {
        if (!(ONCALL_ROLES as readonly string[]).includes(n) && !groupIds.includes(n)) {
          errors.push(`${path}/steps/${j}/notify/${k}: '${n}' is neither an on-call role (${ONCALL_ROLES.join(', ')}) nor a broadcast group`);
        }
      });
      if (s.notify.length === 0 && s.channels.some((c) => c !== 'board')) errors.push(`${path}/steps/${j}/notify: radio and sms need someone to notify`);
    });
    const last = p.steps[p.steps.length - 1];
    if (last && p.roundSeconds !== undefined && p.roundSeconds < last.afterSeconds) errors.push(`${path}/roundSeconds: shorter than the last step's afterSeconds (${last.afterSeconds})`);
  });
  return errors;
}
