/**
 * A drill's report (#/drills/<id>): when and by whom it ran, and for every alarm raised during
 * it the time to the 110 centre's ACK of the test report, the time to acknowledgement on the
 * board and by whom, and who confirmed each broadcast and when.
 */
import { ApiError } from '../api.js';
import { append, h } from '../dom.js';
import { clockTime, dateTime } from '../format.js';
import type { Drill, DrillAlarmReport } from '../model.js';
import { routeHref } from '../router.js';
import { actorName, deviceName, siteName, type RenderReason, type View, type ViewContext } from './context.js';
import { errorText } from './errors.js';

export class DrillReportView implements View {
  readonly root: HTMLElement;
  private readonly head = h('div', { class: 'view-head' });
  private readonly facts = h('dl', { class: 'drill-facts' });
  private readonly alarms = h('div', { class: 'drill-alarms', attrs: { 'data-testid': 'drill-alarms' } });
  private drill: Drill | undefined;
  private error = '';
  private disposed = false;

  constructor(
    private readonly ctx: ViewContext,
    private readonly drillId: string,
  ) {
    this.root = h('section', { class: 'view drill-report', attrs: { 'data-view': 'drill', 'data-drill-id': drillId } }, this.head, this.facts, this.alarms);
    void this.load();
  }

  dispose(): void {
    this.disposed = true;
  }

  private async load(): Promise<void> {
    try {
      const d = await this.ctx.api.drill(this.drillId);
      if (this.disposed) return;
      this.drill = d;
    } catch (err) {
      if (this.disposed) return;
      this.error = err instanceof ApiError && err.status === 404 ? this.ctx.i18n.t('drill.notFound', { id: this.drillId }) : errorText(this.ctx, err);
    }
    this.render('route');
  }

  render(_reason: RenderReason): void {
    const { i18n } = this.ctx;
    const d = this.drill;
    this.head.replaceChildren();
    append(this.head, [
      d ? h('a', { class: 'back-link', attrs: { href: routeHref({ view: 'schools', siteId: d.siteId }) } }, i18n.t('drill.back')) : null,
      h('h2', { class: 'school-title' }, h('span', { class: 'tag tag-drill' }, i18n.t('drill.tag')), ' ', d ? i18n.t('drill.reportTitle', { school: siteName(this.ctx, d.siteId) }) : this.error || i18n.t('drill.loading')),
    ]);
    if (!d) {
      this.facts.replaceChildren();
      this.alarms.replaceChildren();
      return;
    }
    this.root.dataset.state = d.state;
    const now = this.ctx.now();
    const fact = (key: Parameters<typeof i18n.t>[0], value: string) => [h('dt', {}, i18n.t(key)), h('dd', {}, value)];
    this.facts.replaceChildren(
      ...fact('drill.period', `${dateTime(i18n, d.startedAt, now)} – ${d.endedAt ? clockTime(i18n, d.endedAt) : '…'} · ${i18n.t(d.state === 'running' ? 'drill.stateRunning' : 'drill.stateEnded')}`),
      ...fact('drill.startedBy', actorName(this.ctx, d.startedBy)),
      ...(d.endedBy ? fact('drill.endedBy', actorName(this.ctx, d.endedBy)) : []),
    );
    if (!d.report) {
      this.alarms.replaceChildren(h('p', { class: 'hint' }, i18n.t('drill.reportPending')));
      return;
    }
    const list = d.report.alarms;
    this.alarms.replaceChildren(
      h('h3', { class: 'section-title' }, i18n.t('drill.alarms', { n: list.length })),
      ...(list.length ? list.map((a) => this.alarm(a)) : [h('p', { class: 'hint' }, i18n.t('drill.noAlarms'))]),
    );
  }

  private seconds(ms: number | undefined): string {
    return ms === undefined ? this.ctx.i18n.t('drill.notReached') : this.ctx.i18n.t('unit.seconds', { n: (ms / 1000).toFixed(1) });
  }

  private alarm(a: DrillAlarmReport): HTMLElement {
    const { i18n } = this.ctx;
    const now = this.ctx.now();
    const metric = (key: Parameters<typeof i18n.t>[0], value: string, name: string) => h('div', { class: 'drill-metric', attrs: { 'data-metric': name } }, h('span', { class: 'metric-label' }, i18n.t(key)), h('strong', {}, value));
    return h(
      'article',
      { class: 'drill-alarm', attrs: { 'data-alarm-id': a.alarmId } },
      h(
        'h4',
        {},
        h('a', { attrs: { href: routeHref({ view: 'board', alarmId: a.alarmId }) } }, i18n.alarmType(a.type)),
        ` · ${deviceName(this.ctx, a.deviceId)} · ${dateTime(i18n, a.raisedAt, now)}`,
      ),
      h(
        'div',
        { class: 'drill-metrics' },
        metric('drill.to110', this.seconds(a.to110AckMs), 'to110'),
        metric('drill.toAck', this.seconds(a.toAcknowledgeMs), 'toAck'),
        metric('drill.ackBy', a.acknowledgedBy ? actorName(this.ctx, a.acknowledgedBy) : '—', 'ackBy'),
      ),
      ...(a.broadcasts.length
        ? a.broadcasts.map((b) =>
            h(
              'div',
              { class: 'drill-broadcast', attrs: { 'data-broadcast-id': b.id } },
              h('p', {}, h('a', { attrs: { href: routeHref({ view: 'broadcasts', broadcastId: b.id }) } }, i18n.t('drill.broadcast', { c: b.confirmed.length, t: b.total }))),
              b.confirmed.length
                ? h(
                    'table',
                    { class: 'data-table drill-confirmed' },
                    h('thead', {}, h('tr', {}, (['drill.col.name', 'drill.col.group', 'drill.col.at', 'drill.col.after'] as const).map((k) => h('th', { attrs: { scope: 'col' } }, i18n.t(k))))),
                    h(
                      'tbody',
                      {},
                      b.confirmed.map((c) => h('tr', {}, h('td', {}, c.name), h('td', {}, i18n.group(c.group)), h('td', {}, clockTime(i18n, c.at)), h('td', {}, this.seconds(c.afterMs)))),
                    ),
                  )
                : h('p', { class: 'hint' }, i18n.t('drill.noConfirmed')),
            ),
          )
        : [h('p', { class: 'hint' }, i18n.t('drill.noBroadcast'))]),
    );
  }
}
