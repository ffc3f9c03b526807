/** Small pieces shared by the views: badges and reason lists, always with words, never colour alone. */
import { h } from '../dom.js';
import { NEVER_REPORTED } from '../derive.js';
import { relTime } from '../format.js';
import type { Health, HealthReason } from '../model.js';
import type { ViewContext } from './context.js';

export function severityBadge(ctx: ViewContext, severity: string): HTMLElement {
  return h('span', { class: `badge sev sev-${severity}` }, ctx.i18n.severity(severity));
}

export function statusBadge(ctx: ViewContext, status: string): HTMLElement {
  return h('span', { class: `badge status status-${status}`, attrs: { 'data-status': status } }, ctx.i18n.status(status));
}

export function reasonText(ctx: ViewContext, code: string): string {
  return code === NEVER_REPORTED ? ctx.i18n.t('outages.neverReported') : ctx.i18n.reason(code);
}

/** Reasons in plain words, each with its detail (fault code, SIM state) and how long. */
export function reasonList(ctx: ViewContext, health: Health, withSince = true): HTMLElement {
  const items: HealthReason[] = health.reasons;
  if (items.length === 0) {
    return h('ul', { class: 'reasons' }, health.status === 'ok' ? null : h('li', { attrs: { 'data-reason': NEVER_REPORTED } }, reasonText(ctx, NEVER_REPORTED)));
  }
  const now = ctx.now();
  return h(
    'ul',
    { class: 'reasons' },
    items.map((r) =>
      h(
        'li',
        { attrs: { 'data-reason': r.code } },
        h('span', { class: 'reason-text' }, reasonText(ctx, r.code)),
        r.detail ? h('span', { class: 'reason-detail' }, ` (${r.detail})`) : null,
        withSince ? h('span', { class: 'reason-since' }, ' · ', relTime(ctx.i18n, r.since, 'for', now)) : null,
      ),
    ),
  );
}
