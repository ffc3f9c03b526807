/**
 * Configuration of broadcasts (config key `broadcast`): recipient groups, policies from alarm
 * type to groups and channels, Chinese message templates, per-channel rate limits, roll-call.
 * Defaults match the simulated district (城东区): a six-officer patrol on talkgroup tg-patrol,
 * plus each school's guard post and safety contact drawn from the sites' `contacts`.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { ALARM_TYPES } from '../../contract/alarm-types.js';
import { BROADCAST_CHANNELS } from '../../contract/capabilities.js';
import { GatewayError } from '../../contract/errors.js';
import { ONCALL_ROLES } from '../oncall/roles.js';
import { TEMPLATE_PLACEHOLDERS, templatePlaceholders } from './template.js';

const GroupId = Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{0,63}$' });
const Phone = Type.String({ pattern: '^\\+?[0-9]{5,20}$', description: 'digits, optional leading +' });
const Talkgroup = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]*$' });
const AdapterType = Type.String({ minLength: 1, description: 'an adapter type, e.g. sms-cmpp' });
const Channel = Type.Union(BROADCAST_CHANNELS.map((c) => Type.Literal(c)));
const Channels = (def: string[]) => Type.Array(Channel, { minItems: 1, uniqueItems: true, default: def });
const FallbackUnless = Type.Union([Type.Literal('delivered'), Type.Literal('confirmed')], {
  default: 'delivered',
  description: 'a person stays on the current channel once it reached this state',
});

export const RadioAddressSchema = Type.Object(
  { talkgroup: Talkgroup, unit: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })) },
  { additionalProperties: false },
);

export const MemberSchema = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 64 }), phone: Type.Optional(Phone), radio: Type.Optional(RadioAddressSchema) },
  { additionalProperties: false },
);

/** A fixed list of members, the contacts of the sites with one role, or whoever is on call for a role. */
export const GroupSchema = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    members: Type.Optional(Type.Array(MemberSchema, { minItems: 1 })),
    /** Site contacts with this role ('guard-post', 'school-contact'). */
    contactRole: Type.Optional(Type.String({ minLength: 1 })),
    /** Whoever is on call for this role when the broadcast starts (oncall roster: duty-officer, supervisor, station-chief, technician). */
    oncallRole: Type.Optional(Type.Union(ONCALL_ROLES.map((r) => Type.Literal(r)))),
    /** 'alarm-site': the alarm's school (every school for a manual broadcast naming none); 'all-sites'. */
    scope: Type.Optional(Type.Union([Type.Literal('alarm-site'), Type.Literal('all-sites')])),
  },
  { additionalProperties: false },
);

export const PolicySchema = Type.Object(
  {
    id: GroupId,
    alarmTypes: Type.Array(Type.Union(ALARM_TYPES.map((t) => Type.Literal(t))), { minItems: 1 }),
    /** Only these schools; a policy naming sites wins over one that does not. */
    sites: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
    /** True: applies to drill alarms only (the roll-call runs, the text says 演练). False: real alarms only. */
    drill: Type.Boolean({ default: false }),
    groups: Type.Array(GroupId, { minItems: 1 }),
    /** Tried in this order per person: the next one after fallbackAfterSeconds or a failure. */
    channels: Channels(['radio', 'sms']),
    fallbackAfterSeconds: Type.Number({ minimum: 0.01, default: 60 }),
    fallbackUnless: FallbackUnless,
    template: Type.String({ minLength: 1 }),
  },
  { additionalProperties: false },
);

export const RateLimitSchema = Type.Object(
  {
    /** Sustained sends per second: SMS = one recipient, radio = one talkgroup transmission. */
    perSecond: Type.Number({ minimum: 0.01 }),
    burst: Type.Integer({ minimum: 1 }),
  },
  { additionalProperties: false },
);

const SIGN = '【城东区校园安全】';
const ASK = '收到请回复{reply}。';

export const DEFAULT_TEMPLATES: Record<string, string> = {
  panic: `${SIGN}{school}于{time}一键报警（{device}）。请就近巡逻民警立即赶赴，门卫室关闭校门。${ASK}`,
  'barrier-impact': `${SIGN}{school}防冲撞装置于{time}受撞击（{device}）。请就近民警立即赶赴。${ASK}`,
  'barrier-down-in-window': `${SIGN}{school}上下学时段防冲撞装置未升起（{time}），请门卫室立即升起。${ASK}`,
  generic: `${SIGN}{summary}（{time}）。${ASK}`,
};

const PATROL = ['张伟', '王磊', '李强', '刘洋', '陈杰', '杨帆'].map((name, i) => ({
  name: `${name}（巡逻${i + 1}组）`,
  phone: `1380571900${i + 1}`,
  radio: { talkgroup: 'tg-patrol', unit: `P-0${i + 1}` },
}));

export const DEFAULT_GROUPS: Record<string, Static<typeof GroupSchema>> = {
  'station-patrol': { name: '城东派出所巡逻民警', members: PATROL },
  'guard-posts': { name: '学校门卫室', contactRole: 'guard-post', scope: 'alarm-site' },
  'school-contacts': { name: '学校安保负责人', contactRole: 'school-contact', scope: 'alarm-site' },
  'all-guard-posts': { name: '全区学校门卫室', contactRole: 'guard-post', scope: 'all-sites' },
  // Whoever is on call now (config `oncall`): the duty's supervisor and the station chief.
  'oncall-supervisor': { name: '当班带班领导', oncallRole: 'supervisor' },
  'oncall-station-chief': { name: '当班所领导', oncallRole: 'station-chief' },
};

const EVERYONE = ['station-patrol', 'guard-posts', 'school-contacts'];

export const DEFAULT_POLICIES: Static<typeof PolicySchema>[] = [
  { id: 'panic', alarmTypes: ['panic'], drill: false, groups: EVERYONE, channels: ['radio', 'sms'], fallbackAfterSeconds: 60, fallbackUnless: 'delivered', template: 'panic' },
  { id: 'barrier-impact', alarmTypes: ['barrier-impact'], drill: false, groups: EVERYONE, channels: ['radio', 'sms'], fallbackAfterSeconds: 60, fallbackUnless: 'delivered', template: 'barrier-impact' },
  {
    id: 'barrier-down-in-window',
    alarmTypes: ['barrier-down-in-window'],
    drill: false,
    groups: ['guard-posts'],
    channels: ['radio', 'sms'],
    fallbackAfterSeconds: 120,
    fallbackUnless: 'delivered',
    template: 'barrier-down-in-window',
  },
  // Drills run the same roll-call so response times can be measured; the text says 演练.
  { id: 'drill', alarmTypes: ['panic', 'barrier-impact'], drill: true, groups: EVERYONE, channels: ['radio', 'sms'], fallbackAfterSeconds: 60, fallbackUnless: 'delivered', template: 'generic' },
];

export const BroadcastConfigSchema = Type.Object(
  {
    /** False: alarms raise no broadcast (manual broadcasts still work). */
    enabled: Type.Boolean({ default: true }),
    groups: Type.Record(GroupId, GroupSchema, { additionalProperties: false, default: DEFAULT_GROUPS }),
    policies: Type.Array(PolicySchema, { default: DEFAULT_POLICIES }),
    /** Placeholders: {school} {device} {summary} {time} {type} {reply}. */
    templates: Type.Record(Type.String({ minLength: 1 }), Type.String({ minLength: 1, maxLength: 1000 }), { default: DEFAULT_TEMPLATES }),
    /** Put before the text of every drill broadcast. */
    drillPrefix: Type.String({ default: '【演练】' }),
    /**
     * The adapter that carries a channel when more than one running adapter offers it (sms:
     * `sms-smpp` or `sms-cmpp`). Left out: the only one that offers it; two without a choice
     * is a configuration error.
     */
    channelAdapters: Type.Object(
      { sms: Type.Optional(AdapterType), radio: Type.Optional(AdapterType) },
      { additionalProperties: false, default: {} },
    ),
    rateLimits: Type.Object(
      {
        // A Chinese SMS platform link typically allows 50–200 submits/s; radio airtime is scarce.
        sms: Type.Object(RateLimitSchema.properties, { additionalProperties: false, default: { perSecond: 50, burst: 100 } }),
        radio: Type.Object(RateLimitSchema.properties, { additionalProperties: false, default: { perSecond: 1, burst: 10 } }),
      },
      { additionalProperties: false, default: {} },
    ),
    rollCall: Type.Object(
      {
        /** A reply equal to, or starting with, one of these confirms (after NFKC, trimmed). */
        codes: Type.Array(Type.String({ minLength: 1, maxLength: 16 }), { minItems: 1, default: ['1', '收到'] }),
        /** Receipts and replies count this long; then the broadcast closes. */
        windowSeconds: Type.Number({ minimum: 1, default: 1800 }),
      },
      { additionalProperties: false, default: {} },
    ),
    /** Manual broadcasts by a duty officer. */
    manual: Type.Object(
      {
        channels: Channels(['radio', 'sms']),
        fallbackAfterSeconds: Type.Number({ minimum: 0.01, default: 60 }),
        fallbackUnless: FallbackUnless,
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false, default: {} },
);

export type BroadcastConfig = Static<typeof BroadcastConfigSchema>;
export type BroadcastPolicy = Static<typeof PolicySchema>;
export type BroadcastGroup = Static<typeof GroupSchema>;
export type RateLimit = Static<typeof RateLimitSchema>;

/**
 * Checks the schema cannot express: group shape, references, placeholders, and (when the
 * configured site ids are given) the sites policies name.
 */
export function broadcastConfigErrors(cfg: BroadcastConfig, prefix = '', siteIds?: readonly string[]): string[] {
  const errors: string[] = [];
  for (const [id, g] of Object.entries(cfg.groups)) {
    const path = `${prefix}/groups/${id}`;
    if ([g.members, g.contactRole, g.oncallRole].filter((x) => x !== undefined).length !== 1) errors.push(`${path}: needs exactly one of members, contactRole or oncallRole`);
    if ((g.members || g.oncallRole) && g.scope) errors.push(`${path}/scope: only for contactRole groups`);
    g.members?.forEach((m, i) => {
      if (!m.phone && !m.radio) errors.push(`${path}/members/${i}: needs a phone or a radio`);
    });
  }
  const ids = new Set<string>();
  cfg.policies.forEach((p, i) => {
    const path = `${prefix}/policies/${i}`;
    if (ids.has(p.id)) errors.push(`${path}/id: duplicate policy '${p.id}'`);
    ids.add(p.id);
    p.groups.forEach((g, j) => {
      if (!cfg.groups[g]) errors.push(`${path}/groups/${j}: unknown group '${g}'`);
    });
    if (!cfg.templates[p.template]) errors.push(`${path}/template: unknown template '${p.template}'`);
    p.sites?.forEach((site, j) => {
      if (siteIds && !siteIds.includes(site)) errors.push(`${path}/sites/${j}: unknown site '${site}'`);
    });
  });
  for (const [id, text] of Object.entries(cfg.templates)) {
    for (const name of templatePlaceholders(text)) {
      if (!(TEMPLATE_PLACEHOLDERS as readonly string[]).includes(name)) {
        errors.push(`${prefix}/templates/${id}: unknown placeholder {${name}} (known: ${TEMPLATE_PLACEHOLDERS.join(', ')})`);
      }
    }
  }
  return errors;
}

/** Applies defaults and validates; throws GW_ERR_CONFIG_INVALID listing every `path: message`. */
export function resolveBroadcastConfig(input: unknown, siteIds?: readonly string[]): BroadcastConfig {
  const withDefaults = Value.Default(BroadcastConfigSchema, structuredClone(input ?? {})) as unknown;
  const errors = [...Value.Errors(BroadcastConfigSchema, withDefaults)].map((e) => `/broadcast${e.path}: ${e.message}`);
  if (errors.length === 0) errors.push(...broadcastConfigErrors(withDefaults as BroadcastConfig, '/broadcast', siteIds));
  if (errors.length > 0) throw new GatewayError('GW_ERR_CONFIG_INVALID', `broadcast config invalid: ${errors.join('; ')}`, { details: errors });
  return withDefaults as BroadcastConfig;
}
