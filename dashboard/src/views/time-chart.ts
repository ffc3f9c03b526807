/**
 * One time series drawn with uPlot (canvas; no eval, no injected <style>, so it runs under the
 * gateway's CSP `default-src 'self'`). Axes and the hover tooltip give wall-clock times in the
 * school's time zone; the x range is the whole window asked for, so a device that reported
 * once shows as one dot at its time, not as a chart stretched around a single point.
 */
import uPlot, { type AlignedData, type Options } from 'uplot';
import { h } from '../dom.js';
import { isolatedIndices, paddedRange, timeTickLabels, type Columns } from '../telemetry-history.js';

export interface TimeChartOptions {
  /** The school's IANA zone (SiteView.timeZone). */
  timeZone: string;
  /** BCP 47 locale of the current language, for dates and numbers. */
  locale: string;
  unit: string;
  /** Fixed y range (battery %), else fitted to the data. */
  range?: [number, number];
  height: number;
}

const LINE = '#5ab0ff';
const FILL = 'rgba(90, 176, 255, 0.14)';
const AXIS = '#a9b6c3';
const GRID = '#243140';
const FONT = '14px "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", system-ui, sans-serif';

export class TimeChart {
  private readonly plot: uPlot;
  private readonly tip = h('div', { class: 'chart-tip', attrs: { role: 'presentation' } });
  private readonly resize: ResizeObserver;
  private readonly numberFmt: Intl.NumberFormat;
  private readonly tipTimeFmt: Intl.DateTimeFormat;

  constructor(
    private readonly host: HTMLElement,
    columns: Columns,
    window: { from: number; to: number },
    private readonly opts: TimeChartOptions,
  ) {
    this.numberFmt = new Intl.NumberFormat(opts.locale, { maximumFractionDigits: 1 });
    this.tipTimeFmt = new Intl.DateTimeFormat(opts.locale, { timeZone: opts.timeZone, month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    const dayFmt = new Intl.DateTimeFormat(opts.locale, { timeZone: 'UTC', month: 'numeric', day: 'numeric' });
    const dateLabel = (month: number, day: number) => dayFmt.format(Date.UTC(2000, month - 1, day));
    const options: Options = {
      width: this.width(),
      height: opts.height,
      ms: 1,
      // Ticks fall on the school's whole hours and midnights, whatever zone the browser is in.
      tzDate: (ts) => uPlot.tzDate(new Date(ts), opts.timeZone),
      legend: { show: false },
      // Hovering an empty bucket shows the nearest one with a value.
      cursor: { drag: { x: false, y: false, setScale: false }, points: { size: 9, fill: LINE }, hover: { skip: [null, undefined] } },
      scales: {
        x: { time: true, range: [window.from, window.to] },
        y: { range: opts.range ? opts.range : (_u, min, max) => paddedRange(min, max) },
      },
      axes: [
        {
          stroke: AXIS,
          font: FONT,
          grid: { stroke: GRID, width: 1 },
          ticks: { stroke: GRID, width: 1 },
          space: 70,
          size: 34,
          values: (_u, splits, _axis, _space, incr) => timeTickLabels(splits, incr, opts.timeZone, dateLabel),
        },
        {
          stroke: AXIS,
          font: FONT,
          size: 56,
          grid: { stroke: GRID, width: 1 },
          ticks: { stroke: GRID, width: 1 },
          values: (_u, splits) => splits.map((v) => this.numberFmt.format(v)),
        },
      ],
      series: [
        {},
        {
          stroke: LINE,
          fill: FILL,
          width: 2,
          spanGaps: false,
          // A value between two empty buckets has no line to be part of: draw it as a dot.
          points: { show: false, size: 7, fill: LINE, filter: (u, si, show) => (show ? null : isolatedIndices(u.data[si] ?? [])) },
        },
      ],
      hooks: { setCursor: [(u) => this.showTip(u)] },
    };
    this.plot = new uPlot(options, this.data(columns), host);
    this.plot.over.append(this.tip);
    this.tip.hidden = true;
    this.resize = new ResizeObserver(() => {
      const width = this.width();
      if (width !== this.plot.width) this.plot.setSize({ width, height: opts.height });
    });
    this.resize.observe(host);
  }

  setData(columns: Columns, window: { from: number; to: number }): void {
    this.plot.batch(() => {
      this.plot.setData(this.data(columns), false);
      this.plot.setScale('x', { min: window.from, max: window.to });
    });
  }

  destroy(): void {
    this.resize.disconnect();
    this.plot.destroy();
  }

  private data(columns: Columns): AlignedData {
    return [columns.xs, columns.ys];
  }

  private width(): number {
    return Math.max(200, Math.floor(this.host.clientWidth || 480));
  }

  /** The hovered bucket: its local time and mean, beside the cursor. */
  private showTip(u: uPlot): void {
    const idx = u.cursor.idxs?.[1] ?? u.cursor.idx;
    const x = idx === null || idx === undefined ? undefined : u.data[0][idx];
    const y = idx === null || idx === undefined ? undefined : u.data[1]?.[idx];
    if (x === undefined || y === undefined || y === null) {
      this.tip.hidden = true;
      return;
    }
    this.tip.replaceChildren(h('span', { class: 'chart-tip-time' }, this.tipTimeFmt.format(x)), h('strong', {}, `${this.numberFmt.format(y)} ${this.opts.unit}`));
    this.tip.hidden = false;
    const left = u.valToPos(x, 'x');
    const top = u.valToPos(y, 'y');
    // Keep the box inside the plot: to the cursor's left in the right half, below a point near the top.
    const below = top < 52;
    this.tip.style.left = `${Math.round(left)}px`;
    this.tip.style.top = `${Math.round(below ? top + 8 : top - 8)}px`;
    this.tip.classList.toggle('chart-tip--left', left > u.over.clientWidth / 2);
    this.tip.classList.toggle('chart-tip--below', below);
  }
}
