/**
 * The schools on a schematic map drawn from their coordinates (GET /api/sites `location`), as an
 * SVG: no map tiles, nothing from the internet. Each school is a dot coloured by its worst device
 * state (the tiles' colours, with the state in words in its label for screen readers), the number
 * of its open alarms inside, and a pulsing red ring while it has an open critical alarm (drills
 * excepted: they never look like a real alarm). Command centres are squares. Markers are links:
 * Tab reaches them, Enter or a click opens the school. Sites without coordinates are listed beside.
 */
import { h, syncList } from '../dom.js';
import type { SiteSummary } from '../derive.js';
import { hasLocation, layoutMap, scaleBar, type MapLayout, type MapSite } from '../map-layout.js';
import { routeHref } from '../router.js';
import type { ViewContext } from './context.js';
import { statusBadge } from './widgets.js';

const SVG_NS = 'http://www.w3.org/2000/svg';
const BOX = { width: 1200, height: 820, pad: 40, padBottom: 64 };
const LABEL = { fontSize: 16, radius: 11 };
const STATUSES = ['offline', 'degraded', 'unknown', 'ok'] as const;

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}, ...children: (Node | string)[]): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  el.append(...children);
  return el;
}

interface Marker {
  link: SVGAElement;
  title: SVGTitleElement;
  count: SVGTextElement;
}

export class SchoolMap {
  private readonly svg = svg('svg', { class: 'school-map', viewBox: `0 0 ${BOX.width} ${BOX.height}`, role: 'group', 'data-testid': 'school-map' });
  private readonly grid = svg('g', { class: 'map-grid', 'aria-hidden': 'true' });
  private readonly decor = svg('g', { class: 'map-decor', 'aria-hidden': 'true' });
  private readonly layer = svg('g', { class: 'map-markers' });
  private readonly legendTitle = h('h3', { class: 'section-title section-title--small' });
  private readonly legend = h('ul', { class: 'map-legend' });
  private readonly hint = h('p', { class: 'hint' });
  private readonly unlocatedTitle = h('h3', { class: 'section-title section-title--small' });
  private readonly unlocated = h('ul', { class: 'map-unlocated', attrs: { 'data-testid': 'map-unlocated' } });
  private readonly markers = new Map<string, Marker>();
  private layoutKey = '';
  readonly root: HTMLElement;

  constructor(private readonly ctx: ViewContext) {
    this.svg.append(svg('rect', { class: 'map-bg', x: 0, y: 0, width: BOX.width, height: BOX.height, rx: 10 }), this.grid, this.decor, this.layer);
    this.root = h(
      'div',
      { class: 'map-wrap' },
      h('div', { class: 'map-canvas' }, this.svg),
      h('aside', { class: 'map-side' }, this.hint, this.legendTitle, this.legend, this.unlocatedTitle, this.unlocated),
    );
  }

  /** `schoolIds`: sites that are schools (the others are drawn as command centres). */
  render(summaries: readonly SiteSummary[], schoolIds: ReadonlySet<string>): void {
    const { i18n, store } = this.ctx;
    const critical = new Set(store.openAlarms().filter((a) => a.severity === 'critical' && !a.drill).map((a) => a.siteId));
    const located = summaries.filter((s) => hasLocation(s.site.location));
    const mapSites: MapSite[] = located.map((s) => ({ id: s.site.id, lat: s.site.location?.lat ?? 0, lon: s.site.location?.lon ?? 0, label: i18n.siteName(s.site, s.site.id) }));
    // Labels are placed once per language and set of sites: a change of state never moves them.
    const key = `${i18n.lang}|${mapSites.map((s) => `${s.id}@${s.lat},${s.lon}`).join(';')}`;
    if (key !== this.layoutKey) {
      this.layoutKey = key;
      this.build(layoutMap(mapSites, BOX, LABEL), mapSites, schoolIds);
    }
    this.svg.setAttribute('aria-label', i18n.t('map.label'));
    for (const s of located) {
      const m = this.markers.get(s.site.id);
      if (m) this.update(m, s, critical.has(s.site.id));
    }
    this.side(summaries.filter((s) => !hasLocation(s.site.location)), located.length);
  }

  private build(layout: MapLayout, sites: readonly MapSite[], schoolIds: ReadonlySet<string>): void {
    const { i18n } = this.ctx;
    const labels = new Map(sites.map((s) => [s.id, s.label]));
    this.markers.clear();
    const focused = (document.activeElement as Element | null)?.getAttribute('data-site-id');
    const r = LABEL.radius;
    const links = layout.sites.map((p) => {
      const school = schoolIds.has(p.id);
      const title = svg('title');
      const count = svg('text', { class: 'marker-count', x: p.x, y: p.y + 5, 'text-anchor': 'middle', 'aria-hidden': 'true' });
      const dot = school
        ? svg('circle', { class: 'marker-dot', cx: p.x, cy: p.y, r })
        : svg('rect', { class: 'marker-dot', x: p.x - r, y: p.y - r, width: 2 * r, height: 2 * r, rx: 3 });
      const link = svg(
        'a',
        { class: `map-marker${school ? '' : ' map-marker--command'}`, href: routeHref({ view: 'schools', siteId: p.id }), tabindex: 0, 'data-site-id': p.id },
        title,
        svg('circle', { class: 'marker-focus', cx: p.x, cy: p.y, r: r + 8 }),
        svg('circle', { class: 'marker-pulse', cx: p.x, cy: p.y, r: r + 5 }),
        svg('circle', { class: 'marker-ring', cx: p.x, cy: p.y, r: r + 5 }),
        dot,
        count,
        svg('text', { class: 'marker-label', x: p.label.x, y: p.label.y, 'text-anchor': p.label.anchor, 'aria-hidden': 'true' }, labels.get(p.id) ?? p.id),
      );
      link.addEventListener('keydown', (ev) => {
        // Enter follows an SVG link in Chromium already; Space too, as on the tiles' buttons.
        if (ev.key === 'Enter' || ev.key === ' ') {
          ev.preventDefault();
          this.ctx.navigate({ view: 'schools', siteId: p.id });
        }
      });
      this.markers.set(p.id, { link, title, count });
      return link;
    });
    this.layer.replaceChildren(...links);
    this.drawDecor(layout, i18n.t('map.north'));
    if (focused) this.markers.get(focused)?.link.focus({ preventScroll: true });
  }

  private update(m: Marker, s: SiteSummary, critical: boolean): void {
    const { i18n } = this.ctx;
    const command = m.link.classList.contains('map-marker--command');
    m.link.setAttribute('class', ['map-marker', command ? 'map-marker--command' : '', `status-${s.worst}`, critical ? 'has-critical' : '', s.unackedCritical > 0 ? 'is-unacked' : ''].filter(Boolean).join(' '));
    m.link.dataset.status = s.worst;
    m.link.dataset.critical = critical ? 'true' : 'false';
    m.link.dataset.alarms = String(s.openAlarms);
    const alarms = s.openAlarms > 0 ? i18n.t('schools.openAlarms', { n: s.openAlarms }) : i18n.t('schools.noAlarms');
    const text = i18n.t('map.marker', { name: i18n.siteName(s.site, s.site.id), status: i18n.status(s.worst), alarms });
    m.link.setAttribute('aria-label', text);
    if (m.title.textContent !== text) m.title.textContent = text;
    const n = s.openAlarms > 0 ? String(s.openAlarms > 9 ? '9+' : s.openAlarms) : '';
    if (m.count.textContent !== n) m.count.textContent = n;
  }

  /** A 1-km-style grid (the scale bar's step), the scale bar and north. */
  private drawDecor(layout: MapLayout, north: string): void {
    const bar = scaleBar(layout.kmPerUnit, 180);
    const lines: SVGElement[] = [];
    if (bar && bar.units >= 20) {
      for (let x = BOX.pad; x < BOX.width; x += bar.units) lines.push(svg('line', { x1: x, y1: 0, x2: x, y2: BOX.height }));
      for (let y = BOX.pad; y < BOX.height; y += bar.units) lines.push(svg('line', { x1: 0, y1: y, x2: BOX.width, y2: y }));
    }
    this.grid.replaceChildren(...lines);
    const y = BOX.height - 22;
    this.decor.replaceChildren(
      ...(bar
        ? [
            svg('path', { class: 'map-scale', d: `M 24 ${y - 6} V ${y} H ${24 + bar.units} V ${y - 6}` }),
            svg('text', { class: 'map-scale-text', x: 24 + bar.units + 8, y: y + 2 }, this.ctx.i18n.t('map.km', { n: bar.km })),
          ]
        : []),
      svg('path', { class: 'map-north', d: `M ${BOX.width - 36} 22 l 10 26 l -10 -7 l -10 7 z` }),
      svg('text', { class: 'map-north-text', x: BOX.width - 36, y: 66, 'text-anchor': 'middle' }, north),
    );
  }

  private side(unlocated: readonly SiteSummary[], locatedCount: number): void {
    const { i18n } = this.ctx;
    this.hint.textContent = locatedCount > 0 ? i18n.t('map.hint') : i18n.t('map.none');
    this.legendTitle.textContent = i18n.t('map.legend');
    const sig = i18n.lang;
    if (this.legend.dataset.sig !== sig) {
      this.legend.dataset.sig = sig;
      this.legend.replaceChildren(
        ...STATUSES.map((st) => h('li', { class: `legend-item status-${st}` }, h('span', { class: 'legend-dot', attrs: { 'aria-hidden': 'true' } }), i18n.status(st))),
        h('li', { class: 'legend-item' }, h('span', { class: 'legend-ring', attrs: { 'aria-hidden': 'true' } }), i18n.t('map.ring')),
        h('li', { class: 'legend-item' }, h('span', { class: 'legend-square', attrs: { 'aria-hidden': 'true' } }), i18n.t('map.command')),
      );
    }
    this.unlocatedTitle.textContent = i18n.t('map.unlocated', { n: unlocated.length });
    this.unlocatedTitle.hidden = unlocated.length === 0;
    this.unlocated.hidden = unlocated.length === 0;
    // Keyed rows keep their link (and its focus) across the many renders a live screen has.
    syncList(this.unlocated, unlocated, (s) => s.site.id, (s, el) => {
      const li = el ?? h('li', { attrs: { 'data-site-id': s.site.id } });
      const link = li.querySelector('a') ?? h('a', { attrs: { href: routeHref({ view: 'schools', siteId: s.site.id }) } });
      link.textContent = i18n.siteName(s.site, s.site.id);
      li.replaceChildren(link, ' ', statusBadge(this.ctx, s.worst), s.openAlarms > 0 ? h('span', { class: 'map-unlocated-alarms' }, ` ${i18n.t('schools.openAlarms', { n: s.openAlarms })}`) : '');
      return li;
    });
  }
}
