/**
 * Every school as a tile, coloured by its worst device state, with its open alarms; or the same
 * schools on a schematic map from their coordinates (school-map.ts). The officer's choice of
 * tiles or map is kept in Prefs. Tiles keep their place (the configured order): officers learn
 * where a school sits on the wall.
 */
import { h, setAttrs, syncList } from '../dom.js';
import { summarizeSites, type SiteSummary } from '../derive.js';
import { routeHref } from '../router.js';
import type { RenderReason, View, ViewContext } from './context.js';
import { SchoolMap } from './school-map.js';
import { statusBadge } from './widgets.js';

type Layout = 'tiles' | 'map';

const LAYOUTS: readonly Layout[] = ['tiles', 'map'];

export class SchoolsView implements View {
  private readonly title = h('h2', { class: 'section-title' });
  private readonly legend = h('p', { class: 'hint' });
  private readonly layoutGroup = h('div', { class: 'layout-switch', attrs: { role: 'group', 'data-testid': 'schools-layout' } });
  private readonly layoutButtons = new Map<Layout, HTMLButtonElement>();
  private readonly grid = h('ul', { class: 'school-grid' });
  private readonly othersTitle = h('h2', { class: 'section-title section-title--muted' });
  private readonly others = h('ul', { class: 'school-grid school-grid--others' });
  private readonly tiles = h('div', { class: 'schools-tiles' }, this.grid, this.othersTitle, this.others);
  private readonly map: SchoolMap;
  private layout: Layout;
  readonly root: HTMLElement;

  constructor(private readonly ctx: ViewContext) {
    this.layout = ctx.prefs.get('schoolsLayout') === 'map' ? 'map' : 'tiles';
    for (const key of LAYOUTS) {
      const button = h('button', { class: 'btn btn-small btn-secondary', attrs: { type: 'button', 'data-layout': key } });
      button.addEventListener('click', () => this.setLayout(key));
      this.layoutButtons.set(key, button);
      this.layoutGroup.append(button);
    }
    this.map = new SchoolMap(ctx);
    this.root = h(
      'section',
      { class: 'view schools', attrs: { 'data-view': 'schools' } },
      h('div', { class: 'view-head' }, this.title, this.layoutGroup, this.legend),
      this.tiles,
      this.map.root,
    );
  }

  private setLayout(layout: Layout): void {
    if (layout === this.layout) return;
    this.layout = layout;
    this.ctx.prefs.set('schoolsLayout', layout);
    this.render('route');
  }

  render(_reason: RenderReason): void {
    const { store, i18n } = this.ctx;
    const summaries = summarizeSites(store.sites(), store.devices(), (d) => store.healthOf(d), store.openAlarms());
    const schoolIds = store.schoolIds();
    const schools = summaries.filter((s) => schoolIds.has(s.site.id));
    const others = summaries.filter((s) => !schoolIds.has(s.site.id));
    this.title.textContent = i18n.t('schools.title', { n: schools.length });
    this.legend.textContent = i18n.t('schools.legend');
    this.layoutGroup.setAttribute('aria-label', i18n.t('schools.layout'));
    for (const [key, button] of this.layoutButtons) {
      button.textContent = i18n.t(key === 'map' ? 'schools.layoutMap' : 'schools.layoutTiles');
      setAttrs(button, { 'aria-pressed': key === this.layout ? 'true' : 'false' });
    }
    this.root.dataset.layout = this.layout;
    this.tiles.hidden = this.layout !== 'tiles';
    this.map.root.hidden = this.layout !== 'map';
    if (this.layout === 'map') {
      // Schools first, then the command centres: the order labels are placed in.
      this.map.render([...schools, ...others], schoolIds);
      return;
    }
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
