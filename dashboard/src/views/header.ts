/**
 * The top bar an officer glances at: what is open, whether the screen is live (已连接 /
 * 重连中), the clock, who is signed in (name and role, with 退出登录), sound and language.
 * Views the role may not see are not offered.
 */
import { h, setAttrs, setText } from '../dom.js';
import { CHANNEL_KINDS, outageRows, worstStatus } from '../derive.js';
import { clockTime } from '../format.js';
import { isUnackedCritical } from '../model.js';
import { routeHref, type Route } from '../router.js';
import { displayName } from '../session.js';
import { simText } from '../i18n/dictionary-simulators.js';
import type { SoundState } from '../sound.js';
import type { ClusterView } from '../model.js';
import type { RenderReason, ViewContext } from './context.js';

export interface HeaderActions {
  toggleMute(): void;
  toggleLang(): void;
  logout(): void;
}

export class Header {
  private readonly title = h('h1', { class: 'app-title' });
  private readonly district = h('span', { class: 'district' });
  private readonly navBoard = h('a', { class: 'nav-link', attrs: { href: '#/board', 'data-nav': 'board' } });
  private readonly navSchools = h('a', { class: 'nav-link', attrs: { href: '#/schools', 'data-nav': 'schools' } });
  private readonly navOutages = h('a', { class: 'nav-link', attrs: { href: '#/outages', 'data-nav': 'outages' } });
  private readonly navBroadcasts = h('a', { class: 'nav-link', attrs: { href: '#/broadcasts', 'data-nav': 'broadcasts' } });
  private readonly navSweeps = h('a', { class: 'nav-link', attrs: { href: '#/sweeps', 'data-nav': 'sweeps' } });
  private readonly navOncall = h('a', { class: 'nav-link', attrs: { href: '#/oncall', 'data-nav': 'oncall' } });
  private readonly navSimulators = h('a', { class: 'nav-link', attrs: { href: '#/simulators', 'data-nav': 'simulators' } });
  private readonly nav = h('nav', { class: 'nav' }, this.navBoard, this.navSchools, this.navOutages, this.navBroadcasts, this.navSweeps, this.navOncall, this.navSimulators);
  private readonly operatorName = h('span', { class: 'operator-name', attrs: { 'data-testid': 'operator-name' } });
  private readonly operatorRole = h('span', { class: 'operator-role', attrs: { 'data-testid': 'operator-role' } });
  private readonly logoutButton = h('button', { class: 'btn btn-header btn-logout', attrs: { type: 'button', 'data-action': 'logout' } });
  private readonly muteButton = h('button', { class: 'btn btn-header btn-mute', attrs: { type: 'button', 'data-action': 'mute' } });
  private readonly langButton = h('button', { class: 'btn btn-header btn-lang', attrs: { type: 'button', 'data-action': 'lang' } });
  private readonly channels = h('div', { class: 'channels', attrs: { role: 'group' } });
  /** Cluster mode only: the nodes and which one holds the 110 link. */
  private readonly clusterChip = h('div', { class: 'chip cluster', attrs: { 'data-testid': 'cluster', hidden: '' } });
  private cluster?: ClusterView;
  private readonly conn = h('div', { class: 'conn', attrs: { role: 'status', 'data-testid': 'connection' } });
  private readonly clock = h('time', { class: 'clock' });
  readonly root: HTMLElement;
  private soundState: SoundState = 'off';
  private route: Route = { view: 'board' };

  constructor(
    private readonly ctx: ViewContext,
    private readonly actions: HeaderActions,
  ) {
    this.logoutButton.addEventListener('click', () => actions.logout());
    // Views the role cannot see (the gateway would answer 403) are not in the menu.
    this.navBroadcasts.hidden = !ctx.can('broadcasts:read');
    this.navSweeps.hidden = !ctx.can('sweeps:read');
    this.navOncall.hidden = !ctx.can('oncall:read');
    this.navSimulators.hidden = !ctx.can('simulators:control');
    this.muteButton.addEventListener('click', () => actions.toggleMute());
    this.langButton.addEventListener('click', () => actions.toggleLang());
    this.root = h(
      'header',
      { class: 'app-header' },
      h('div', { class: 'brand' }, this.title, this.district),
      this.nav,
      this.channels,
      this.clusterChip,
      h(
        'div',
        { class: 'header-tools' },
        h('div', { class: 'operator', attrs: { 'data-testid': 'session', 'data-role': ctx.user.role } }, this.operatorName, this.operatorRole, this.logoutButton),
        this.muteButton,
        this.langButton,
        this.conn,
        this.clock,
      ),
    );
  }

  setSound(state: SoundState): void {
    this.soundState = state;
    this.render('alarms');
  }

  /** The latest GET /api/cluster answer (undefined: not allowed or not answered). */
  setCluster(view: ClusterView | undefined): void {
    this.cluster = view;
    this.renderCluster();
  }

  setRoute(route: Route): void {
    this.route = route;
    this.render('route');
  }

  render(_reason: RenderReason): void {
    const { store, i18n } = this.ctx;
    setText(this.title, i18n.t('app.title'));
    // The configured name in the officer's language; /api/health's name until the config answers.
    setText(this.district, store.ui ? i18n.siteName(store.ui.district, store.ui.district.id) : store.district);
    this.nav.setAttribute('aria-label', i18n.t('nav.label'));

    const open = store.openAlarms();
    const unacked = open.filter(isUnackedCritical).length;
    const outages = outageRows(store.devices(), (d) => store.healthOf(d)).length;
    this.navLink(this.navBoard, 'board', i18n.t('nav.board'), open.length, unacked > 0 ? 'critical' : open.length > 0 ? 'warn' : 'none');
    this.navLink(this.navSchools, 'schools', i18n.t('nav.schools'), undefined, 'none');
    this.navLink(this.navOutages, 'outages', i18n.t('nav.outages'), outages, outages > 0 ? 'warn' : 'none');
    const openBroadcasts = store.openBroadcasts();
    this.navLink(this.navBroadcasts, 'broadcasts', i18n.t('nav.broadcasts'), openBroadcasts > 0 ? openBroadcasts : undefined, 'none');
    this.navLink(this.navSweeps, 'sweeps', i18n.t('nav.sweeps'), undefined, 'none');
    this.navLink(this.navOncall, 'oncall', i18n.t('nav.oncall'), undefined, 'none');
    this.navLink(this.navSimulators, 'simulators', simText(i18n, 'nav.simulators'), undefined, 'none');

    this.renderChannels();
    this.renderCluster();
    this.renderSession();

    const muted = this.soundState === 'muted';
    setText(this.muteButton, i18n.t(muted ? 'sound.muted' : 'sound.mute'));
    setAttrs(this.muteButton, {
      'aria-pressed': muted ? 'true' : 'false',
      title: i18n.t('sound.muteHint'),
      disabled: this.soundState === 'off',
      'data-sound': this.soundState,
    });
    setText(this.langButton, i18n.t('lang.other'));
    setAttrs(this.langButton, { 'aria-label': i18n.t('lang.otherLabel'), lang: i18n.lang === 'zh' ? 'en' : 'zh' });

    this.tick();
  }

  private renderSession(): void {
    const { i18n, user, store } = this.ctx;
    setText(this.operatorName, displayName(user));
    // Cut with an ellipsis on narrow screens: the whole name on hover.
    this.operatorName.title = displayName(user);
    // A school user's school by name: the one place the header says whose screen this is.
    const school = user.school ? i18n.siteName(store.site(user.school), user.school) : '';
    setText(this.operatorRole, school ? `${i18n.role(user.role)} · ${school}` : i18n.role(user.role));
    this.operatorRole.dataset.role = user.role;
    setText(this.logoutButton, i18n.t('session.logout'));
    this.operatorName.parentElement?.setAttribute('aria-label', i18n.t('session.label'));
  }

  /** Once a second: the clock and the retry countdown. */
  tick(): void {
    this.renderConnection();
    const now = this.ctx.now();
    setText(this.clock, clockTime(this.ctx.i18n, now));
    this.clock.dateTime = new Date(now).toISOString();
    this.clock.setAttribute('aria-label', this.ctx.i18n.t('clock.label'));
  }

  private renderConnection(): void {
    const { store, i18n } = this.ctx;
    const state = store.connection;
    this.conn.dataset.state = state;
    this.conn.className = `conn conn-${state}`;
    const retry = state === 'reconnecting' && store.retryAt ? Math.max(0, Math.ceil((store.retryAt - this.ctx.now()) / 1000)) : 0;
    const label = i18n.t(state === 'live' ? 'conn.live' : state === 'reconnecting' ? 'conn.reconnecting' : 'conn.connecting');
    const countdown = retry > 0 ? ` · ${i18n.t('conn.retryIn', { s: retry })}` : '';
    if (this.conn.textContent === label + countdown) return;
    // The countdown is for eyes only: a screen reader hears the state change, not every second.
    this.conn.replaceChildren(
      h('span', { class: 'conn-dot', attrs: { 'aria-hidden': 'true' } }),
      h('span', { class: 'conn-text' }, label),
      h('span', { class: 'conn-retry', attrs: { 'aria-hidden': 'true' } }, countdown),
    );
  }

  /** The district's channels (110 link, SMS, radio): if one is down, alarms do not get out. */
  private renderChannels(): void {
    const { store, i18n } = this.ctx;
    this.channels.setAttribute('aria-label', i18n.t('channels.label'));
    const devices = store.devices();
    const chips = CHANNEL_KINDS.flatMap((kind) => {
      const own = devices.filter((d) => d.kind === kind);
      if (own.length === 0) return [];
      const status = worstStatus(own.map((d) => store.healthOf(d).status));
      return [{ kind, status }];
    });
    const sig = `${i18n.lang}|${chips.map((c) => `${c.kind}:${c.status}`).join(',')}`;
    if (this.channels.dataset.sig === sig) return;
    this.channels.dataset.sig = sig;
    this.channels.replaceChildren(
      ...chips.map((c) =>
        h(
          'a',
          { class: `chip status-${c.status}`, attrs: { href: routeHref({ view: 'outages', filter: { kind: c.kind } }), 'data-channel': c.kind, 'data-status': c.status } },
          h('span', { class: 'chip-name' }, i18n.t(`channel.${c.kind}`)),
          h('span', { class: 'chip-status' }, i18n.status(c.status)),
        ),
      ),
    );
  }

  /** "节点 2/2 · 110 联网在 node-1" (cluster mode); a down node by name; hidden for one embedded gateway. */
  private renderCluster(): void {
    const { i18n } = this.ctx;
    const view = this.cluster;
    const show = view?.mode === 'cluster' && view.nodes.length > 0;
    const sig = show ? `${i18n.lang}|${view.lease.holder ?? ''}|${view.nodes.map((n) => `${n.id}:${n.down}`).join(',')}` : 'hidden';
    if (this.clusterChip.dataset.sig === sig) return;
    this.clusterChip.dataset.sig = sig;
    this.clusterChip.hidden = !show;
    if (!show) {
      this.clusterChip.replaceChildren();
      return;
    }
    const up = view.nodes.filter((n) => !n.down);
    const down = view.nodes.filter((n) => n.down);
    const holder = view.lease.live ? view.lease.holder : undefined;
    const status = !holder ? 'offline' : down.length > 0 ? 'degraded' : 'ok';
    this.clusterChip.className = `chip cluster status-${status}`;
    setAttrs(this.clusterChip, {
      'aria-label': i18n.t('cluster.label'),
      'data-holder': holder,
      'data-status': status,
      title: view.nodes.map((n) => (n.lease.holder ? i18n.t('cluster.nodeHolder', { id: n.id }) : n.down ? i18n.t('cluster.down', { id: n.id }) : n.id)).join(' · '),
    });
    this.clusterChip.replaceChildren(
      h('span', { class: 'chip-name' }, i18n.t('cluster.nodes', { up: up.length, n: view.nodes.length })),
      h('span', { class: 'chip-status', attrs: { 'data-testid': 'cluster-holder' } }, holder ? i18n.t('cluster.holder', { id: holder }) : i18n.t('cluster.noHolder')),
      ...down.map((n) => h('span', { class: 'chip-status cluster-down', attrs: { 'data-node': n.id } }, i18n.t('cluster.down', { id: n.id }))),
    );
  }

  private navLink(a: HTMLElement, view: Route['view'], label: string, count: number | undefined, tone: 'critical' | 'warn' | 'none'): void {
    const current = this.route.view === view;
    setAttrs(a, { 'aria-current': current ? 'page' : undefined });
    const sig = `${label}|${count ?? ''}|${tone}`;
    if (a.dataset.sig === sig) return;
    a.dataset.sig = sig;
    a.replaceChildren(label, ...(count !== undefined ? [h('span', { class: `count count-${tone}`, attrs: { 'data-count': count } }, String(count))] : []));
  }
}
