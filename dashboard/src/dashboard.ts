/**
 * The dashboard of one login session: owns the state, the live connection, the sound and the
 * views, and routes between views. Everything mutable lives in this object (nothing at module
 * level); a new session gets a new Dashboard, so nothing one user saw stays for the next.
 * What the user's role may not do is not offered (views, keys, buttons); the gateway enforces
 * it anyway.
 */
import { ApiError, type ApiClient } from './api.js';
import { h } from './dom.js';
import { refreshRelativeTimes } from './format.js';
import type { I18n } from './i18n/i18n.js';
import { DEFAULT_BACKOFF, LiveConnection, liveProtocols } from './live.js';
import { isUnackedCritical, type Alarm } from './model.js';
import type { Prefs } from './prefs.js';
import { parseRoute, routeHref, type Route } from './router.js';
import { can, type Permission, type SessionUser } from './session.js';
import { escalationOf } from './derive.js';
import { AlarmSound, type SoundState } from './sound.js';
import { DashboardStore } from './store.js';
import { ActionDialog } from './views/action-dialog.js';
import { BoardView } from './views/board-view.js';
import { BroadcastsView } from './views/broadcasts-view.js';
import type { ActionKind, BroadcastLoad, RenderReason, View, ViewContext } from './views/context.js';
import { ForbiddenView } from './views/forbidden-view.js';
import { Header } from './views/header.js';
import { OutagesView } from './views/outages-view.js';
import { ClockView } from './views/clock-view.js';
import { OnCallView } from './views/oncall-view.js';
import { SchoolDetailView } from './views/school-detail.js';
import { SchoolsView } from './views/schools-view.js';
import { DrillReportView } from './views/drill-report-view.js';
import { SweepsView } from './views/sweeps-view.js';
import { SimulatorsClient } from './views/simulators-client.js';
import { SimulatorsView } from './views/simulators-view.js';

export interface DashboardOptions {
  root: HTMLElement;
  api: ApiClient;
  i18n: I18n;
  prefs: Prefs;
  user: SessionUser;
  /** The session's bearer token now (the live feed sends it as a subprotocol). */
  token(): string | undefined;
  /** 退出登录 was clicked. */
  logout(): void;
}

/** How often the school page and the outages list refresh device readings. */
const STATES_EVERY_MS = 10_000;
const RENDER_DELAY_MS = 50;
const TOAST_MS = 6000;
const RESOLVED_FETCHED = 20;
const BROADCASTS_FETCHED = 30;
/** A broadcast that could not be fetched is not asked for again sooner than this. */
const BROADCAST_RETRY_MS = 5000;
/** Live sockets in a row without a snapshot before the session itself is checked. */
const UNSYNCED_CHECK_AFTER = 2;
/** The session is checked at most this often while the live feed stays down. */
const SESSION_CHECK_MS = 10_000;

/** What each view needs to be shown at all. */
const VIEW_PERMISSION: Readonly<Record<Route['view'], Permission>> = {
  board: 'alarms:read',
  schools: 'sites:read',
  outages: 'devices:read',
  broadcasts: 'broadcasts:read',
  sweeps: 'sweeps:read',
  drill: 'drills:read',
  simulators: 'simulators:control',
  clock: 'devices:read',
  oncall: 'oncall:read',
};

export class Dashboard {
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
  /** Board escalation steps seen per alarm (a new one un-silences it). */
  private readonly boardSteps = new Map<string, number>();
  private readonly pending = new Set<RenderReason>();
  private renderTimer: number | undefined;
  private tickTimer: number | undefined;
  private clusterTimer: number | undefined;
  private registryLoading = false;
  /** When device readings were last fetched for the school page or the outages list. */
  private statesAt = 0;
  private statesLoading = false;
  private readonly broadcastLoads = new Map<string, Promise<BroadcastLoad>>();
  private readonly broadcastFailedAt = new Map<string, number>();
  private readonly cleanups: (() => void)[] = [];
  private sessionCheckedAt = 0;
  private stopped = false;

  constructor(private readonly opts: DashboardOptions) {
    this.prefs = opts.prefs;
    this.i18n = opts.i18n;
    this.api = opts.api;
    this.sound = new AlarmSound((s) => this.onSound(s));
    this.live = new LiveConnection(
      this.api.liveUrl(),
      {
        message: (msg) => {
          const unknown = this.store.apply(msg);
          if (unknown) void this.loadBroadcast(unknown);
          if (msg.type === 'snapshot') void this.loadRegistry();
        },
        state: (state, retryAt) => this.store.setConnection(state, retryAt),
        unsynced: (failures) => this.checkSession(failures),
        sessionEnded: () => this.checkSession(UNSYNCED_CHECK_AFTER, true),
      },
      DEFAULT_BACKOFF,
      () => liveProtocols(opts.token()),
    );
    const user = opts.user;
    this.ctx = {
      store: this.store,
      i18n: this.i18n,
      api: this.api,
      prefs: this.prefs,
      now: () => Date.now(),
      navigate: (route) => this.navigate(route),
      requestAction: (alarm, kind) => this.requestAction(alarm, kind),
      toast: (text, tone) => this.toast(text, tone),
      user,
      can: (permission) => can(user, permission),
      loadBroadcast: (id) => this.loadBroadcast(id),
    };
    this.header = new Header(this.ctx, {
      toggleMute: () => this.toggleMute(),
      toggleLang: () => this.i18n.toggle(),
      logout: () => opts.logout(),
    });
    this.dialog = new ActionDialog(this.ctx);
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
    // Cluster mode: the nodes and the 110 link's holder in the header, looked at every 10 s.
    if (this.ctx.can('cluster:read')) {
      const look = () => void this.api.cluster().then((v) => this.header.setCluster(v), () => this.header.setCluster(undefined));
      look();
      this.clusterTimer = window.setInterval(look, 10_000);
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.dialog.isOpen) this.dialog.root.close();
    this.live.stop();
    this.sound.stop();
    window.clearInterval(this.tickTimer);
    window.clearInterval(this.clusterTimer);
    window.clearTimeout(this.renderTimer);
    for (const off of this.cleanups.splice(0)) off();
    this.view?.dispose?.();
    this.view = undefined;
  }

  /** A notice at the bottom right (also the app's: "not permitted for your role"). */
  toast(text: string, tone: 'info' | 'error' = 'info'): void {
    if (this.stopped) return;
    const el = h('div', { class: `toast toast-${tone}`, attrs: { 'data-tone': tone } }, text);
    this.toasts.append(el);
    window.setTimeout(() => el.remove(), TOAST_MS);
  }

  /**
   * The live feed keeps failing before its snapshot, or the gateway closed it as the session
   * ended: a refused upgrade (expired or revoked token) looks like an unreachable gateway, so
   * ask the HTTP API. Its 401 ends the session
   * (ApiAuth.unauthorized); a network error means the gateway is just away: keep retrying.
   */
  private checkSession(failures: number, now = false): void {
    if (failures < UNSYNCED_CHECK_AFTER || (!now && Date.now() - this.sessionCheckedAt < SESSION_CHECK_MS)) return;
    this.sessionCheckedAt = Date.now();
    this.api.me().catch(() => undefined);
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
    this.keysHint.textContent = this.keysText();
    const unacked = store.openAlarms().filter(isUnackedCritical).length;
    document.title = unacked > 0 ? `(${unacked}) ${i18n.t('board.unacked', { n: unacked })} — ${i18n.t('app.title')}` : i18n.t('app.title');
  }

  /** The keyboard footer: only the keys this role can use. */
  private keysText(): string {
    const { i18n, ctx } = this;
    const keys = [
      i18n.t('keys.select'),
      ctx.can('alarms:act') ? i18n.t('keys.act') : '',
      i18n.t('keys.mute'),
      i18n.t('keys.views'),
      ctx.can('broadcasts:read') ? i18n.t('keys.broadcasts') : '',
      ctx.can('sweeps:read') ? i18n.t('keys.sweeps') : '',
    ];
    return i18n.t('keys.hint', { keys: keys.filter(Boolean).join(' · ') });
  }

  private tick(): void {
    const now = Date.now();
    this.header.tick();
    refreshRelativeTimes(this.i18n, this.main, now);
    if (now - this.statesAt >= STATES_EVERY_MS) void this.loadStates(now);
  }

  /**
   * Device readings (barrier position, battery, SIM…) change without a health change, so the
   * live feed does not carry them: the school page and the outages list poll them.
   */
  private async loadStates(now: number): Promise<void> {
    const r = this.route;
    const site = r.view === 'schools' ? r.siteId : undefined;
    if (this.statesLoading || this.stopped || !(site || r.view === 'outages')) return;
    this.statesAt = now;
    this.statesLoading = true;
    try {
      this.store.setDeviceStates(await this.api.devices(site ? { site } : {}));
    } catch {
      // Readings are a convenience: the next tick tries again.
    } finally {
      this.statesLoading = false;
    }
  }

  private updateSound(): void {
    const unacked = this.store.openAlarms().filter(isUnackedCritical);
    const ids = new Set(unacked.map((a) => a.id));
    for (const id of this.silenced) if (!ids.has(id)) this.silenced.delete(id);
    // An escalation step that names the board makes a silenced alarm sound again.
    for (const a of unacked) {
      const steps = escalationOf(a)?.boardSteps ?? 0;
      if (steps > (this.boardSteps.get(a.id) ?? 0)) this.silenced.delete(a.id);
      this.boardSteps.set(a.id, steps);
    }
    for (const id of this.boardSteps.keys()) if (!ids.has(id)) this.boardSteps.delete(id);
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

  private navigate(route: Route): void {
    const href = routeHref(route);
    if (location.hash === href) this.applyRoute();
    else location.hash = href;
  }

  private applyRoute(): void {
    const route = parseRoute(location.hash);
    const prev = this.route;
    this.route = route;
    this.statesAt = 0; // the new view's readings at the next tick
    this.header.setRoute(route);
    if (!this.ctx.can(VIEW_PERMISSION[route.view])) {
      this.view?.dispose?.();
      this.view = new ForbiddenView(this.ctx, route.view);
      this.main.replaceChildren(this.view.root);
      this.view.render('route');
      return;
    }
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
    else if (route.view === 'clock') this.view = new ClockView(this.ctx);
    else if (route.view === 'oncall') this.view = new OnCallView(this.ctx);
    else if (route.view === 'broadcasts') this.view = new BroadcastsView(this.ctx, route);
    else if (route.view === 'sweeps') this.view = new SweepsView(this.ctx, route.sweepId);
    else if (route.view === 'drill') this.view = new DrillReportView(this.ctx, route.drillId);
    else if (route.view === 'simulators') this.view = new SimulatorsView(this.ctx, new SimulatorsClient(this.api, () => this.opts.token()));
    else if (route.siteId) this.view = new SchoolDetailView(this.ctx, route.siteId);
    else this.view = new SchoolsView(this.ctx);
    this.main.replaceChildren(this.view.root);
    this.view.render('route');
  }

  private requestAction(alarm: Alarm, kind: ActionKind): void {
    if (!this.ctx.can('alarms:act')) return;
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
    else if (key === '4' && this.ctx.can('broadcasts:read')) this.navigate({ view: 'broadcasts' });
    else if (key === '5' && this.ctx.can('sweeps:read')) this.navigate({ view: 'sweeps' });
    else if (key === 'm') this.toggleMute();
    else if (key === 'a' && selected) this.requestAction(selected, 'ack');
    else if (key === 'r' && selected) this.requestAction(selected, 'resolve');
    else return;
    ev.preventDefault();
  }

  /**
   * Names of sites and devices, the district's UI configuration, recently resolved alarms and
   * recent broadcasts: after every (re)sync. The configuration and broadcasts are optional
   * (older gateways have neither, and broadcasts need broadcasts:read): without them the
   * dashboard runs on its built-in defaults. A school user gets its own school only (the
   * gateway filters): one site, its devices, its alarms.
   */
  private async loadRegistry(): Promise<void> {
    if (this.registryLoading || this.stopped) return;
    this.registryLoading = true;
    try {
      const [sites, devices, health, resolved, ui, broadcasts] = await Promise.all([
        this.api.sites(),
        this.api.devices(),
        this.api.health(),
        this.api.alarms({ state: 'resolved', limit: RESOLVED_FETCHED }),
        this.api.uiConfig().catch(() => undefined),
        this.ctx.can('broadcasts:read') ? this.api.broadcasts({ limit: BROADCASTS_FETCHED }).catch(() => []) : [],
      ]);
      if (this.stopped) return;
      if (ui) this.store.setUiConfig(ui);
      this.store.setRegistry(sites, devices, health.district);
      this.store.addResolved(resolved);
      this.store.addBroadcasts(broadcasts);
    } catch (err) {
      // The socket is live but the API did not answer: try again shortly. A refusal is final:
      // 401 is already taking the officer to the login screen, and 403 will not change.
      const refused = err instanceof ApiError && (err.status === 401 || err.status === 403);
      if (!refused && !this.stopped) window.setTimeout(() => void this.loadRegistry(), 5000);
    } finally {
      this.registryLoading = false;
    }
  }

  /** One broadcast with its recipients (ViewContext.loadBroadcast). */
  private loadBroadcast(id: string): Promise<BroadcastLoad> {
    if (!this.ctx.can('broadcasts:read')) return Promise.resolve('failed');
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
