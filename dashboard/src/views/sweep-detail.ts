/**
 * One health sweep: its state and progress bar, the "N of 33 schools" summary, cancel while
 * it runs, the sealed report's downloads once it ends, and every result, failing first, with
 * its reasons in plain words (the same translations as the outage list).
 */
import { h, setAttrs, setText, syncList } from '../dom.js';
import { dateTime } from '../format.js';
import { STATUS_RANK, type SweepResult, type SweepView } from '../model.js';
import type { UiKey } from '../i18n/dictionary.js';
import { deviceName, siteName, type ViewContext } from './context.js';
import { errorText } from './errors.js';
import { reasonText, statusBadge } from './widgets.js';

const RESULT_COLUMNS: readonly UiKey[] = ['col.school', 'col.device', 'col.kind', 'col.status', 'col.reasons', 'col.evidence', 'col.method', 'col.duration'];
/** Evidence values longer than this (snapshot thumbnails as data: URLs) are left to the reports. */
const EVIDENCE_MAX = 80;

/** Failing first (offline, degraded, unknown, ok), then by school and device. */
export function resultOrder(a: SweepResult, b: SweepResult): number {
  return (STATUS_RANK[a.status] ?? 2) - (STATUS_RANK[b.status] ?? 2) || a.siteId.localeCompare(b.siteId) || a.deviceId.localeCompare(b.deviceId);
}

/** An evidence value in words where the gateway's vocabulary has them. */
function evidenceValue(ctx: ViewContext, key: string, value: string | number | boolean): string {
  if (key === 'trackerStatus') return ctx.i18n.status(String(value));
  // sweep-passive.ts: -1 = never heard from since the gateway started.
  if (key === 'lastSeenAgeS' && value === -1) return '—';
  if (key === 'selfTest') return ctx.i18n.dataValue(String(value));
  return String(value);
}

export interface SweepDetailActions {
  /** Absent for a role without sweeps:run: no cancel button. */
  cancel?(id: string): void;
}

export class SweepDetail {
  readonly root: HTMLElement;
  private readonly title = h('h2', { class: 'section-title' });
  private readonly state = h('span', { class: 'sweep-state', attrs: { 'data-testid': 'sweep-state' } });
  private readonly bar = h('div', { class: 'progress-fill' });
  private readonly progress = h(
    'div',
    { class: 'progress', attrs: { role: 'progressbar', 'aria-valuemin': 0, 'data-testid': 'sweep-progress' } },
    this.bar,
  );
  private readonly progressText = h('p', { class: 'progress-text' });
  private readonly summary = h('p', { class: 'sweep-summary', attrs: { 'data-testid': 'sweep-summary' } });
  private readonly cancelButton = h('button', { class: 'btn btn-secondary', attrs: { type: 'button', 'data-action': 'cancel-sweep' } });
  private readonly reports = h('p', { class: 'sweep-reports', attrs: { 'data-testid': 'sweep-reports' } });
  private readonly resultsTitle = h('h3', { class: 'section-title' });
  private readonly head = h('thead');
  private readonly body = h('tbody');
  private readonly empty = h('p', { class: 'hint' });
  private sweep: SweepView | undefined;

  constructor(
    private readonly ctx: ViewContext,
    private readonly actions: SweepDetailActions,
  ) {
    this.cancelButton.addEventListener('click', () => {
      if (this.sweep) actions.cancel?.(this.sweep.id);
    });
    this.root = h(
      'div',
      { class: 'sweep-detail', attrs: { 'data-testid': 'sweep-detail' } },
      h('div', { class: 'sweep-head' }, this.title, this.state, this.cancelButton),
      this.progress,
      this.progressText,
      this.summary,
      this.reports,
      this.resultsTitle,
      h('table', { class: 'data-table sweep-results', attrs: { 'data-testid': 'sweep-results' } }, this.head, this.body),
      this.empty,
    );
  }

  show(sweep: SweepView | undefined): void {
    this.sweep = sweep;
    this.render();
  }

  render(): void {
    const { i18n } = this.ctx;
    const s = this.sweep;
    this.root.hidden = !s;
    if (!s) return;
    this.root.dataset.sweepId = s.id;
    this.root.dataset.state = s.state;
    setText(this.title, `${s.name ?? i18n.t('sweeps.title')} · ${dateTime(i18n, s.createdAt, this.ctx.now())}`);
    setText(this.state, i18n.sweepState(s.state));
    this.state.className = `sweep-state sweep-state-${s.state}`;

    const { done, total } = s.progress;
    const pct = total > 0 ? Math.round((done / total) * 100) : 100;
    this.bar.style.width = `${pct}%`;
    setAttrs(this.progress, { 'aria-valuemax': total, 'aria-valuenow': done, 'aria-label': i18n.t('col.progress'), 'data-done': done, 'data-total': total });
    setText(this.progressText, i18n.t('sweeps.progress', { done, total }));

    setText(this.cancelButton, i18n.t('sweeps.cancel'));
    this.cancelButton.hidden = s.state !== 'running' || !this.actions.cancel;

    const results = [...(s.results ?? [])].sort(resultOrder);
    this.renderSummary(s, results);
    this.renderReports(s);

    setText(this.resultsTitle, i18n.t('sweeps.results'));
    this.head.replaceChildren(h('tr', {}, RESULT_COLUMNS.map((k) => h('th', { attrs: { scope: 'col' } }, i18n.t(k)))));
    syncList(this.body, results, (r) => r.deviceId, (r, el) => this.row(r, el));
    const failing = results.some((r) => r.status !== 'ok');
    this.empty.textContent = results.length === 0 ? i18n.t('sweeps.noResults') : failing || s.state === 'running' ? '' : i18n.t('sweeps.allOk');
    this.empty.hidden = this.empty.textContent === '';
  }

  /** The sealed summary once it ends; while it runs, counted from the results so far. */
  private renderSummary(s: SweepView, results: readonly SweepResult[]): void {
    const { i18n } = this.ctx;
    const schools = this.ctx.store.schoolIds();
    const selected = s.selection.sites?.length ? s.selection.sites : [...schools];
    const sitesTotal = s.summary?.sites.total ?? selected.length;
    const failingSites = s.summary?.sites.failing ?? new Set(results.filter((r) => r.status !== 'ok').map((r) => r.siteId)).size;
    const ok = s.summary?.ok ?? results.filter((r) => r.status === 'ok').length;
    const failing = s.summary?.failing ?? results.length - ok;
    this.summary.replaceChildren(
      h('strong', { attrs: { 'data-failing-sites': failingSites, 'data-sites': sitesTotal } }, i18n.t('sweeps.summarySchools', { m: failingSites, total: sitesTotal })),
      ' · ',
      h('span', { attrs: { 'data-ok': ok, 'data-failing': failing } }, i18n.t('sweeps.summaryDevices', { ok, failing })),
    );
  }

  private renderReports(s: SweepView): void {
    const { i18n, api } = this.ctx;
    if (s.state === 'running' || !s.report) {
      this.reports.replaceChildren(h('span', { class: 'hint' }, i18n.t('sweeps.reportPending')));
      return;
    }
    // The href says where the report is; the click fetches it with the session's token (a
    // plain link would go without the Authorization header and be refused).
    const link = (format: 'json' | 'csv' | 'html', key: UiKey) =>
      h(
        'a',
        {
          class: 'btn btn-small btn-secondary',
          attrs: { href: api.sweepReportUrl(s.id, format), 'data-format': format, ...(format === 'html' ? { target: '_blank', rel: 'noopener' } : { download: `sweep-${s.id}.${format}` }) },
          on: {
            click: (ev) => {
              ev.preventDefault();
              void this.download(s.id, format);
            },
          },
        },
        i18n.t(key),
      );
    this.reports.replaceChildren(
      h('strong', {}, `${i18n.t('sweeps.reports')}: `),
      link('json', 'sweeps.reportJson'),
      ' ',
      link('csv', 'sweeps.reportCsv'),
      ' ',
      link('html', 'sweeps.reportHtml'),
    );
  }

  private async download(id: string, format: 'json' | 'csv' | 'html'): Promise<void> {
    let url: string;
    try {
      url = URL.createObjectURL(await this.ctx.api.report(id, format));
    } catch (err) {
      this.ctx.toast(this.ctx.i18n.t('sweeps.reportFailed', { msg: errorText(this.ctx, err) }), 'error');
      return;
    }
    if (format === 'html') {
      window.open(url, '_blank');
    } else {
      const a = h('a', { attrs: { href: url, download: `sweep-${id}.${format}`, hidden: true } });
      document.body.append(a);
      a.click();
      a.remove();
    }
    // The new tab or the download has the blob by then.
    window.setTimeout(() => URL.revokeObjectURL(url), 60_000);
  }

  private row(r: SweepResult, existing: HTMLElement | undefined): HTMLElement {
    const { i18n } = this.ctx;
    const tr = existing ?? h('tr');
    tr.className = `status-${r.status}`;
    setAttrs(tr, { 'data-device-id': r.deviceId, 'data-status': r.status });
    const evidence = Object.entries(r.evidence)
      .filter(([, v]) => String(v).length <= EVIDENCE_MAX)
      .map(([k, v]) => `${i18n.dataKey(k)}: ${evidenceValue(this.ctx, k, v)}`);
    tr.replaceChildren(
      h('td', {}, siteName(this.ctx, r.siteId)),
      h('td', { class: 'cell-name' }, deviceName(this.ctx, r.deviceId), h('div', { class: 'cell-id' }, r.deviceId)),
      h('td', {}, i18n.kind(r.kind)),
      h('td', {}, statusBadge(this.ctx, r.status)),
      h(
        'td',
        {},
        h(
          'ul',
          { class: 'reasons' },
          r.reasons.map((x) =>
            h('li', { attrs: { 'data-reason': x.code } }, h('span', { class: 'reason-text' }, reasonText(this.ctx, x.code)), x.detail ? h('span', { class: 'reason-detail' }, ` (${x.detail})`) : null),
          ),
        ),
      ),
      h('td', { class: 'cell-evidence' }, evidence.join(' · ')),
      h('td', {}, i18n.t(r.method === 'active' ? 'sweeps.method.active' : 'sweeps.method.passive')),
      h('td', {}, i18n.t('unit.seconds', { n: (r.durationMs / 1000).toFixed(1) })),
    );
    return tr;
  }
}
