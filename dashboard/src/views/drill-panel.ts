/**
 * A school's drill (演练) controls on its page: start one for a chosen duration, end the one
 * running, and the school's past drills with links to their reports. The gateway has no live
 * drill feed: the list is fetched when the page opens and after every start and end.
 */
import { append, h, setText } from '../dom.js';
import { clockTime, dateTime } from '../format.js';
import type { Drill } from '../model.js';
import { routeHref } from '../router.js';
import { actorName, siteName, type ViewContext } from './context.js';
import { errorText } from './errors.js';

/** Minutes offered; the gateway's default is 30. */
const DURATIONS = [10, 30, 60, 120] as const;
const DEFAULT_MINUTES = 30;
const PAST_SHOWN = 5;

export class DrillPanel {
  readonly root: HTMLElement;
  private readonly title = h('h3', { class: 'section-title' });
  private readonly hint = h('p', { class: 'hint' });
  private readonly status = h('p', { class: 'drill-status', attrs: { 'data-testid': 'drill-status' } });
  private readonly durationLabel = h('label', { attrs: { for: 'drill-duration' } });
  private readonly duration = h('select', { id: 'drill-duration', attrs: { name: 'duration' } });
  private readonly startButton = h('button', { class: 'btn btn-drill', attrs: { type: 'button', 'data-action': 'start-drill' } });
  private readonly endButton = h('button', { class: 'btn btn-drill', attrs: { type: 'button', 'data-action': 'end-drill' } });
  private readonly startRow = h('div', { class: 'drill-start' }, this.durationLabel, this.duration, this.startButton);
  private readonly pastTitle = h('h4', { class: 'drill-past-title' });
  private readonly pastList = h('ul', { class: 'drill-past', attrs: { 'data-testid': 'drill-past' } });
  private drills: Drill[] = [];
  private busy = false;
  private disposed = false;

  constructor(
    private readonly ctx: ViewContext,
    private readonly siteId: string,
  ) {
    for (const m of DURATIONS) this.duration.append(h('option', { attrs: { value: m * 60, selected: m === DEFAULT_MINUTES } }));
    this.startButton.addEventListener('click', () => void this.startDrill());
    this.endButton.addEventListener('click', () => void this.endDrill());
    this.root = h(
      'section',
      { class: 'drill-panel', attrs: { 'data-testid': 'drill-panel' } },
      this.title,
      this.hint,
      this.status,
      this.startRow,
      this.endButton,
      this.pastTitle,
      this.pastList,
    );
    void this.load();
  }

  dispose(): void {
    this.disposed = true;
  }

  private running(): Drill | undefined {
    return this.drills.find((d) => d.state === 'running');
  }

  render(): void {
    const { i18n } = this.ctx;
    setText(this.title, i18n.t('drill.section'));
    setText(this.hint, i18n.t('drill.hint'));
    setText(this.durationLabel, `${i18n.t('drill.duration')} `);
    Array.from(this.duration.options).forEach((o, i) => setText(o, i18n.t('drill.minutes', { n: DURATIONS[i] ?? 0 })));
    setText(this.startButton, i18n.t('drill.start'));
    setText(this.endButton, i18n.t('drill.end'));
    const running = this.running();
    this.root.dataset.drill = running ? 'running' : 'none';
    this.status.className = `drill-status${running ? ' is-running' : ''}`;
    this.status.replaceChildren();
    append(this.status, [
      running ? h('span', { class: 'tag tag-drill' }, i18n.t('drill.tag')) : null,
      running ? ` ${i18n.t('drill.running', { by: actorName(this.ctx, running.startedBy), time: clockTime(i18n, running.endsAt) })}` : i18n.t('drill.none'),
    ]);
    // Starting and ending need drills:run; drills:read alone shows the state and the reports.
    const mayRun = this.ctx.can('drills:run');
    this.startRow.hidden = !!running || !mayRun;
    this.endButton.hidden = !running || !mayRun;
    this.startButton.disabled = this.busy;
    this.endButton.disabled = this.busy;

    setText(this.pastTitle, i18n.t('drill.past'));
    const now = this.ctx.now();
    const past = [...this.drills].sort((a, b) => b.startedAt - a.startedAt).slice(0, PAST_SHOWN);
    this.pastList.replaceChildren(
      ...(past.length
        ? past.map((d) =>
            h(
              'li',
              { attrs: { 'data-drill-id': d.id, 'data-state': d.state } },
              h('a', { attrs: { href: routeHref({ view: 'drill', drillId: d.id }) } }, dateTime(i18n, d.startedAt, now)),
              ` · ${i18n.t(d.state === 'running' ? 'drill.stateRunning' : 'drill.stateEnded')} · ${i18n.t('drill.alarms', { n: d.alarmIds.length })}`,
            ),
          )
        : [h('li', { class: 'hint' }, i18n.t('drill.noPast'))]),
    );
  }

  private async load(): Promise<void> {
    try {
      const list = await this.ctx.api.drills(this.siteId);
      if (this.disposed) return;
      this.drills = list;
      this.render();
    } catch {
      // Without the list the panel still offers to start a drill; a running one shows after the next load.
    }
  }

  private async startDrill(): Promise<void> {
    const { i18n } = this.ctx;
    this.busy = true;
    this.render();
    try {
      const drill = await this.ctx.api.startDrill(this.siteId, Number(this.duration.value));
      this.drills = [drill, ...this.drills.filter((d) => d.id !== drill.id)];
      this.ctx.toast(i18n.t('drill.started', { school: siteName(this.ctx, this.siteId) }));
    } catch (err) {
      this.ctx.toast(i18n.t('drill.failed', { msg: errorText(this.ctx, err) }), 'error');
    } finally {
      this.busy = false;
      if (!this.disposed) this.render();
    }
  }

  private async endDrill(): Promise<void> {
    const { i18n } = this.ctx;
    const running = this.running();
    if (!running) return;
    this.busy = true;
    this.render();
    try {
      const drill = await this.ctx.api.endDrill(running.id);
      this.ctx.toast(i18n.t('drill.ended', { school: siteName(this.ctx, this.siteId) }));
      // Straight to what the drill showed.
      this.ctx.navigate({ view: 'drill', drillId: drill.id });
    } catch (err) {
      this.ctx.toast(i18n.t('drill.failed', { msg: errorText(this.ctx, err) }), 'error');
      void this.load();
    } finally {
      this.busy = false;
      if (!this.disposed) this.render();
    }
  }
}
