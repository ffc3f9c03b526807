/**
 * One school: its devices with their health in plain words (and the self-test or barrier
 * controls the role grants), its open alarms and recent history, its drills (drills:read) and
 * its protection windows, and its history charts (device-history.ts, telemetry:read).
 */
import { h, syncList } from '../dom.js';
import { worstStatus } from '../derive.js';
import { dateTime, formatDays, relTime } from '../format.js';
import { STATUS_RANK, type Alarm, type DeviceView } from '../model.js';
import { routeHref } from '../router.js';
import type { UiKey } from '../i18n/dictionary.js';
import type { RenderReason, View, ViewContext } from './context.js';
import { CameraLivePanel } from './camera-live.js';
import { DeviceControls } from './device-controls.js';
import { DeviceHistory } from './device-history.js';
import { DrillPanel } from './drill-panel.js';
import { loweredInWindow, stateCell } from './device-state.js';
import { reasonList, severityBadge, statusBadge } from './widgets.js';

const DEVICE_COLUMNS: readonly UiKey[] = ['col.device', 'col.kind', 'col.status', 'col.state', 'col.reasons', 'col.lastSeen'];

export class SchoolDetailView implements View {
  private readonly head = h('div', { class: 'view-head' });
  private readonly openTitle = h('h3', { class: 'section-title' });
  private readonly openList = h('ul', { class: 'mini-alarms' });
  private readonly devicesTitle = h('h3', { class: 'section-title' });
  private readonly devicesBody = h('tbody');
  private readonly devicesHead = h('thead');
  private readonly historyTitle = h('h3', { class: 'section-title' });
  private readonly historyList = h('ul', { class: 'mini-alarms mini-alarms--history' });
  private readonly windows = h('p', { class: 'windows' });
  private readonly charts: DeviceHistory;
  private readonly drills: DrillPanel | undefined;
  private readonly controls: DeviceControls;
  private readonly live: CameraLivePanel;
  /** The device table has an actions column (some device has a control for this role). */
  private actionsColumn = false;
  private history: Alarm[] = [];
  private disposed = false;
  readonly root: HTMLElement;

  constructor(
    private readonly ctx: ViewContext,
    private readonly siteId: string,
  ) {
    this.drills = ctx.can('drills:read') ? new DrillPanel(ctx, siteId) : undefined;
    this.controls = new DeviceControls(ctx);
    this.live = new CameraLivePanel(ctx);
    this.charts = new DeviceHistory(ctx, siteId);
    this.root = h(
      'section',
      { class: 'view school', attrs: { 'data-view': 'school', 'data-site-id': siteId } },
      this.head,
      h(
        'div',
        { class: 'school-cols' },
        h('div', { class: 'school-main' }, this.live.root, this.devicesTitle, h('table', { class: 'data-table devices-table' }, this.devicesHead, this.devicesBody), this.charts.root),
        h('div', { class: 'school-side' }, this.drills?.root, this.openTitle, this.openList, this.historyTitle, this.historyList, this.windows),
      ),
    );
    void this.loadHistory();
  }

  dispose(): void {
    this.disposed = true;
    this.drills?.dispose();
    this.controls.dispose();
    this.live.dispose();
    this.charts.dispose();
  }

  private async loadHistory(): Promise<void> {
    try {
      const list = await this.ctx.api.alarms({ site: this.siteId, limit: 20 });
      if (this.disposed) return;
      this.history = list;
      this.render('alarms');
    } catch {
      // History is a convenience: the live part of the page stands without it.
    }
  }

  render(_reason: RenderReason): void {
    const { store, i18n } = this.ctx;
    const site = store.site(this.siteId);
    const devices = store
      .devices()
      .filter((d) => d.siteId === this.siteId)
      .sort((a, b) => (STATUS_RANK[store.healthOf(a).status] ?? 2) - (STATUS_RANK[store.healthOf(b).status] ?? 2) || a.id.localeCompare(b.id));
    const worst = worstStatus(devices.map((d) => store.healthOf(d).status));
    this.head.replaceChildren(
      h('a', { class: 'back-link', attrs: { href: routeHref({ view: 'schools' }) } }, i18n.t('school.back')),
      h('h2', { class: 'school-title' }, site ? i18n.siteName(site, site.id) : i18n.t('school.notFound', { id: this.siteId }), ' ', site ? statusBadge(this.ctx, worst) : null),
    );
    if (this.drills) this.drills.root.hidden = !site;
    if (!site) return;
    this.drills?.render();

    this.devicesTitle.textContent = `${i18n.t('school.devices')} (${devices.length})`;
    this.actionsColumn = this.controls.any(devices);
    const columns: readonly UiKey[] = this.actionsColumn ? [...DEVICE_COLUMNS, 'device.actions'] : DEVICE_COLUMNS;
    this.devicesHead.replaceChildren(
      h('tr', {}, columns.map((k) => h('th', { attrs: { scope: 'col' } }, i18n.t(k)))),
    );
    syncList(this.devicesBody, devices, (d) => d.id, (d, el) => this.deviceRow(d, el));
    this.live.render();
    this.charts.render(_reason);

    const open = store.openAlarms().filter((a) => a.siteId === this.siteId);
    this.openTitle.textContent = `${i18n.t('school.openAlarms')} (${open.length})`;
    this.openList.replaceChildren(...(open.length ? open.map((a) => this.miniAlarm(a)) : [h('li', { class: 'hint' }, i18n.t('board.noneOpen'))]));

    this.historyTitle.textContent = i18n.t('school.history');
    // The fetched history, with anything newer the live feed knows of.
    const merged = this.history.map((a) => store.alarm(a.id) ?? a);
    this.historyList.replaceChildren(...(merged.length ? merged.map((a) => this.miniAlarm(a)) : [h('li', { class: 'hint' }, i18n.t('school.noHistory'))]));

    this.windows.replaceChildren(
      h('strong', {}, `${i18n.t('school.windows')}: `),
      site.protectionWindows
        .map((w) => `${w.label ? `${w.label} ` : ''}${w.start}–${w.end} (${formatDays(i18n, w.days)})`)
        .join(i18n.lang === 'zh' ? '；' : '; '),
    );
  }

  private deviceRow(d: DeviceView, existing: HTMLElement | undefined): HTMLElement {
    const health = this.ctx.store.healthOf(d);
    const now = this.ctx.now();
    const tr = existing ?? h('tr');
    const site = this.ctx.store.site(d.siteId);
    const alert = loweredInWindow(d, site, now);
    tr.className = `status-${health.status}${alert ? ' row-alert' : ''}`;
    tr.dataset.deviceId = d.id;
    if (alert) tr.dataset.alert = 'down-in-window';
    else delete tr.dataset.alert;
    tr.dataset.status = health.status;
    tr.replaceChildren(
      h(
        'td',
        { class: 'cell-name' },
        d.name,
        h('div', { class: 'cell-id' }, d.id),
        d.kind === 'alarm-button'
          ? h(
              'div',
              { class: 'cell-linktest' },
              d.linkTest ? [`${this.ctx.i18n.t('school.linkTest')}: `, relTime(this.ctx.i18n, d.linkTest.at, 'ago', now), ` · ${d.linkTest.latencyMs} ms`] : this.ctx.i18n.t('school.noLinkTest'),
            )
          : null,
        this.live.button(d),
      ),
      h('td', {}, this.ctx.i18n.kind(d.kind)),
      h('td', {}, statusBadge(this.ctx, health.status)),
      h('td', { class: 'cell-state' }, stateCell(this.ctx, d, site)),
      h('td', {}, reasonList(this.ctx, health)),
      h('td', {}, health.lastSeen ? relTime(this.ctx.i18n, health.lastSeen, 'ago', now) : '—'),
      ...(this.actionsColumn ? [h('td', { class: 'cell-actions' }, this.controls.cell(d))] : []),
    );
    return tr;
  }

  private miniAlarm(a: Alarm): HTMLElement {
    const { i18n } = this.ctx;
    return h(
      'li',
      { class: `mini-alarm sev-${a.severity} state-${a.state}${a.drill ? ' is-drill' : ''}`, attrs: { 'data-alarm-id': a.id, 'data-drill': a.drill ? 'true' : undefined } },
      h(
        'a',
        { attrs: { href: routeHref({ view: 'board', alarmId: a.id }) } },
        severityBadge(this.ctx, a.severity),
        a.drill ? h('span', { class: 'tag tag-drill' }, i18n.t('drill.tag')) : null,
        ` ${i18n.alarmType(a.type)} · ${this.ctx.store.device(a.deviceId ?? '')?.name ?? a.deviceId ?? ''} · `,
        h('span', { class: 'mini-time' }, dateTime(i18n, a.raisedAt, this.ctx.now())),
        ` · ${i18n.alarmState(a.state)}`,
      ),
    );
  }
}
