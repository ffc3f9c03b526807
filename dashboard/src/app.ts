/**
 * The dashboard application: owns the state, the live connection, the sound and the views,
 * and routes between views. Everything mutable lives in this object (nothing at module level).
 */
import { ApiClient, ApiError } from './api.js';
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
import { BroadcastsView } from './views/broadcasts-view.js';
import type { ActionKind, BroadcastLoad, RenderReason, View, ViewContext } from './views/context.js';
import { Header } from './views/header.js';
import { OutagesView } from './views/outages-view.js';
import { SchoolDetailView } from './views/school-detail.js';
import { SchoolsView } from './views/schools-view.js';
import { DrillReportView } from './views/drill-report-view.js';
import { SweepsView } from './views/sweeps-view.js';

export interface AppOptions {
  root: HTMLElement;
  /** Base URL the API paths resolve against (the page's own). */
  base: string;
  storage?: Storage;
}

const RENDER_DELAY_MS = 50;
const TOAST_MS = 6000;
const RESOLVED_FETCHED = 20;
const BROADCASTS_FETCHED = 30;
/** A broadcast that could not be fetched is not asked for again sooner than this. */
const BROADCAST_RETRY_MS = 5000;

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
  private registryLoading = false;
  private readonly broadcastLoads = new Map<string, Promise<BroadcastLoad>>();
  private readonly broadcastFailedAt = new Map<string, number>();
  private readonly cleanups: (() => void)[] = [];

  constructor(private readonly opts: AppOptions) {
    this.prefs = new Prefs(opts.storage);
    this.i18n = new I18n(this.prefs);
    this.api = new ApiClient(opts.base);
    this.sound = new AlarmSound((s) => this.onSound(s));
    this.live = new LiveConnection(this.api.liveUrl(), {
      message: (msg) => {
        const unknown = this.store.apply(msg);
        if (unknown) void this.loadBroadcast(unknown);
        if (msg.type === 'snapshot') void this.loadRegistry();
      },
      state: (state, retryAt) => this.store.setConnection(state, retryAt),
    });
    const operator = { get: () => this.prefs.get('operator') ?? '', set: (name: string) => this.setOperator(name) };
    this.ctx = {
      store: this.store,
      i18n: this.i18n,
      api: this.api,
      prefs: this.prefs,
      now: () => Date.now(),
      navigate: (route) => this.navigate(route),
      requestAction: (alarm, kind) => this.requestAction(alarm, kind),
      toast: (text, tone) => this.toast(text, tone),
      operator,
      loadBroadcast: (id) => this.loadBroadcast(id),
    };
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
    this.schedule('init');
  }

  stop(): void {
    this.live.stop();
    this.sound.stop();
    window.clearInterval(this.tickTimer);
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
    // The composer shows the name too.
    this.schedule('operator');
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
    // The composer keeps what the officer typed while the chosen broadcast changes.
    if (route.view === 'broadcasts' && this.view instanceof BroadcastsView) {
      this.view.setRoute(route);
      return;
    }
    if (route.view === 'sweeps' && this.view instanceof SweepsView) {
      this.view.setSweep(route.sweepId);
      return;
    }
    if (route.view === 'schools' && prev.view === 'schools' && prev.siteId === route.siteId && this.view) return;
    this.view?.dispose?.();
    if (route.view === 'board') this.view = new BoardView(this.ctx, route.alarmId);
    else if (route.view === 'outages') this.view = new OutagesView(this.ctx, route.filter);
    else if (route.view === 'broadcasts') this.view = new BroadcastsView(this.ctx, route);
    else if (route.view === 'sweeps') this.view = new SweepsView(this.ctx, route.sweepId);
    else if (route.view === 'drill') this.view = new DrillReportView(this.ctx, route.drillId);
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
    else if (key === '4') this.navigate({ view: 'broadcasts' });
    else if (key === '5') this.navigate({ view: 'sweeps' });
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

  /**
   * Names of sites and devices, the district's UI configuration, recently resolved alarms and
   * recent broadcasts: after every (re)sync. The configuration and broadcasts are optional
   * (older gateways have neither): without them the dashboard runs on its built-in defaults.
   */
  private async loadRegistry(): Promise<void> {
    if (this.registryLoading) return;
    this.registryLoading = true;
    try {
      const [sites, devices, health, resolved, ui, broadcasts] = await Promise.all([
        this.api.sites(),
        this.api.devices(),
        this.api.health(),
        this.api.alarms({ state: 'resolved', limit: RESOLVED_FETCHED }),
        this.api.uiConfig().catch(() => undefined),
        this.api.broadcasts({ limit: BROADCASTS_FETCHED }).catch(() => []),
      ]);
      if (ui) this.store.setUiConfig(ui);
      this.store.setRegistry(sites, devices, health.district);
      this.store.addResolved(resolved);
      this.store.addBroadcasts(broadcasts);
    } catch {
      // The socket is live but the API did not answer: try again shortly.
      window.setTimeout(() => void this.loadRegistry(), 5000);
    } finally {
      this.registryLoading = false;
    }
  }

  /** One broadcast with its recipients (ViewContext.loadBroadcast). */
  private loadBroadcast(id: string): Promise<BroadcastLoad> {
    const inFlight = this.broadcastLoads.get(id);
    if (inFlight) return inFlight;
    const failedAt = this.broadcastFailedAt.get(id);
    if (failedAt !== undefined && Date.now() - failedAt < BROADCAST_RETRY_MS) return Promise.resolve('failed');
    const load = this.api.broadcast(id).then(
      (b): BroadcastLoad => {
        this.broadcastFailedAt.delete(id);
        this.store.putBroadcast(b);
        return 'ok';
      },
      (err: unknown): BroadcastLoad => {
        this.broadcastFailedAt.set(id, Date.now());
        return err instanceof ApiError && err.status === 404 ? 'missing' : 'failed';
      },
    );
    this.broadcastLoads.set(id, load);
    void load.finally(() => this.broadcastLoads.delete(id));
    return load;
  }
}
