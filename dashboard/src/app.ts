/**
 * The dashboard application: owns the state, the live connection, the sound and the views,
 * and routes between views. Everything mutable lives in this object (nothing at module level).
 */
import { ApiClient } from './api.js';
import { h } from './dom.js';
import { refreshRelativeTimes } from './format.js';
import { I18n } from './i18n/i18n.js';
import { LiveConnection } from './live.js';
import { isUnackedCritical, type Alarm } from './model.js';
import { Prefs } from './prefs.js';
import { parseRoute, routeHref, type Route } from './router.js';
import { AlarmSound, type SoundState } from './sound.js';
import { DashboardStore } from './store.js';
import { ActionDialog } from './views/action-dialog.js';
import { BoardView } from './views/board-view.js';
import type { ActionKind, RenderReason, View, ViewContext } from './views/context.js';
import { Header } from './views/header.js';
import { OutagesView } from './views/outages-view.js';
import { SchoolDetailView } from './views/school-detail.js';
import { SchoolsView } from './views/schools-view.js';

export interface AppOptions {
  root: HTMLElement;
  /** Base URL the API paths resolve against (the page's own). */
  base: string;
  storage?: Storage;
  /** How often the open-alarm count is cross-checked with /api/health (ms). */
  watchdogMs?: number;
}

const RENDER_DELAY_MS = 50;
const TOAST_MS = 6000;
const RESOLVED_FETCHED = 20;

export class App {
  private readonly store = new DashboardStore();
  private readonly prefs: Prefs;
  private readonly i18n: I18n;
  private readonly api: ApiClient;
  private readonly live: LiveConnection;
  private readonly sound: AlarmSound;
  private readonly ctx: ViewContext;
  private readonly header: Header;
  private readonly dialog: ActionDialog;
  private readonly main = h('main', { class: 'app-main', id: 'main' });
  private readonly staleBanner = h('div', { class: 'banner banner-stale', attrs: { role: 'alert', 'data-testid': 'stale-banner' } });
  private readonly soundBanner = h('button', { class: 'banner banner-sound', attrs: { type: 'button' } });
  private readonly toasts = h('div', { class: 'toasts', attrs: { role: 'status', 'aria-live': 'polite' } });
  private readonly keysHint = h('footer', { class: 'keys-hint' });
  private view: View | undefined;
  private route: Route = { view: 'board' };
  /** Critical alarms the officer silenced; a new one sounds again. */
  private readonly silenced = new Set<string>();
  private readonly pending = new Set<RenderReason>();
  private renderTimer: number | undefined;
  private tickTimer: number | undefined;
  private watchdogTimer: number | undefined;
  private watchdogMismatches = 0;
  private registryLoading = false;
  private readonly cleanups: (() => void)[] = [];

  constructor(private readonly opts: AppOptions) {
    this.prefs = new Prefs(opts.storage);
    this.i18n = new I18n(this.prefs);
    this.api = new ApiClient(opts.base);
    this.sound = new AlarmSound((s) => this.onSound(s));
    this.live = new LiveConnection(this.api.liveUrl(), {
      message: (msg) => {
        this.store.apply(msg);
        if (msg.type === 'snapshot') void this.loadRegistry();
      },
      state: (state, retryAt) => this.store.setConnection(state, retryAt),
    });
    this.ctx = {
      store: this.store,
      i18n: this.i18n,
      api: this.api,
      prefs: this.prefs,
      now: () => Date.now(),
      navigate: (route) => this.navigate(route),
      requestAction: (alarm, kind) => this.requestAction(alarm, kind),
      toast: (text, tone) => this.toast(text, tone),
    };
    const operator = { get: () => this.prefs.get('operator') ?? '', set: (name: string) => this.setOperator(name) };
    this.header = new Header(this.ctx, {
      toggleMute: () => this.toggleMute(),
      toggleLang: () => this.i18n.toggle(),
      operator: operator.get,
      setOperator: operator.set,
    });
    this.dialog = new ActionDialog(this.ctx, operator);
  }

  start(): void {
    const { root } = this.opts;
    this.soundBanner.addEventListener('click', () => this.sound.unlock());
    root.replaceChildren(this.header.root, this.staleBanner, this.soundBanner, this.main, this.keysHint, this.toasts, this.dialog.root);
    this.cleanups.push(this.store.subscribe((change) => this.schedule(change)));
    this.cleanups.push(this.i18n.onChange(() => this.schedule('lang')));
    this.listen(window, 'hashchange', () => this.applyRoute());
    this.listen(document, 'keydown', (ev) => this.onKey(ev as KeyboardEvent));
    // Any gesture lets the page play sound (browser autoplay policy).
    this.listen(document, 'pointerdown', () => this.sound.unlock(), true);
    this.listen(window, 'online', () => this.live.reconnectNow());
    this.applyRoute();
    this.live.start();
    this.tickTimer = window.setInterval(() => this.tick(), 1000);
    this.watchdogTimer = window.setInterval(() => void this.watchdog(), this.opts.watchdogMs ?? 30_000);
    this.schedule('init');
  }

  stop(): void {
    this.live.stop();
    this.sound.stop();
    window.clearInterval(this.tickTimer);
    window.clearInterval(this.watchdogTimer);
    window.clearTimeout(this.renderTimer);
    for (const off of this.cleanups.splice(0)) off();
    this.view?.dispose?.();
  }

  private listen(target: EventTarget, type: string, fn: (ev: Event) => void, capture = false): void {
    target.addEventListener(type, fn, capture);
    this.cleanups.push(() => target.removeEventListener(type, fn, capture));
  }

  private schedule(reason: RenderReason): void {
    this.pending.add(reason);
    if (this.renderTimer !== undefined) return;
    this.renderTimer = window.setTimeout(() => this.flush(), RENDER_DELAY_MS);
  }

  private flush(): void {
    this.renderTimer = undefined;
    const reasons = [...this.pending];
    this.pending.clear();
    const reason: RenderReason = reasons.includes('lang') ? 'lang' : (reasons[0] ?? 'init');
    document.documentElement.lang = this.i18n.locale;
    this.updateSound();
    this.header.render(reason);
    this.view?.render(reason);
    this.renderChrome();
  }

  private renderChrome(): void {
    const { i18n, store } = this;
    this.staleBanner.textContent = i18n.t('conn.staleBanner');
    this.staleBanner.hidden = store.connection === 'live';
    document.body.classList.toggle('is-stale', store.connection !== 'live');
    this.soundBanner.textContent = i18n.t('sound.blockedBanner');
    this.soundBanner.hidden = this.sound.state !== 'blocked';
    this.keysHint.textContent = i18n.t('keys.hint');
    const unacked = store.openAlarms().filter(isUnackedCritical).length;
    document.title = unacked > 0 ? `(${unacked}) ${i18n.t('board.unacked', { n: unacked })} — ${i18n.t('app.title')}` : i18n.t('app.title');
  }

  private tick(): void {
    const now = Date.now();
    this.header.tick();
    refreshRelativeTimes(this.i18n, this.main, now);
  }

  private updateSound(): void {
    const unacked = this.store.openAlarms().filter(isUnackedCritical);
    const ids = new Set(unacked.map((a) => a.id));
    for (const id of this.silenced) if (!ids.has(id)) this.silenced.delete(id);
    this.sound.set(unacked.length > 0, unacked.length > 0 && unacked.every((a) => this.silenced.has(a.id)));
  }

  private onSound(state: SoundState): void {
    // Exposed for the e2e tests and for anyone checking a wall screen from devtools.
    document.documentElement.dataset.alarmSound = state;
    this.header.setSound(state);
    this.renderChrome();
  }

  private toggleMute(): void {
    const unacked = this.store.openAlarms().filter(isUnackedCritical);
    if (unacked.length > 0 && unacked.every((a) => this.silenced.has(a.id))) this.silenced.clear();
    else for (const a of unacked) this.silenced.add(a.id);
    this.updateSound();
  }

  private setOperator(name: string): void {
    this.prefs.set('operator', name);
    this.header.setOperator(name);
  }

  private navigate(route: Route): void {
    const href = routeHref(route);
    if (location.hash === href) this.applyRoute();
    else location.hash = href;
  }

  private applyRoute(): void {
    const route = parseRoute(location.hash);
    const prev = this.route;
    this.route = route;
    this.header.setRoute(route);
    if (route.view === 'board' && this.view instanceof BoardView) {
      if (route.alarmId) this.view.select(route.alarmId);
      return;
    }
    if (route.view === 'outages' && this.view instanceof OutagesView) {
      this.view.setFilter(route.filter);
      return;
    }
    if (route.view === 'schools' && prev.view === 'schools' && prev.siteId === route.siteId && this.view) return;
    this.view?.dispose?.();
    if (route.view === 'board') this.view = new BoardView(this.ctx, route.alarmId);
    else if (route.view === 'outages') this.view = new OutagesView(this.ctx, route.filter);
    else if (route.siteId) this.view = new SchoolDetailView(this.ctx, route.siteId);
    else this.view = new SchoolsView(this.ctx);
    this.main.replaceChildren(this.view.root);
    this.view.render('route');
  }

  private requestAction(alarm: Alarm, kind: ActionKind): void {
    const current = this.store.alarm(alarm.id) ?? alarm;
    if (kind === 'ack' && current.state !== 'active') return;
    if (kind === 'resolve' && current.state === 'resolved') return;
    this.dialog.open(current, kind);
  }

  private onKey(ev: KeyboardEvent): void {
    if (ev.ctrlKey || ev.altKey || ev.metaKey || this.dialog.isOpen) return;
    const t = ev.target;
    if (t instanceof HTMLInputElement || t instanceof HTMLTextAreaElement || t instanceof HTMLSelectElement || (t instanceof HTMLElement && t.isContentEditable)) return;
    this.sound.unlock();
    const key = ev.key.toLowerCase();
    const selected = this.view instanceof BoardView ? this.view.selected() : undefined;
    if (key === '1') this.navigate({ view: 'board' });
    else if (key === '2') this.navigate({ view: 'schools' });
    else if (key === '3') this.navigate({ view: 'outages', filter: {} });
    else if (key === 'm') this.toggleMute();
    else if (key === 'a' && selected) this.requestAction(selected, 'ack');
    else if (key === 'r' && selected) this.requestAction(selected, 'resolve');
    else return;
    ev.preventDefault();
  }

  private toast(text: string, tone: 'info' | 'error' = 'info'): void {
    const el = h('div', { class: `toast toast-${tone}` }, text);
    this.toasts.append(el);
    window.setTimeout(() => el.remove(), TOAST_MS);
  }

  /** Names of sites and devices, the district, and recently resolved alarms: after every (re)sync. */
  private async loadRegistry(): Promise<void> {
    if (this.registryLoading) return;
    this.registryLoading = true;
    try {
      const [sites, devices, health, resolved] = await Promise.all([
        this.api.sites(),
        this.api.devices(),
        this.api.health(),
        this.api.alarms({ state: 'resolved', limit: RESOLVED_FETCHED }),
      ]);
      this.store.setRegistry(sites, devices, health.district);
      this.store.addResolved(resolved);
    } catch {
      // The socket is live but the API did not answer: try again shortly.
      window.setTimeout(() => void this.loadRegistry(), 5000);
    } finally {
      this.registryLoading = false;
    }
  }

  /**
   * The live feed has no application-level heartbeat, so a half-open socket would look
   * "connected" forever. Cross-check the open-alarm count; two mismatches in a row (one can
   * be a change in flight) force a resync.
   */
  private async watchdog(): Promise<void> {
    if (this.store.connection !== 'live') return;
    try {
      const health = await this.api.health();
      if (health.openAlarms === this.store.openAlarms().length) {
        this.watchdogMismatches = 0;
        return;
      }
      if (++this.watchdogMismatches >= 2) {
        this.watchdogMismatches = 0;
        this.live.reconnectNow();
      }
    } catch {
      // The API is unreachable: the socket's own close will say so.
    }
  }
}
