/**
 * One clock view: every device and link that reports its time (MQTT, DC-09, ONVIF, the 110
 * centre's NAK), the furthest off first, refreshed every 10 s; beyond the limit a row stands
 * out. A wrong clock breaks evidence (video timestamps) and DC-09 time windows.
 */
import { h, syncList } from '../dom.js';
import { relTime } from '../format.js';
import type { UiKey } from '../i18n/dictionary.js';
import type { ClockDriftView } from '../model.js';
import { routeHref } from '../router.js';
import { siteName, type RenderReason, type View, type ViewContext } from './context.js';

type Clock = ClockDriftView['clocks'][number];

const COLUMNS: readonly UiKey[] = ['col.school', 'col.device', 'col.kind', 'clock.col.source', 'clock.col.drift', 'clock.col.measured'];
const SOURCES = new Set(['mqtt', 'dc09', 'onvif', '110-nak']);

export class ClockView implements View {
  private readonly title = h('h2', { class: 'section-title' });
  private readonly summary = h('p', { class: 'outage-summary', attrs: { 'data-testid': 'clock-summary' } });
  /** Cluster mode: the nodes that did not answer, so a partial list is never taken for the whole. */
  private readonly partial = h('p', { class: 'clock-partial', attrs: { 'data-testid': 'clock-partial', role: 'status' } });
  private readonly thead = h('thead');
  private readonly tbody = h('tbody');
  private readonly none = h('p', { class: 'empty-state' });
  readonly root = h(
    'section',
    { class: 'view clock-view', attrs: { 'data-view': 'clock' } },
    h('div', { class: 'view-head' }, this.title, this.summary),
    this.partial,
    h('table', { class: 'data-table clock-table' }, this.thead, this.tbody),
    this.none,
  );
  private data: ClockDriftView | undefined;
  private timer: number | undefined;
  private disposed = false;

  constructor(private readonly ctx: ViewContext) {
    void this.load();
    this.timer = window.setInterval(() => void this.load(), 10_000);
  }

  /** Cluster mode: the gateway names the nodes its answer covers. */
  private get cluster(): boolean {
    return this.data?.nodes !== undefined;
  }

  dispose(): void {
    this.disposed = true;
    window.clearInterval(this.timer);
  }

  private async load(): Promise<void> {
    try {
      const data = await this.ctx.api.clockDrift();
      if (this.disposed) return;
      this.data = data;
      this.render('init');
    } catch {
      // The next refresh tries again.
    }
  }

  render(_reason: RenderReason): void {
    const { i18n } = this.ctx;
    this.title.textContent = i18n.t('clock.title');
    const clocks = this.data?.clocks ?? [];
    const limit = this.data?.limitSeconds ?? 0;
    this.summary.textContent = i18n.t('clock.summary', { n: clocks.length, m: clocks.filter((c) => c.over).length, limit });
    const missing = (this.data?.nodes ?? []).filter((n) => !n.answered);
    this.partial.textContent = missing.length > 0 ? i18n.t('clock.partial', { nodes: missing.map((n) => n.id).join(', ') }) : '';
    this.partial.title = missing.map((n) => `${n.id}: ${n.error ?? ''}`).join('\n');
    this.partial.hidden = missing.length === 0;
    // Cluster mode: which node measured each clock (the one its device is connected to).
    const columns = this.cluster ? [...COLUMNS, 'clock.col.node' as const] : COLUMNS;
    this.thead.replaceChildren(h('tr', {}, columns.map((k) => h('th', { attrs: { scope: 'col' } }, i18n.t(k)))));
    // The gateway sorts them, furthest off first; kept here so a refresh never reorders by chance.
    const sorted = [...clocks].sort((a, b) => Math.abs(b.driftSeconds) - Math.abs(a.driftSeconds) || a.deviceId.localeCompare(b.deviceId));
    syncList(this.tbody, sorted, (c) => c.deviceId, (c, el) => this.row(c, el));
    this.none.textContent = i18n.t('clock.none');
    this.none.hidden = clocks.length > 0;
  }

  private row(c: Clock, existing: HTMLElement | undefined): HTMLElement {
    const { i18n } = this.ctx;
    const tr = existing ?? h('tr');
    tr.className = c.over ? 'status-degraded' : '';
    tr.dataset.deviceId = c.deviceId;
    tr.dataset.over = c.over ? 'true' : 'false';
    const s = Math.abs(c.driftSeconds);
    const drift = s < 1 ? i18n.t('clock.exact') : i18n.t(c.driftSeconds > 0 ? 'clock.ahead' : 'clock.behind', { s: Math.round(s * 10) / 10 });
    tr.replaceChildren(
      h('td', {}, h('a', { attrs: { href: routeHref({ view: 'schools', siteId: c.siteId }) } }, siteName(this.ctx, c.siteId))),
      h('td', { class: 'cell-name' }, c.name, h('div', { class: 'cell-id' }, c.deviceId)),
      h('td', {}, i18n.kind(c.kind)),
      h('td', {}, SOURCES.has(c.source) ? i18n.t(`clock.source.${c.source}` as UiKey) : i18n.t('clock.source.telemetry')),
      h('td', { class: 'cell-drift', attrs: { 'data-drift': String(c.driftSeconds) } }, drift),
      h('td', {}, relTime(i18n, c.measuredAt, 'ago', this.ctx.now())),
      ...(this.cluster ? [h('td', { class: 'cell-node' }, c.node ?? '')] : []),
    );
    return tr;
  }
}
