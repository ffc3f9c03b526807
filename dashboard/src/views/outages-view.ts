/**
 * Every device that is not OK, with its reasons in plain words; filter by school, kind and
 * reason (kept in the URL); per reason, how many devices and "N of 33 schools affected" —
 * the figure a district sweep reports.
 */
import { h, syncList } from '../dom.js';
import { filterOutages, outageRows, reasonSummary, type OutageFilter, type OutageRow, type ReasonSummary } from '../derive.js';
import { relTime } from '../format.js';
import type { UiKey } from '../i18n/dictionary.js';
import { routeHref } from '../router.js';
import { siteName, type RenderReason, type View, type ViewContext } from './context.js';
import { reasonList, reasonText, statusBadge } from './widgets.js';
import { stateCell } from './device-state.js';

const COLUMNS: readonly UiKey[] = ['col.school', 'col.device', 'col.kind', 'col.status', 'col.state', 'col.reasons', 'col.since', 'col.lastSeen'];
/** Readings the list can filter by (the gateway's `state=field:value`). */
const STATE_FILTERS = ['position:lowered', 'position:fault', 'position:unknown', 'power:battery', 'link:offline'] as const;

export class OutagesView implements View {
  private readonly title = h('h2', { class: 'section-title' });
  private readonly summary = h('p', { class: 'outage-summary', attrs: { 'data-testid': 'outage-summary' } });
  private readonly cardsTitle = h('h3', { class: 'section-title section-title--small' });
  private readonly cards = h('ul', { class: 'reason-cards' });
  private readonly filters = h('div', { class: 'filters' });
  private readonly shown = h('p', { class: 'hint', attrs: { 'aria-live': 'polite' } });
  private readonly thead = h('thead');
  private readonly tbody = h('tbody');
  private readonly none = h('p', { class: 'empty-state' });
  readonly root = h(
    'section',
    { class: 'view outages', attrs: { 'data-view': 'outages' } },
    h('div', { class: 'view-head' }, this.title, this.summary),
    this.cardsTitle,
    this.cards,
    this.filters,
    this.shown,
    h('table', { class: 'data-table outages-table' }, this.thead, this.tbody),
    this.none,
  );
  private filterSig = '';

  constructor(
    private readonly ctx: ViewContext,
    private filter: OutageFilter,
  ) {}

  setFilter(filter: OutageFilter): void {
    this.filter = filter;
    this.render('route');
  }

  render(reason: RenderReason): void {
    const { store, i18n } = this.ctx;
    const all = outageRows(store.devices(), (d) => store.healthOf(d));
    const schoolIds = store.schoolIds();
    const totalSchools = schoolIds.size;
    const affected = new Set(all.map((r) => r.device.siteId).filter((id) => schoolIds.has(id))).size;
    this.title.textContent = i18n.t('outages.title');
    this.summary.textContent = i18n.t('outages.summary', { n: all.length, m: affected, total: totalSchools });

    // Reason facets follow the school and kind filters, not the reason filter itself.
    const faceted = filterOutages(all, { ...this.filter, reason: undefined });
    const reasons = reasonSummary(faceted, schoolIds);
    this.cardsTitle.textContent = i18n.t('outages.byReason');
    syncList(this.cards, reasons, (r) => r.code, (r, el) => this.card(r, totalSchools, el));

    const sig = `${i18n.lang}|${store.sites().length}|${reasons.map((r) => r.code).join(',')}|${JSON.stringify(this.filter)}`;
    if (sig !== this.filterSig || reason === 'lang' || reason === 'route') {
      this.filterSig = sig;
      this.renderFilters(reasons);
    }

    // A state filter (position:lowered) lists every device in that state, OK or not: a barrier
    // left down is the officer's question even while nothing is wrong with the barrier itself.
    const rows = filterOutages(this.filter.state ? outageRows(store.devices(), (d) => store.healthOf(d), true) : all, this.filter);
    this.shown.textContent = i18n.t('outages.shown', { n: rows.length });
    this.thead.replaceChildren(h('tr', {}, COLUMNS.map((k) => h('th', { attrs: { scope: 'col' } }, i18n.t(k)))));
    syncList(this.tbody, rows, (r) => r.device.id, (r, el) => this.row(r, el));
    this.none.textContent = i18n.t('outages.none');
    this.none.hidden = rows.length > 0;
  }

  private card(r: ReasonSummary, totalSchools: number, existing: HTMLElement | undefined): HTMLElement {
    const { i18n } = this.ctx;
    const active = this.filter.reason === r.code;
    const li = existing ?? h('li');
    li.dataset.reason = r.code;
    li.replaceChildren(
      h(
        'button',
        {
          class: `reason-card${active ? ' is-active' : ''}`,
          attrs: { type: 'button', 'aria-pressed': active ? 'true' : 'false', 'data-reason': r.code },
          on: { click: () => this.ctx.navigate({ view: 'outages', filter: { ...this.filter, reason: active ? undefined : r.code } }) },
        },
        h('span', { class: 'card-reason' }, reasonText(this.ctx, r.code)),
        h('span', { class: 'card-count' }, i18n.t('outages.reasonCount', { n: r.devices })),
        h(
          'span',
          { class: 'card-schools', attrs: { 'data-schools': r.schools } },
          // A reason only a command centre has (the 110 link) names the site instead of "0 of 33".
          r.schools === 0 && r.otherSites.length > 0
            ? r.otherSites.map((id) => siteName(this.ctx, id)).join('、')
            : i18n.t('outages.schoolsAffected', { m: r.schools, total: totalSchools }),
        ),
      ),
    );
    return li;
  }

  private renderFilters(reasons: readonly ReasonSummary[]): void {
    const { store, i18n } = this.ctx;
    const kinds = [...new Set(store.devices().map((d) => d.kind))].sort();
    const select = (id: string, label: UiKey, key: keyof OutageFilter, options: { value: string; text: string }[]) => {
      const sel = h(
        'select',
        {
          id,
          attrs: { name: key, 'data-filter': key },
          on: { change: () => this.ctx.navigate({ view: 'outages', filter: { ...this.filter, [key]: sel.value || undefined } }) },
        },
        h('option', { attrs: { value: '' } }, i18n.t('outages.all')),
        options.map((o) => h('option', { attrs: { value: o.value } }, o.text)),
      );
      sel.value = this.filter[key] ?? '';
      return h('div', { class: 'filter' }, h('label', { attrs: { for: id } }, i18n.t(label)), sel);
    };
    // A reason chosen by link stays in the list even when no device has it right now.
    const reasonCodes = [...new Set([...reasons.map((r) => r.code), ...(this.filter.reason ? [this.filter.reason] : [])])];
    this.filters.replaceChildren(
      select('filter-site', 'outages.filterSchool', 'site', store.sites().map((s) => ({ value: s.id, text: i18n.siteName(s, s.id) }))),
      select('filter-kind', 'outages.filterKind', 'kind', kinds.map((k) => ({ value: k, text: i18n.kind(k) }))),
      select('filter-reason', 'outages.filterReason', 'reason', reasonCodes.map((c) => ({ value: c, text: reasonText(this.ctx, c) }))),
      select('filter-state', 'outages.filterState', 'state', STATE_FILTERS.map((f) => ({ value: f, text: i18n.t(`outages.state.${f}`) }))),
      h('a', { class: 'btn btn-secondary btn-small', attrs: { href: routeHref({ view: 'outages', filter: {} }) } }, i18n.t('outages.reset')),
      h('a', { class: 'btn btn-secondary btn-small', attrs: { href: routeHref({ view: 'clock' }), 'data-nav': 'clock' } }, i18n.t('nav.clock')),
    );
  }

  private row(r: OutageRow, existing: HTMLElement | undefined): HTMLElement {
    const { i18n } = this.ctx;
    const now = this.ctx.now();
    const tr = existing ?? h('tr');
    tr.className = `status-${r.health.status}`;
    tr.dataset.deviceId = r.device.id;
    tr.dataset.siteId = r.device.siteId;
    tr.dataset.status = r.health.status;
    tr.dataset.reasons = r.codes.join(' ');
    tr.replaceChildren(
      h('td', {}, h('a', { attrs: { href: routeHref({ view: 'schools', siteId: r.device.siteId }) } }, siteName(this.ctx, r.device.siteId))),
      h('td', { class: 'cell-name' }, r.device.name, h('div', { class: 'cell-id' }, r.device.id)),
      h('td', {}, i18n.kind(r.device.kind)),
      h('td', {}, statusBadge(this.ctx, r.health.status)),
      h('td', { class: 'cell-state' }, stateCell(this.ctx, r.device, this.ctx.store.site(r.device.siteId))),
      h('td', {}, reasonList(this.ctx, r.health, false)),
      h('td', {}, r.since !== undefined ? relTime(i18n, r.since, 'for', now) : '—'),
      h('td', {}, r.health.lastSeen ? relTime(i18n, r.health.lastSeen, 'ago', now) : '—'),
    );
    return tr;
  }
}
