/**
 * The on-call page (值班表): who is on duty per role now (the duty officer, the supervisor and
 * the station chief escalation calls, the technician), with their phone and radio; the
 * stand-ins of the last days with their state; and, for supervisors and admins (oncall:manage),
 * setting a stand-in from the roster and ending one early. Refreshed every 30 s: a shift change
 * or a stand-in set on another screen shows without a reload.
 */
import { h, setText, syncList } from '../dom.js';
import { dateTime } from '../format.js';
import type { UiKey } from '../i18n/dictionary.js';
import type { OnCallOverrideView, OnCallPersonView, OnCallRoleId, OnCallStatusView } from '../model.js';
import { actorName, type RenderReason, type View, type ViewContext } from './context.js';
import { errorText } from './errors.js';

const ROLES: readonly OnCallRoleId[] = ['duty-officer', 'supervisor', 'station-chief', 'technician'];
const DUTY_COLUMNS: readonly UiKey[] = ['oncall.col.role', 'oncall.col.person', 'oncall.col.contact', 'oncall.col.source', 'oncall.col.until'];
const OVERRIDE_COLUMNS: readonly UiKey[] = ['oncall.col.role', 'oncall.addPerson', 'oncall.col.period', 'oncall.col.by', 'oncall.col.note', 'oncall.col.state'];
const HOURS = [1, 2, 4, 8, 12, 24] as const;
const DEFAULT_HOURS = 4;
const REFRESH_MS = 30_000;

type OverrideState = 'active' | 'pending' | 'over';

export class OnCallView implements View {
  private readonly title = h('h2', { class: 'section-title' });
  private readonly summary = h('p', { class: 'outage-summary', attrs: { 'data-testid': 'oncall-summary' } });
  private readonly dutyHead = h('thead');
  private readonly dutyBody = h('tbody', { attrs: { 'data-testid': 'oncall-duty' } });
  private readonly overridesTitle = h('h3', { class: 'section-title' });
  private readonly overridesHead = h('thead');
  private readonly overridesBody = h('tbody', { attrs: { 'data-testid': 'oncall-overrides' } });
  private readonly noOverrides = h('p', { class: 'empty-state' });
  private readonly formTitle = h('h3', { class: 'section-title' });
  private readonly roleLabel = h('label', { attrs: { for: 'oncall-role' } });
  private readonly role = h('select', { id: 'oncall-role', attrs: { name: 'role' } });
  private readonly personLabel = h('label', { attrs: { for: 'oncall-person' } });
  private readonly person = h('select', { id: 'oncall-person', attrs: { name: 'person' } });
  private readonly hoursLabel = h('label', { attrs: { for: 'oncall-hours' } });
  private readonly hours = h('select', { id: 'oncall-hours', attrs: { name: 'hours' } });
  private readonly noteLabel = h('label', { attrs: { for: 'oncall-note' } });
  private readonly note = h('input', { id: 'oncall-note', attrs: { name: 'note', type: 'text', maxlength: 200 } });
  private readonly submit = h('button', { class: 'btn', attrs: { type: 'submit', 'data-action': 'oncall-add' } });
  private readonly form = h(
    'form',
    { class: 'oncall-form', attrs: { 'data-testid': 'oncall-form' } },
    this.formTitle,
    h('div', { class: 'oncall-fields' }, this.roleLabel, this.role, this.personLabel, this.person, this.hoursLabel, this.hours, this.noteLabel, this.note, this.submit),
  );
  readonly root = h(
    'section',
    { class: 'view oncall-view', attrs: { 'data-view': 'oncall' } },
    h('div', { class: 'view-head' }, this.title, this.summary),
    h('table', { class: 'data-table oncall-table' }, this.dutyHead, this.dutyBody),
    this.form,
    this.overridesTitle,
    h('table', { class: 'data-table oncall-overrides' }, this.overridesHead, this.overridesBody),
    this.noOverrides,
  );
  private data: OnCallStatusView | undefined;
  private timer: number | undefined;
  private busy = false;
  private disposed = false;

  constructor(private readonly ctx: ViewContext) {
    for (const r of ROLES) this.role.append(h('option', { attrs: { value: r } }));
    for (const n of HOURS) this.hours.append(h('option', { attrs: { value: n, selected: n === DEFAULT_HOURS } }));
    this.form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      void this.addOverride();
    });
    void this.load();
    this.timer = window.setInterval(() => void this.load(), REFRESH_MS);
  }

  dispose(): void {
    this.disposed = true;
    window.clearInterval(this.timer);
  }

  private async load(): Promise<void> {
    try {
      const data = await this.ctx.api.oncall();
      if (this.disposed) return;
      this.data = data;
      this.render('init');
    } catch {
      // The next refresh tries again.
    }
  }

  render(_reason: RenderReason): void {
    const { i18n } = this.ctx;
    const now = this.ctx.now();
    setText(this.title, i18n.t('oncall.title'));
    setText(this.summary, this.data ? i18n.t('oncall.summary', { tz: this.data.timeZone }) : '');
    this.dutyHead.replaceChildren(h('tr', {}, DUTY_COLUMNS.map((k) => h('th', { attrs: { scope: 'col' } }, i18n.t(k)))));
    syncList(this.dutyBody, this.data ? ROLES : [], (r) => r, (r, el) => this.dutyRow(r, el, now));

    setText(this.overridesTitle, i18n.t('oncall.overrides'));
    this.overridesHead.replaceChildren(h('tr', {}, [...OVERRIDE_COLUMNS.map((k) => h('th', { attrs: { scope: 'col' } }, i18n.t(k))), h('th', { attrs: { scope: 'col' } })]));
    const overrides = this.data?.overrides ?? [];
    syncList(this.overridesBody, overrides, (o) => o.id, (o, el) => this.overrideRow(o, el, now));
    setText(this.noOverrides, i18n.t('oncall.noOverrides'));
    this.noOverrides.hidden = overrides.length > 0;

    // Setting and ending stand-ins needs oncall:manage; everyone else reads.
    this.form.hidden = !this.ctx.can('oncall:manage');
    setText(this.formTitle, i18n.t('oncall.add'));
    setText(this.roleLabel, i18n.t('oncall.addRole'));
    Array.from(this.role.options).forEach((o, i) => setText(o, this.roleName(ROLES[i] as OnCallRoleId)));
    setText(this.personLabel, i18n.t('oncall.addPerson'));
    this.syncPeople();
    setText(this.hoursLabel, i18n.t('oncall.addHours'));
    Array.from(this.hours.options).forEach((o, i) => setText(o, i18n.t('oncall.hours', { n: HOURS[i] ?? 0 })));
    setText(this.noteLabel, i18n.t('oncall.addNote'));
    setText(this.submit, i18n.t('oncall.submit'));
    this.submit.disabled = this.busy || !this.data;
  }

  private roleName(role: OnCallRoleId): string {
    return this.ctx.i18n.t(`oncall.role.${role}` as UiKey);
  }

  /** The roster's people as options, kept in the configuration's order. */
  private syncPeople(): void {
    const people = Object.entries(this.data?.people ?? {});
    const ids = people.map(([id]) => id).join('\n');
    if (this.person.dataset.ids === ids) return;
    this.person.dataset.ids = ids;
    this.person.replaceChildren(...people.map(([id, p]) => h('option', { attrs: { value: id } }, p.name)));
  }

  /** Who stands in: the roster person's name, or the contact given instead. */
  private standIn(o: OnCallOverrideView): string {
    return o.person ? (this.data?.people[o.person]?.name ?? o.person) : (o.contact?.name ?? '');
  }

  private contact(p: OnCallPersonView): string {
    const radio = p.radio ? this.ctx.i18n.t('oncall.radio', { tg: p.radio.talkgroup, unit: p.radio.unit ? ` / ${p.radio.unit}` : '' }) : '';
    return [p.phone, radio].filter(Boolean).join(' · ');
  }

  private dutyRow(role: OnCallRoleId, existing: HTMLElement | undefined, now: number): HTMLElement {
    const { i18n } = this.ctx;
    const d = this.data?.onDuty[role] ?? null;
    const tr = existing ?? h('tr');
    tr.dataset.role = role;
    tr.dataset.source = d?.source ?? 'none';
    tr.className = d ? (d.source === 'override' ? 'oncall-override' : '') : 'status-degraded';
    tr.replaceChildren(
      h('th', { attrs: { scope: 'row' } }, this.roleName(role)),
      h('td', { class: 'cell-name' }, d ? d.person.name : i18n.t('oncall.nobody')),
      h('td', {}, d ? this.contact(d.person) : ''),
      h('td', {}, d ? i18n.t(`oncall.source.${d.source}` as UiKey) : ''),
      h('td', {}, d ? dateTime(i18n, d.until, now) : ''),
    );
    return tr;
  }

  private stateOf(o: OnCallOverrideView, now: number): OverrideState {
    if (o.until <= now) return 'over';
    return o.from > now ? 'pending' : 'active';
  }

  private overrideRow(o: OnCallOverrideView, existing: HTMLElement | undefined, now: number): HTMLElement {
    const { i18n } = this.ctx;
    const state = this.stateOf(o, now);
    const tr = existing ?? h('tr');
    tr.dataset.overrideId = o.id;
    tr.dataset.state = o.endedBy ? 'ended' : state;
    const who = this.standIn(o);
    const stateText = o.endedBy ? i18n.t('oncall.state.ended', { by: actorName(this.ctx, o.endedBy) }) : i18n.t(`oncall.state.${state}` as UiKey);
    const end =
      state !== 'over' && this.ctx.can('oncall:manage')
        ? h('button', { class: 'btn btn-secondary btn-small', attrs: { type: 'button', 'data-action': 'oncall-end', disabled: this.busy }, on: { click: () => void this.endOverride(o) } }, i18n.t('oncall.end'))
        : null;
    tr.replaceChildren(
      h('td', {}, this.roleName(o.role)),
      h('td', { class: 'cell-name' }, who),
      h('td', {}, `${dateTime(i18n, o.from, now)} – ${dateTime(i18n, o.until, now)}`),
      h('td', {}, actorName(this.ctx, o.by)),
      h('td', {}, o.note ?? ''),
      h('td', { class: 'cell-state' }, stateText),
      h('td', {}, end),
    );
    return tr;
  }

  private async addOverride(): Promise<void> {
    const { i18n } = this.ctx;
    const role = this.role.value as OnCallRoleId;
    const hours = Number(this.hours.value);
    const note = this.note.value.trim();
    await this.act(async () => {
      const o = await this.ctx.api.addOncallOverride({ role, person: this.person.value, until: this.ctx.now() + hours * 3_600_000, ...(note ? { note } : {}) });
      this.note.value = '';
      return i18n.t('oncall.added', { person: this.standIn(o), role: this.roleName(role), time: dateTime(i18n, o.until, this.ctx.now()) });
    });
  }

  private endOverride(o: OnCallOverrideView): Promise<void> {
    return this.act(async () => {
      await this.ctx.api.endOncallOverride(o.id);
      return this.ctx.i18n.t('oncall.ended', { person: this.standIn(o), role: this.roleName(o.role) });
    });
  }

  /** Runs one change with the buttons disabled, says how it went, then reads the roster again. */
  private async act(change: () => Promise<string>): Promise<void> {
    this.busy = true;
    this.render('init');
    try {
      this.ctx.toast(await change());
    } catch (err) {
      this.ctx.toast(this.ctx.i18n.t('oncall.failed', { msg: errorText(this.ctx, err) }), 'error');
    } finally {
      this.busy = false;
      await this.load();
      if (!this.disposed) this.render('init');
    }
  }
}
