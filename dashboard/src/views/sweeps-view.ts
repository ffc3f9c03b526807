/**
 * Health sweeps (巡检): the technician chooses schools, device kinds and the button self-test,
 * starts a sweep (recorded under the logged-in user), watches it fill in (GET /api/sweeps/:id
 * every second while it runs), cancels it, downloads its sealed report, and sees whether the
 * report chain holds. Starting and cancelling need sweeps:run; a role with sweeps:read only
 * sees the sweeps and their reports.
 */
import { ApiError } from '../api.js';
import { append, h, setText, syncList } from '../dom.js';
import { dateTime } from '../format.js';
import type { ChainVerdict, SweepView } from '../model.js';
import { routeHref } from '../router.js';
import type { RenderReason, View, ViewContext } from './context.js';
import { errorText } from './errors.js';
import { SweepDetail } from './sweep-detail.js';

/** While a sweep runs, its state is asked for this often. */
const POLL_MS = 1000;
const RECENT = 20;
/** gateway/core/sweeps/self-test.ts BUTTON_SELF_TEST. */
const SELF_TEST = 'button-self-test';

type Box = { input: HTMLInputElement; text: HTMLElement };

export class SweepsView implements View {
  readonly root: HTMLElement;
  private readonly form = h('form', { class: 'sweep-form', attrs: { 'data-testid': 'sweep-form' } });
  private readonly formTitle = h('h2', { class: 'section-title' });
  private readonly schoolsLegend = h('legend');
  private readonly schoolsBox = h('div', { class: 'check-grid sweep-schools' });
  private readonly schoolsHint = h('p', { class: 'hint' });
  private readonly allButton = h('button', { class: 'btn btn-small btn-secondary', attrs: { type: 'button', 'data-action': 'all-schools' } });
  private readonly noneButton = h('button', { class: 'btn btn-small btn-secondary', attrs: { type: 'button', 'data-action': 'no-schools' } });
  private readonly kindsLegend = h('legend');
  private readonly kindsBox = h('div', { class: 'check-grid sweep-kinds' });
  private readonly kindsHint = h('p', { class: 'hint' });
  private readonly extrasLegend = h('legend');
  private readonly selfTest: Box = { input: h('input', { attrs: { type: 'checkbox', name: 'extra', value: SELF_TEST } }), text: h('span') };
  private readonly error = h('p', { class: 'dialog-error', attrs: { role: 'alert' } });
  private readonly start = h('button', { class: 'btn btn-send', attrs: { type: 'submit', 'data-action': 'start-sweep' } });
  private readonly schoolBoxes = new Map<string, Box>();
  private readonly kindBoxes = new Map<string, Box>();
  private readonly recentTitle = h('h2', { class: 'section-title' });
  private readonly recentList = h('ul', { class: 'sweep-list', attrs: { 'data-testid': 'sweep-list' } });
  private readonly chainTitle = h('h3', { class: 'section-title' });
  private readonly chainLine = h('p', { class: 'chain', attrs: { 'data-testid': 'sweep-chain' } });
  private readonly placeholder = h('p', { class: 'empty-state' });
  private readonly detail: SweepDetail;
  private recent: SweepView[] = [];
  private current: SweepView | undefined;
  private chain: ChainVerdict | 'checking' | { failed: string } = 'checking';
  private loadError = '';
  private starting = false;
  private pollTimer: number | undefined;
  private disposed = false;

  constructor(
    private readonly ctx: ViewContext,
    private sweepId: string | undefined,
  ) {
    const mayRun = ctx.can('sweeps:run');
    this.detail = new SweepDetail(ctx, mayRun ? { cancel: (id) => void this.cancel(id) } : {});
    this.form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      void this.submit();
    });
    this.allButton.addEventListener('click', () => this.setSchools(true));
    this.noneButton.addEventListener('click', () => this.setSchools(false));
    append(this.form, [
      this.formTitle,
      h('fieldset', {}, this.schoolsLegend, h('div', { class: 'sweep-school-tools' }, this.allButton, ' ', this.noneButton), this.schoolsBox, this.schoolsHint),
      h('fieldset', {}, this.kindsLegend, this.kindsBox, this.kindsHint),
      // The self-test makes every button report to the 110 centre: devices:self-test as well.
      ctx.can('devices:self-test') ? h('fieldset', {}, this.extrasLegend, h('label', { class: 'check' }, this.selfTest.input, this.selfTest.text)) : null,
      this.error,
      this.start,
    ]);
    this.root = h(
      'section',
      { class: 'view sweeps', attrs: { 'data-view': 'sweeps' } },
      h('div', { class: 'sweeps-side' }, mayRun ? this.form : null, this.recentTitle, this.recentList, this.chainTitle, this.chainLine),
      h('div', { class: 'sweeps-main' }, this.placeholder, this.detail.root),
    );
    void this.loadRecent();
    void this.verifyChain();
    if (sweepId) void this.poll();
  }

  dispose(): void {
    this.disposed = true;
    window.clearTimeout(this.pollTimer);
  }

  /** Another sweep chosen (#/sweeps/<id>): the form keeps what was chosen. */
  setSweep(id: string | undefined): void {
    if (id === this.sweepId) return;
    this.sweepId = id;
    this.current = undefined;
    this.loadError = '';
    window.clearTimeout(this.pollTimer);
    this.render('route');
    if (id) void this.poll();
  }

  render(_reason: RenderReason): void {
    const { i18n } = this.ctx;
    setText(this.formTitle, i18n.t('sweeps.new'));
    setText(this.schoolsLegend, i18n.t('sweeps.schools'));
    setText(this.allButton, i18n.t('sweeps.schoolsAll'));
    setText(this.noneButton, i18n.t('sweeps.schoolsNone'));
    setText(this.schoolsHint, i18n.t('sweeps.schoolsHint'));
    setText(this.kindsLegend, i18n.t('sweeps.kinds'));
    setText(this.kindsHint, i18n.t('sweeps.kindsHint'));
    setText(this.extrasLegend, i18n.t('sweeps.extras'));
    setText(this.selfTest.text, i18n.t('sweeps.extraSelfTest'));
    setText(this.start, i18n.t(this.starting ? 'sweeps.starting' : 'sweeps.start'));
    this.start.disabled = this.starting;
    this.renderChoices();

    setText(this.recentTitle, i18n.t('sweeps.recent'));
    this.renderRecent();
    setText(this.chainTitle, i18n.t('sweeps.chain'));
    this.renderChain();

    const notFound = this.loadError !== '' && !this.current;
    this.placeholder.textContent = notFound ? this.loadError : i18n.t('sweeps.select');
    this.placeholder.hidden = !!this.current;
    this.detail.show(this.current);
  }

  /** Schools and kinds from the registry; boxes are made once, so ticks survive re-renders. */
  private renderChoices(): void {
    const { store, i18n } = this.ctx;
    const schools = store.sites().filter((s) => store.schoolIds().has(s.id));
    const box = (map: Map<string, Box>, parent: HTMLElement, key: string, name: string, label: string) => {
      let b = map.get(key);
      if (!b) {
        b = { input: h('input', { attrs: { type: 'checkbox', name, value: key } }), text: h('span') };
        map.set(key, b);
        parent.append(h('label', { class: 'check', attrs: { [`data-${name}`]: key } }, b.input, b.text));
      }
      setText(b.text, label);
    };
    for (const s of schools) box(this.schoolBoxes, this.schoolsBox, s.id, 'site', i18n.siteName(s, s.id));
    const kinds = [...new Set(store.devices().map((d) => d.kind))].sort();
    for (const k of kinds) box(this.kindBoxes, this.kindsBox, k, 'kind', i18n.kind(k));
  }

  private setSchools(on: boolean): void {
    for (const b of this.schoolBoxes.values()) b.input.checked = on;
  }

  private renderRecent(): void {
    const { i18n } = this.ctx;
    const now = this.ctx.now();
    // The sweep on screen is newer than the list until the list is fetched again.
    const list = this.current && !this.recent.some((s) => s.id === this.current?.id) ? [this.current, ...this.recent] : this.recent;
    syncList(this.recentList, list, (s) => s.id, (s, el) => {
      const shown = s.id === this.current?.id ? this.current : s;
      const li = el ?? h('li');
      li.className = `sweep-item sweep-state-${shown.state}${shown.id === this.sweepId ? ' is-selected' : ''}`;
      li.dataset.sweepId = shown.id;
      li.dataset.state = shown.state;
      const failing = shown.summary ? ` · ${i18n.t('sweeps.summarySchools', { m: shown.summary.sites.failing, total: shown.summary.sites.total })}` : '';
      li.replaceChildren(
        h(
          'a',
          { attrs: { href: routeHref({ view: 'sweeps', sweepId: shown.id }) } },
          h('span', { class: 'sweep-when' }, dateTime(i18n, shown.createdAt, now)),
          ` · ${i18n.sweepState(shown.state)} · ${i18n.t('sweeps.devices', { n: shown.progress.total })} · ${this.trigger(shown.trigger)}${failing}`,
        ),
      );
      return li;
    });
    if (list.length === 0) this.recentList.replaceChildren(h('li', { class: 'hint' }, i18n.t('sweeps.none')));
  }

  private trigger(trigger: string): string {
    const { i18n } = this.ctx;
    if (trigger === 'api') return i18n.t('sweeps.trigger.api');
    if (trigger === 'cli') return i18n.t('sweeps.trigger.cli');
    if (trigger.startsWith('schedule:')) return i18n.t('sweeps.trigger.schedule', { name: trigger.slice('schedule:'.length) });
    return trigger;
  }

  private renderChain(): void {
    const { i18n } = this.ctx;
    const c = this.chain;
    if (c === 'checking') {
      this.chainLine.className = 'chain';
      this.chainLine.dataset.ok = '';
      this.chainLine.textContent = i18n.t('sweeps.chainChecking');
      return;
    }
    if ('failed' in c) {
      this.chainLine.className = 'chain chain-unknown';
      this.chainLine.textContent = i18n.t('sweeps.chainFailed', { msg: c.failed });
      return;
    }
    this.chainLine.className = `chain ${c.ok ? 'chain-ok' : 'chain-broken'}`;
    this.chainLine.dataset.ok = String(c.ok);
    const text = c.firstBroken
      ? i18n.t('sweeps.chainBroken', { seq: c.firstBroken.seq, id: c.firstBroken.sweepId, reason: i18n.chainBroken(c.firstBroken.reason) })
      : i18n.t('sweeps.chainOk', { n: c.checked });
    this.chainLine.replaceChildren(text, h('br'), h('span', { class: 'chain-head' }, `${i18n.t('sweeps.chainHead')}: ${c.head.slice(0, 16)}…`));
  }

  private async loadRecent(): Promise<void> {
    try {
      const list = await this.ctx.api.sweeps(RECENT);
      if (this.disposed) return;
      this.recent = list;
      this.render('route');
    } catch {
      // The list is a convenience; the form and the chosen sweep stand without it.
    }
  }

  private async verifyChain(): Promise<void> {
    try {
      const verdict = await this.ctx.api.verifySweepChain();
      if (this.disposed) return;
      this.chain = verdict;
    } catch (err) {
      if (this.disposed) return;
      this.chain = { failed: errorText(this.ctx, err) };
    }
    this.render('route');
  }

  /** The chosen sweep; again every second while it runs. A sweep that ends refreshes the list and the chain. */
  private async poll(): Promise<void> {
    const id = this.sweepId;
    if (!id) return;
    try {
      const s = await this.ctx.api.sweep(id, 'all');
      if (this.disposed || id !== this.sweepId) return;
      const ended = s.state !== 'running' && this.current?.state !== s.state;
      this.current = s;
      this.loadError = '';
      if (ended) {
        void this.loadRecent();
        void this.verifyChain();
      }
      if (s.state === 'running') this.pollTimer = window.setTimeout(() => void this.poll(), POLL_MS);
    } catch (err) {
      if (this.disposed || id !== this.sweepId) return;
      const notFound = err instanceof ApiError && err.status === 404;
      const final = notFound || (err instanceof ApiError && (err.status === 401 || err.status === 403));
      this.loadError = notFound ? this.ctx.i18n.t('sweeps.notFound', { id }) : this.ctx.i18n.t('sweeps.loadFailed', { msg: errorText(this.ctx, err) });
      if (!final) this.pollTimer = window.setTimeout(() => void this.poll(), POLL_MS);
    }
    this.render('route');
  }

  private checked(map: Map<string, Box>): string[] {
    return [...map].filter(([, b]) => b.input.checked).map(([k]) => k);
  }

  private async submit(): Promise<void> {
    const { i18n, api } = this.ctx;
    this.error.textContent = '';
    this.starting = true;
    this.render('route');
    try {
      const res = await api.startSweep({
        sites: this.checked(this.schoolBoxes),
        kinds: this.checked(this.kindBoxes),
        extras: this.selfTest.input.checked ? [SELF_TEST] : [],
      });
      this.ctx.toast(i18n.t('sweeps.started', { n: res.total }));
      void this.loadRecent();
      this.ctx.navigate({ view: 'sweeps', sweepId: res.id });
    } catch (err) {
      this.error.textContent = i18n.t('sweeps.startFailed', { msg: errorText(this.ctx, err) });
    } finally {
      this.starting = false;
      if (!this.disposed) this.render('route');
    }
  }

  private async cancel(id: string): Promise<void> {
    const { i18n } = this.ctx;
    try {
      const s = await this.ctx.api.cancelSweep(id);
      this.ctx.toast(i18n.t('sweeps.cancelled'));
      if (this.disposed || id !== this.sweepId) return;
      window.clearTimeout(this.pollTimer);
      // The cancel reply has no results: fetch them once more.
      this.current = { ...s, ...(this.current?.results ? { results: this.current.results } : {}) };
      void this.poll();
      void this.loadRecent();
      void this.verifyChain();
    } catch (err) {
      this.ctx.toast(i18n.t('sweeps.cancelFailed', { msg: errorText(this.ctx, err) }), 'error');
    }
  }
}
