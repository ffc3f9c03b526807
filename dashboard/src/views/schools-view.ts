/**
 * Every school as a tile, coloured by its worst device state, with its open alarms. Tiles keep
 * their place (the configured order): officers learn where a school sits on the wall.
 */
import { h, syncList } from '../dom.js';
import { summarizeSites, type SiteSummary } from '../derive.js';
import { routeHref } from '../router.js';
import type { RenderReason, View, ViewContext } from './context.js';
import { statusBadge } from './widgets.js';

export class SchoolsView implements View {
  private readonly title = h('h2', { class: 'section-title' });
  private readonly legend = h('p', { class: 'hint' });
  private readonly grid = h('ul', { class: 'school-grid' });
  private readonly othersTitle = h('h2', { class: 'section-title section-title--muted' });
  private readonly others = h('ul', { class: 'school-grid school-grid--others' });
  readonly root = h(
    'section',
    { class: 'view schools', attrs: { 'data-view': 'schools' } },
    h('div', { class: 'view-head' }, this.title, this.legend),
    this.grid,
    this.othersTitle,
    this.others,
  );

  constructor(private readonly ctx: ViewContext) {}

  render(_reason: RenderReason): void {
    const { store, i18n } = this.ctx;
    const summaries = summarizeSites(store.sites(), store.devices(), (d) => store.healthOf(d), store.openAlarms());
    const schoolIds = store.schoolIds();
    const schools = summaries.filter((s) => schoolIds.has(s.site.id));
    const others = summaries.filter((s) => !schoolIds.has(s.site.id));
    this.title.textContent = i18n.t('schools.title', { n: schools.length });
    this.legend.textContent = i18n.t('schools.legend');
    syncList(this.grid, schools, (s) => s.site.id, (s, el) => this.tile(s, el));
    this.othersTitle.textContent = i18n.t('schools.others');
    this.othersTitle.hidden = others.length === 0;
    syncList(this.others, others, (s) => s.site.id, (s, el) => this.tile(s, el));
  }

  private tile(s: SiteSummary, existing: HTMLElement | undefined): HTMLElement {
    const { i18n } = this.ctx;
    const li = existing ?? h('li');
    li.className = ['tile', `status-${s.worst}`, s.openAlarms > 0 ? 'has-alarms' : '', s.unackedCritical > 0 ? 'is-flashing' : ''].filter(Boolean).join(' ');
    li.dataset.siteId = s.site.id;
    li.dataset.status = s.worst;
    li.replaceChildren(
      h(
        'a',
        { class: 'tile-link', attrs: { href: routeHref({ view: 'schools', siteId: s.site.id }) } },
        h('span', { class: 'tile-name' }, i18n.siteName(s.site, s.site.id)),
        h('span', { class: 'tile-status' }, statusBadge(this.ctx, s.worst), s.notOk > 0 ? h('span', { class: 'tile-notok' }, ` ${s.notOk}/${s.devices}`) : null),
        h('span', { class: `tile-alarms${s.openAlarms > 0 ? ' tile-alarms--on' : ''}` }, s.openAlarms > 0 ? i18n.t('schools.openAlarms', { n: s.openAlarms }) : i18n.t('schools.noAlarms')),
      ),
    );
    return li;
  }
}
