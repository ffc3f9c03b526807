/**
 * A school's history on its page: per button its battery and signal, per barrier its hydraulic
 * pressure, over the last 24 h or 7 days, and the school's availability (uptime) over the same
 * window, from the telemetry history API (GET /api/devices/:id/telemetry,
 * GET /api/sites/:id/availability). Shown only to a role with telemetry:read: without it nothing
 * is asked. Asked again every minute while the page is open, and at once on a range switch.
 */
import { h, setAttrs, setText } from '../dom.js';
import { clockTime } from '../format.js';
import type { DeviceView, SiteAvailability } from '../model.js';
import { bucketSize, FIELDS, fieldsOf, RANGE_KEYS, RANGES, rangeWindow, toColumns, uptimePercent, type Columns, type HistoryField, type RangeKey } from '../telemetry-history.js';
import type { RenderReason, ViewContext } from './context.js';
import { TimeChart } from './time-chart.js';

const REFRESH_MS = 60_000;
const CHART_HEIGHT = 180;
const DEFAULT_ZONE = 'Asia/Shanghai';

type ChartState = 'loading' | 'ready' | 'empty' | 'error';

interface ChartSlot {
  device: DeviceView;
  field: HistoryField;
  figure: HTMLElement;
  caption: HTMLElement;
  plot: HTMLElement;
  empty: HTMLElement;
  chart?: TimeChart;
  columns?: Columns;
  window?: { from: number; to: number; everyMs: number };
  error?: string;
}

interface DeviceCard {
  device: DeviceView;
  root: HTMLElement;
  name: HTMLElement;
  uptime: HTMLElement;
  slots: ChartSlot[];
}

export class DeviceHistory {
  private readonly title = h('h3', { class: 'section-title history-title' });
  private readonly rangeGroup = h('div', { class: 'range-switch', attrs: { role: 'group' } });
  private readonly rangeButtons = new Map<RangeKey, HTMLButtonElement>();
  private readonly siteUptime = h('p', { class: 'history-uptime', attrs: { 'data-testid': 'site-uptime' } });
  private readonly updated = h('p', { class: 'hint history-updated' });
  private readonly uptimeHint = h('p', { class: 'hint history-uptime-hint' });
  private readonly list = h('ul', { class: 'history-devices' });
  private readonly none = h('p', { class: 'hint' });
  readonly root: HTMLElement;
  private readonly cards = new Map<string, DeviceCard>();
  private range: RangeKey = '24h';
  private availability: SiteAvailability | undefined;
  private availabilityFailed = false;
  private loadedAt: number | undefined;
  /** Devices charted now (a sentinel before the first render). */
  private signature: string | undefined;
  private lang = '';
  /** Answers to an earlier load (an older range) are dropped. */
  private generation = 0;
  private timer: number | undefined;
  private disposed = false;

  constructor(
    private readonly ctx: ViewContext,
    private readonly siteId: string,
  ) {
    for (const key of RANGE_KEYS) {
      const button = h('button', { class: 'btn btn-small btn-secondary', attrs: { type: 'button', 'data-range': key } });
      button.addEventListener('click', () => this.setRange(key));
      this.rangeButtons.set(key, button);
      this.rangeGroup.append(button);
    }
    this.root = h(
      'section',
      { class: 'history', attrs: { 'data-testid': 'history', 'data-site-id': siteId } },
      h('div', { class: 'history-head' }, this.title, this.rangeGroup, this.siteUptime, this.updated),
      this.uptimeHint,
      this.none,
      this.list,
    );
    this.root.hidden = true;
  }

  dispose(): void {
    this.disposed = true;
    window.clearTimeout(this.timer);
    for (const card of this.cards.values()) for (const slot of card.slots) slot.chart?.destroy();
    this.cards.clear();
  }

  render(_reason: RenderReason): void {
    const { store, i18n } = this.ctx;
    const site = store.site(this.siteId);
    // Another school's page (404 for a school user) or a role without telemetry:read: nothing to ask.
    this.root.hidden = !site || !this.ctx.can('telemetry:read');
    if (this.root.hidden) return;

    const devices = store
      .devices()
      .filter((d) => d.siteId === this.siteId && fieldsOf(d.kind).length > 0)
      .sort((a, b) => a.kind.localeCompare(b.kind) || a.id.localeCompare(b.id));
    const signature = devices.map((d) => `${d.id}:${d.kind}`).join(',');
    const langChanged = this.lang !== i18n.lang;
    this.lang = i18n.lang;
    if (signature !== this.signature) {
      this.signature = signature;
      this.rebuild(devices);
      this.texts();
      this.scheduleLoad(0);
    } else if (langChanged) {
      // Axis dates and number formats are drawn in the language: draw the charts again.
      for (const card of this.cards.values()) for (const slot of card.slots) this.drawSlot(slot, true);
      this.texts();
    }
  }

  private setRange(range: RangeKey): void {
    if (range === this.range) return;
    this.range = range;
    this.availability = undefined;
    for (const card of this.cards.values()) for (const slot of card.slots) this.setState(slot, 'loading');
    this.texts();
    this.scheduleLoad(0);
  }

  private rebuild(devices: readonly DeviceView[]): void {
    for (const card of this.cards.values()) for (const slot of card.slots) slot.chart?.destroy();
    this.cards.clear();
    for (const device of devices) {
      const name = h('span', { class: 'history-device-name' });
      const uptime = h('span', { class: 'history-device-uptime', attrs: { 'data-uptime': '' } });
      const slots = fieldsOf(device.kind).map((field) => this.slot(device, field));
      const root = h(
        'li',
        { class: 'history-device', attrs: { 'data-device-id': device.id, 'data-kind': device.kind } },
        h('div', { class: 'history-device-head' }, name, h('span', { class: 'cell-id' }, device.id), uptime),
        h('div', { class: `history-charts history-charts--${slots.length}` }, slots.map((s) => s.figure)),
      );
      this.cards.set(device.id, { device, root, name, uptime, slots });
    }
    this.list.replaceChildren(...[...this.cards.values()].map((c) => c.root));
    this.none.hidden = devices.length > 0;
  }

  private slot(device: DeviceView, field: HistoryField): ChartSlot {
    const caption = h('figcaption', { class: 'chart-caption' });
    const plot = h('div', { class: 'chart-plot', attrs: { role: 'img' } });
    const empty = h('p', { class: 'chart-empty' });
    const figure = h('figure', { class: 'chart', attrs: { 'data-device-id': device.id, 'data-field': field, 'data-state': 'loading', 'data-points': 0 } }, caption, plot, empty);
    return { device, field, figure, caption, plot, empty };
  }

  /** Every string of the block in the current language. */
  private texts(): void {
    const { i18n } = this.ctx;
    setText(this.title, i18n.t('history.title'));
    this.rangeGroup.setAttribute('aria-label', i18n.t('history.range'));
    for (const [key, button] of this.rangeButtons) {
      setText(button, i18n.t(`history.range.${key}`));
      setAttrs(button, { 'aria-pressed': key === this.range ? 'true' : 'false' });
    }
    const rangeLabel = i18n.t(`history.range.${this.range}`);
    const a = this.availability;
    this.siteUptime.replaceChildren(
      i18n.t('history.uptimeSchool', { range: rangeLabel }),
      h('strong', {}, a && a.uptime >= 0 ? uptimePercent(a.uptime) : this.availabilityFailed ? '—' : i18n.t('history.loading')),
    );
    // Said on screen, not only on hover: a fresh gateway's figures start low for this reason.
    setText(this.uptimeHint, i18n.t('history.uptimeHint'));
    this.siteUptime.dataset.uptime = a ? String(a.uptime) : '';
    setText(this.updated, this.loadedAt ? i18n.t('history.updated', { time: clockTime(i18n, this.loadedAt) }) : '');
    setText(this.none, i18n.t('history.noDevices'));
    for (const card of this.cards.values()) {
      setText(card.name, card.device.name);
      const up = a?.devices[card.device.id];
      setText(card.uptime, up !== undefined ? i18n.t('history.uptimeDevice', { pct: uptimePercent(up) }) : '');
      card.uptime.dataset.uptime = up !== undefined ? String(up) : '';
      for (const slot of card.slots) this.slotTexts(slot);
    }
  }

  private slotTexts(slot: ChartSlot): void {
    const { i18n } = this.ctx;
    const spec = FIELDS[slot.field];
    const field = i18n.t(`history.field.${slot.field}`);
    const everyMs = slot.window?.everyMs ?? RANGES[this.range].everyMs;
    const size = bucketSize(everyMs);
    const per = i18n.t(size.unit === 'hours' ? 'history.hours' : 'history.minutes', { n: size.n });
    slot.caption.replaceChildren(h('span', { class: 'chart-field' }, `${field} (${spec.unit})`), h('span', { class: 'chart-bucket' }, ` · ${i18n.t('history.bucket', { n: per })}`));
    const state = slot.figure.dataset.state as ChartState;
    setText(slot.empty, state === 'error' ? i18n.t('history.failed', { msg: slot.error ?? '' }) : state === 'loading' && !slot.chart ? i18n.t('history.loading') : i18n.t('history.noData'));
    const range = i18n.t(`history.range.${this.range}`);
    const c = slot.columns;
    slot.plot.setAttribute(
      'aria-label',
      c && c.points > 0 && c.last !== null
        ? i18n.t('history.chartLabel', { device: slot.device.name, field, range, n: c.points, last: `${new Intl.NumberFormat(i18n.locale, { maximumFractionDigits: 1 }).format(c.last)} ${spec.unit}` })
        : i18n.t('history.chartLabelEmpty', { device: slot.device.name, field, range }),
    );
  }

  private setState(slot: ChartSlot, state: ChartState): void {
    slot.figure.dataset.state = state;
    slot.empty.hidden = state === 'ready' || (state === 'loading' && slot.chart !== undefined);
    slot.plot.hidden = !slot.chart;
    this.slotTexts(slot);
  }

  /** Draws (or clears) a slot from its columns; `fresh` rebuilds the chart (language changed). */
  private drawSlot(slot: ChartSlot, fresh = false): void {
    const c = slot.columns;
    const w = slot.window;
    if (fresh && slot.chart) {
      slot.chart.destroy();
      delete slot.chart;
    }
    slot.figure.dataset.points = String(c?.points ?? 0);
    slot.figure.dataset.last = c?.last !== null && c?.last !== undefined ? String(c.last) : '';
    if (!c || !w || c.points === 0) {
      slot.chart?.destroy();
      delete slot.chart;
      this.setState(slot, slot.error ? 'error' : c ? 'empty' : 'loading');
      return;
    }
    if (slot.chart) slot.chart.setData(c, w);
    else {
      // The plot must be laid out (a width) before uPlot measures it.
      slot.plot.hidden = false;
      const site = this.ctx.store.site(this.siteId);
      slot.chart = new TimeChart(slot.plot, c, w, {
        timeZone: site?.timeZone || DEFAULT_ZONE,
        locale: this.ctx.i18n.locale,
        unit: FIELDS[slot.field].unit,
        ...(FIELDS[slot.field].range ? { range: FIELDS[slot.field].range } : {}),
        height: CHART_HEIGHT,
      });
    }
    this.setState(slot, 'ready');
  }

  private scheduleLoad(delayMs: number): void {
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(() => void this.load(), delayMs);
  }

  private async load(): Promise<void> {
    if (this.disposed || !this.ctx.can('telemetry:read')) return;
    const gen = ++this.generation;
    const range = this.range;
    const win = rangeWindow(range, this.ctx.now());
    const slots = [...this.cards.values()].flatMap((c) => c.slots);
    const availability = this.ctx.api
      .siteAvailability(this.siteId, { from: win.from, to: win.to })
      .then((a) => {
        if (gen !== this.generation || this.disposed) return;
        this.availability = a;
        this.availabilityFailed = false;
      })
      .catch(() => {
        if (gen === this.generation) this.availabilityFailed = true;
      });
    const series = slots.map(async (slot) => {
      try {
        const s = await this.ctx.api.telemetry(slot.device.id, { field: slot.field, from: win.from, to: win.to, every: win.every });
        if (gen !== this.generation || this.disposed) return;
        slot.columns = toColumns(s);
        slot.window = { from: s.from, to: s.to, everyMs: s.everyMs };
        delete slot.error;
      } catch (err) {
        if (gen !== this.generation || this.disposed) return;
        slot.error = (err as Error).message;
        delete slot.columns;
      }
      this.drawSlot(slot);
    });
    await Promise.all([availability, ...series]);
    if (gen !== this.generation || this.disposed) return;
    this.loadedAt = this.ctx.now();
    this.texts();
    this.scheduleLoad(REFRESH_MS);
  }
}
