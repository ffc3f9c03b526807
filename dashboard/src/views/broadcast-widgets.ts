/** Pieces shared by the broadcast views and the alarm detail: the roll-call tally, labels. */
import { h } from '../dom.js';
import { clockTime } from '../format.js';
import type { BroadcastSummary, Tally } from '../model.js';
import type { ViewContext } from './context.js';

const TALLY_KEYS = ['total', 'sent', 'delivered', 'confirmed', 'failed'] as const;

/**
 * The five numbers, each with its word, and a bar: confirmed, delivered, sent only, failed,
 * still queued. `data-tally` on every number lets a test (or a wall-screen script) read them.
 */
export function tallyView(ctx: ViewContext, tally: Tally, size: 'large' | 'small' = 'large'): HTMLElement {
  const { i18n } = ctx;
  const total = Math.max(1, tally.total);
  const queued = Math.max(0, tally.total - tally.sent - tally.failed);
  const segments: [string, number][] = [
    ['confirmed', tally.confirmed],
    ['delivered', tally.delivered - tally.confirmed],
    ['sent', tally.sent - tally.delivered],
    ['failed', tally.failed],
    ['queued', queued],
  ];
  return h(
    'div',
    { class: `tally tally-${size}`, attrs: { role: 'group', 'aria-label': i18n.t('tally.label') } },
    h(
      'dl',
      { class: 'tally-numbers' },
      TALLY_KEYS.map((k) =>
        h('div', { class: `tally-item tally-${k}` }, h('dt', {}, i18n.t(`tally.${k}`)), h('dd', { attrs: { 'data-tally': k } }, String(tally[k]))),
      ),
    ),
    h(
      'div',
      { class: 'tally-bar', attrs: { 'aria-hidden': 'true' } },
      segments
        .filter(([, n]) => n > 0)
        .map(([k, n]) => {
          const seg = h('span', { class: `tally-seg seg-${k}` });
          // CSSOM, not a style attribute: works under a strict Content-Security-Policy too.
          seg.style.width = `${(n / total) * 100}%`;
          return seg;
        }),
    ),
  );
}

/** The tally in one line, for lists: "送达 6/8 · 应答 2". */
export function tallyLine(ctx: ViewContext, tally: Tally): string {
  return ctx.i18n.t('tally.line', { d: tally.delivered, t: tally.total, c: tally.confirmed });
}

export function broadcastStateLabel(ctx: ViewContext, b: BroadcastSummary): HTMLElement {
  const { i18n } = ctx;
  const when = b.state === 'open' ? i18n.t('bc.until', { t: clockTime(i18n, b.closesAt) }) : b.closedAt ? i18n.t('bc.closedAt', { t: clockTime(i18n, b.closedAt) }) : '';
  return h(
    'span',
    { class: `bc-state bc-state-${b.state}`, attrs: { 'data-state': b.state } },
    h('strong', {}, i18n.t(b.state === 'open' ? 'bc.open' : 'bc.closed')),
    when ? h('span', { class: 'bc-state-when' }, ` · ${when}`) : null,
  );
}

/** "学校门卫室、派出所巡逻民警" in the current language. */
export function groupsText(ctx: ViewContext, groups: readonly string[]): string {
  return groups.map((g) => ctx.i18n.group(g)).join(ctx.i18n.lang === 'zh' ? '、' : ', ');
}

/** "对讲 → 短信": the order the channels are tried in. */
export function channelsText(ctx: ViewContext, channels: readonly string[]): string {
  return channels.map((c) => ctx.i18n.channel(c)).join(' → ');
}
