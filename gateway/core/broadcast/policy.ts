/**
 * Which policy an alarm falls under, and who a list of groups reaches. Pure.
 */
import type { BroadcastConfig, BroadcastPolicy } from './config.js';
import { GatewayError } from '../../contract/errors.js';
import { normalizePhone } from './recipient.js';
import type { Contact, RecipientSpec } from './types.js';
import type { Alarm, Site } from '../../contract/types.js';

/**
 * The policy for an alarm: same drill flag, the alarm type listed, the site listed when the
 * policy names sites. A policy naming the site wins over a district-wide one; otherwise the
 * first in config order.
 */
export function selectPolicy(policies: readonly BroadcastPolicy[], alarm: Pick<Alarm, 'type' | 'siteId' | 'drill'>): BroadcastPolicy | undefined {
  const fits = policies.filter(
    (p) => p.drill === alarm.drill && p.alarmTypes.includes(alarm.type) && (p.sites === undefined || p.sites.includes(alarm.siteId)),
  );
  return fits.find((p) => p.sites !== undefined) ?? fits[0];
}

function siteContact(site: Site, c: Site['contacts'][number], group: string): RecipientSpec {
  return {
    name: c.name,
    group,
    siteId: site.id,
    ...(c.phone ? { phone: c.phone } : {}),
    // A site contact's `radio` is the talkgroup its handset listens on (config/default.yaml).
    ...(c.radio ? { radio: { talkgroup: c.radio } } : {}),
  };
}

/** Who is on call for a role now (the on-call roster), as a contact. */
export type OnCallLookup = (role: string) => Contact | undefined;

/**
 * Who one group reaches. `siteId` narrows 'alarm-site' groups; without it they span every site.
 * An on-call group reaches whoever `oncall` says is on duty (nobody without a lookup).
 */
export function groupMembers(cfg: Pick<BroadcastConfig, 'groups'>, groupId: string, sites: readonly Site[], siteId?: string, oncall?: OnCallLookup): RecipientSpec[] {
  const group = cfg.groups[groupId];
  if (!group) throw new GatewayError('GW_ERR_BROADCAST_UNKNOWN_GROUP', `unknown recipient group '${groupId}' (known: ${Object.keys(cfg.groups).join(', ')})`);
  if (group.oncallRole) {
    const c = oncall?.(group.oncallRole);
    return c ? [{ name: c.name, group: groupId, ...(c.phone ? { phone: c.phone } : {}), ...(c.radio ? { radio: { ...c.radio } } : {}) }] : [];
  }
  if (group.members) {
    return group.members.map((m) => ({
      name: m.name,
      group: groupId,
      ...(m.phone ? { phone: m.phone } : {}),
      ...(m.radio ? { radio: { ...m.radio } } : {}),
    }));
  }
  const scoped = group.scope !== 'all-sites' && siteId !== undefined ? sites.filter((s) => s.id === siteId) : sites;
  return scoped.flatMap((s) => s.contacts.filter((c) => c.role === group.contactRole && (c.phone || c.radio)).map((c) => siteContact(s, c, groupId)));
}

/** Identity of a person across groups: phone first, then radio unit, then talkgroup and name. */
function personKey(r: Contact): string {
  if (r.phone) return `p:${normalizePhone(r.phone)}`;
  if (r.radio?.unit) return `u:${r.radio.unit}`;
  return `t:${r.radio?.talkgroup ?? ''}:${r.name}`;
}

/**
 * Everyone the groups (and the ad-hoc contacts) reach, each person once: the first group
 * that names a person keeps them, later mentions only add missing addresses.
 */
export function resolveRecipients(
  cfg: Pick<BroadcastConfig, 'groups'>,
  groups: readonly string[],
  sites: readonly Site[],
  opts: { siteId?: string; extra?: readonly Contact[]; oncall?: OnCallLookup } = {},
): RecipientSpec[] {
  if (opts.siteId !== undefined && !sites.some((s) => s.id === opts.siteId)) {
    throw new GatewayError('GW_ERR_BROADCAST_UNKNOWN_SITE', `unknown site '${opts.siteId}'`);
  }
  const all = [
    ...groups.flatMap((g) => groupMembers(cfg, g, sites, opts.siteId, opts.oncall)),
    ...(opts.extra ?? []).map((c) => ({ ...c, group: 'ad-hoc' })),
  ];
  const byKey = new Map<string, RecipientSpec>();
  for (const r of all) {
    const key = personKey(r);
    const seen = byKey.get(key);
    if (!seen) byKey.set(key, r);
    else byKey.set(key, { ...seen, ...(seen.phone || !r.phone ? {} : { phone: r.phone }), ...(seen.radio || !r.radio ? {} : { radio: r.radio }) });
  }
  return [...byKey.values()];
}
