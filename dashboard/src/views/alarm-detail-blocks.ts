/**
 * Two blocks of the alarm detail: whom to call at the school (guard post phone and radio
 * talkgroup from the site's contacts), and the broadcast the alarm started with its live
 * roll-call tally and a link to every recipient.
 */
import { h } from '../dom.js';
import { dateTime } from '../format.js';
import type { Alarm, SiteContact } from '../model.js';
import { routeHref } from '../router.js';
import { actorName, type ViewContext } from './context.js';
import { broadcastStateLabel, tallyView } from './broadcast-widgets.js';

/** Broadcast ids named by the alarm's timeline ('broadcast' entries), oldest first. */
export function broadcastIds(alarm: Alarm): string[] {
  const ids: string[] = [];
  for (const e of alarm.timeline) {
    const id = e.action === 'broadcast' ? e.data?.broadcastId : undefined;
    if (typeof id === 'string' && !ids.includes(id)) ids.push(id);
  }
  return ids;
}

/** What the detail shows of them: changes here rebuild the detail. */
export function broadcastsSignature(ctx: ViewContext, alarm: Alarm): string {
  if (!ctx.can('broadcasts:read')) return '';
  return broadcastIds(alarm)
    .map((id) => {
      const e = ctx.store.broadcast(id);
      return e ? `${id}:${e.summary.state}:${JSON.stringify(e.summary.tally)}` : `${id}:?`;
    })
    .join(',');
}

/** Guard posts first: they are the ones to call. */
const ROLE_ORDER: Readonly<Record<string, number>> = { 'guard-post': 0, 'school-contact': 1 };

export function contactsBlock(ctx: ViewContext, siteId: string): HTMLElement | null {
  const { i18n } = ctx;
  const site = ctx.store.site(siteId);
  if (!site) return null;
  const contacts = [...(site.contacts ?? [])].sort((a, b) => (ROLE_ORDER[a.role] ?? 9) - (ROLE_ORDER[b.role] ?? 9));
  return h(
    'section',
    { class: 'detail-block detail-contacts' },
    h('h3', {}, i18n.t('detail.contacts')),
    contacts.length === 0 ? h('p', { class: 'hint' }, i18n.t('detail.noContacts')) : h('ul', { class: 'contact-list' }, contacts.map((c) => contactItem(ctx, c))),
  );
}

function contactItem(ctx: ViewContext, c: SiteContact): HTMLElement {
  const { i18n } = ctx;
  return h(
    'li',
    { class: `contact contact-${c.role}`, attrs: { 'data-role': c.role } },
    h('span', { class: 'contact-role' }, i18n.contactRole(c.role)),
    h('span', { class: 'contact-name' }, c.name),
    c.phone
      ? h('span', { class: 'contact-phone' }, h('span', { class: 'contact-label' }, `${i18n.t('contact.phone')} `), h('a', { attrs: { href: `tel:${c.phone}`, 'data-phone': c.phone } }, c.phone))
      : null,
    c.radio ? h('span', { class: 'contact-radio' }, h('span', { class: 'contact-label' }, `${i18n.t('contact.radio')} `), h('strong', { attrs: { 'data-radio': c.radio } }, c.radio)) : null,
  );
}

export function broadcastsBlock(ctx: ViewContext, alarm: Alarm): HTMLElement | null {
  const { i18n } = ctx;
  // A role without broadcasts:read sees the broadcast only as a timeline entry.
  const ids = ctx.can('broadcasts:read') ? broadcastIds(alarm) : [];
  const compose =
    alarm.state !== 'resolved' && ctx.can('broadcasts:send')
      ? h('a', { class: 'btn btn-secondary btn-small', attrs: { href: routeHref({ view: 'broadcasts', alarmId: alarm.id }), 'data-action': 'compose' } }, i18n.t('detail.composeBroadcast'))
      : null;
  if (ids.length === 0 && !compose) return null;
  return h(
    'section',
    { class: 'detail-block detail-broadcasts' },
    h('div', { class: 'block-head' }, h('h3', {}, i18n.t('detail.broadcasts')), compose),
    ids.map((id) => broadcastItem(ctx, id)),
  );
}

function broadcastItem(ctx: ViewContext, id: string): HTMLElement {
  const { i18n } = ctx;
  const entry = ctx.store.broadcast(id);
  if (!entry) {
    void ctx.loadBroadcast(id);
    return h('div', { class: 'detail-broadcast is-loading', attrs: { 'data-broadcast-id': id } }, h('p', { class: 'hint' }, i18n.t('detail.broadcastLoading')));
  }
  const b = entry.summary;
  return h(
    'div',
    { class: 'detail-broadcast', attrs: { 'data-broadcast-id': id, 'data-state': b.state } },
    h('p', { class: 'detail-broadcast-meta' }, broadcastStateLabel(ctx, b), ` · ${dateTime(i18n, b.createdAt, ctx.now())} · ${actorName(ctx, b.createdBy)}`),
    h('p', { class: 'detail-broadcast-text' }, b.text),
    tallyView(ctx, b.tally, 'small'),
    h('a', { class: 'detail-broadcast-link', attrs: { href: routeHref({ view: 'broadcasts', broadcastId: id }), 'data-testid': 'broadcast-recipients' } }, i18n.t('detail.broadcastRecipients', { n: b.tally.total })),
  );
}
