/**
 * The alarm board: open alarms first (severity, then unacknowledged, then newest), recently
 * resolved below, and the selected alarm's detail beside them. An unacknowledged critical
 * alarm's row flashes (class `is-flashing`) until someone acknowledges it.
 */
import { h, setAttrs, syncList } from '../dom.js';
import { clockTime, relTime } from '../format.js';
import { isUnackedCritical, type Alarm } from '../model.js';
import { escalationOf } from '../derive.js';
import { AlarmDetail } from './alarm-detail.js';
import { deviceName, siteName, type RenderReason, type View, type ViewContext } from './context.js';
import { severityBadge } from './widgets.js';

const RESOLVED_SHOWN = 20;

export class BoardView implements View {
  readonly root: HTMLElement;
  private readonly openTitle = h('h2', { id: 'board-open-title', class: 'section-title' });
  private readonly openList = h('ul', { class: 'alarm-list', attrs: { role: 'listbox', 'aria-labelledby': 'board-open-title' } });
  private readonly empty = h('p', { class: 'empty-state' });
  private readonly resolvedTitle = h('h2', { id: 'board-resolved-title', class: 'section-title section-title--muted' });
  private readonly resolvedList = h('ul', { class: 'alarm-list alarm-list--resolved', attrs: { role: 'listbox', 'aria-labelledby': 'board-resolved-title' } });
  private readonly listbox: HTMLElement;
  private readonly detail: AlarmDetail;
  private selectedId: string | undefined;

  constructor(
    private readonly ctx: ViewContext,
    initialId?: string,
  ) {
    this.selectedId = initialId;
    this.detail = new AlarmDetail(ctx);
    this.listbox = h(
      'div',
      // Two listboxes (open, resolved) with one roving tab stop; arrows move across both.
      { class: 'board-list', on: { keydown: (ev) => this.onKey(ev) } },
      this.openTitle,
      this.openList,
      this.empty,
      this.resolvedTitle,
      this.resolvedList,
    );
    this.root = h('section', { class: 'view board', attrs: { 'data-view': 'board' } }, this.listbox, this.detail.root);
  }

  /** The alarm the officer is looking at (keyboard A/R act on it). */
  selected(): Alarm | undefined {
    return this.selectedId ? this.ctx.store.alarm(this.selectedId) : undefined;
  }

  select(id: string, focus = false): void {
    this.selectedId = id;
    this.render('route');
    if (focus) this.rowElement(id)?.focus();
  }

  render(_reason: RenderReason): void {
    const { store, i18n } = this.ctx;
    const open = store.openAlarms();
    const resolved = store.resolvedAlarms(RESOLVED_SHOWN);
    const all = [...open, ...resolved];
    if (!this.selectedId || !all.some((a) => a.id === this.selectedId)) this.selectedId = all[0]?.id;

    this.openTitle.textContent = i18n.t('board.openCount', { n: open.length });
    this.empty.textContent = i18n.t('board.noneOpen');
    this.empty.hidden = open.length > 0;
    this.resolvedTitle.textContent = i18n.t('board.resolvedRecent');
    this.resolvedTitle.hidden = resolved.length === 0;

    const render = (a: Alarm, el: HTMLElement | undefined) => this.row(a, el);
    syncList(this.openList, open, (a) => a.id, render);
    syncList(this.resolvedList, resolved, (a) => a.id, render);
    this.detail.show(this.selected());
  }

  private row(alarm: Alarm, existing: HTMLElement | undefined): HTMLElement {
    const { i18n } = this.ctx;
    const el = existing ?? h('li', { on: { click: () => this.select(alarm.id, true) } });
    const selected = alarm.id === this.selectedId;
    el.className = [
      'alarm-row',
      `sev-${alarm.severity}`,
      `state-${alarm.state}`,
      isUnackedCritical(alarm) ? 'is-flashing' : '',
      // A drill never looks like the real thing: its own colour, no flashing, no siren.
      alarm.drill ? 'is-drill' : '',
      selected ? 'is-selected' : '',
    ]
      .filter(Boolean)
      .join(' ');
    setAttrs(el, {
      role: 'option',
      'aria-selected': selected ? 'true' : 'false',
      tabindex: selected ? 0 : -1,
      'data-alarm-id': alarm.id,
      'data-device-id': alarm.deviceId,
      'data-site-id': alarm.siteId,
      'data-state': alarm.state,
      'data-severity': alarm.severity,
      'data-drill': alarm.drill ? 'true' : undefined,
    });
    const now = this.ctx.now();
    const acker = [...alarm.timeline].reverse().find((e) => e.action === 'acknowledged');
    const escalation = escalationOf(alarm);
    el.replaceChildren(
      h('div', { class: 'row-sev' }, severityBadge(this.ctx, alarm.severity)),
      h(
        'div',
        { class: 'row-main' },
        h(
          'div',
          { class: 'row-title' },
          i18n.alarmType(alarm.type),
          alarm.drill ? h('span', { class: 'tag tag-drill', attrs: { 'data-testid': 'drill-tag' } }, i18n.t('drill.tag')) : null,
          alarm.repeats > 0 ? h('span', { class: 'tag tag-repeats' }, i18n.t('board.repeats', { n: alarm.repeats })) : null,
          escalation?.unanswered && alarm.state === 'active' ? h('span', { class: 'tag tag-unanswered', attrs: { 'data-testid': 'unanswered-tag' } }, i18n.t('board.unanswered')) : null,
        ),
        escalation && escalation.who.length > 0
          ? h('div', { class: 'row-escalated', attrs: { 'data-testid': 'escalated-line' } }, i18n.t('board.escalated', { who: escalation.who.join('、'), time: clockTime(i18n, escalation.at) }))
          : null,
        h('div', { class: 'row-where' }, siteName(this.ctx, alarm.siteId), alarm.deviceId ? ` · ${deviceName(this.ctx, alarm.deviceId)}` : ''),
      ),
      h('div', { class: 'row-time' }, h('div', { class: 'row-clock' }, clockTime(i18n, alarm.raisedAt)), h('div', { class: 'row-ago' }, relTime(i18n, alarm.raisedAt, 'ago', now))),
      h(
        'div',
        { class: 'row-state' },
        h('span', { class: `state-label state-label-${alarm.state}` }, i18n.alarmState(alarm.state)),
        acker && alarm.state === 'acknowledged' ? h('div', { class: 'row-by' }, acker.by) : null,
      ),
    );
    return el;
  }

  private rowElement(id: string): HTMLElement | null {
    return this.listbox.querySelector<HTMLElement>(`[data-alarm-id="${CSS.escape(id)}"]`);
  }

  private onKey(ev: KeyboardEvent): void {
    const rows = Array.from(this.listbox.querySelectorAll<HTMLElement>('[role="option"]'));
    if (rows.length === 0) return;
    const at = rows.findIndex((r) => r.dataset.alarmId === this.selectedId);
    let next: number;
    if (ev.key === 'ArrowDown') next = Math.min(rows.length - 1, at + 1);
    else if (ev.key === 'ArrowUp') next = Math.max(0, at - 1);
    else if (ev.key === 'Home') next = 0;
    else if (ev.key === 'End') next = rows.length - 1;
    else return;
    ev.preventDefault();
    const id = rows[next]?.dataset.alarmId;
    if (id) this.select(id, true);
  }
}
