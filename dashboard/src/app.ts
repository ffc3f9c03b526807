/**
 * The application shell: the language, the login session and which screen is up, the login
 * screen or the dashboard of the logged-in operator (issue #4). Every API call carries the
 * session's bearer token; a 401 (expired or revoked) ends the session and brings the login
 * screen back with a word why; a 403 is said as "not permitted for your role". Everything
 * mutable lives in this object (nothing at module level).
 */
import { ApiClient, type ApiError } from './api.js';
import { Dashboard } from './dashboard.js';
import { I18n } from './i18n/i18n.js';
import { Prefs } from './prefs.js';
import { SessionStore, type Session } from './session.js';
import { LoginView, NOTICE_EXPIRED, NOTICE_LOGGED_OUT, type LoginNotice } from './views/login-view.js';

export interface AppOptions {
  root: HTMLElement;
  /** Base URL the API paths resolve against (the page's own). */
  base: string;
  /** Preferences (the language): localStorage. */
  storage?: Storage;
  /** The login session: sessionStorage, so that it ends with the tab. */
  sessionStorage?: Storage;
}

/** One "not permitted" notice for a burst of refused requests. */
const FORBIDDEN_NOTICE_MS = 3000;
/** setTimeout's longest delay (2^31 − 1 ms, about 24.8 days). */
const MAX_TIMER_MS = 2_147_483_647;
/** Logout waits this long for the gateway to revoke the token before the login screen shows anyway. */
const LOGOUT_TIMEOUT_MS = 5000;

export class App {
  private readonly prefs: Prefs;
  private readonly i18n: I18n;
  private readonly sessions: SessionStore;
  private readonly api: ApiClient;
  private readonly login: LoginView;
  private session: Session | undefined;
  private dashboard: Dashboard | undefined;
  private expiryTimer: number | undefined;
  private forbiddenAt = 0;
  private offLang: (() => void) | undefined;

  constructor(private readonly opts: AppOptions) {
    this.prefs = new Prefs(opts.storage);
    this.i18n = new I18n(this.prefs);
    this.sessions = new SessionStore(opts.sessionStorage);
    this.api = new ApiClient(opts.base, {
      token: () => this.session?.token,
      // A late answer to an earlier session's request must not end the current one.
      unauthorized: (token) => {
        if (token === this.session?.token) this.signOut(NOTICE_EXPIRED);
      },
      forbidden: (err) => this.forbidden(err),
    });
    this.login = new LoginView(this.i18n, {
      login: (username, password) => this.logIn(username, password),
      toggleLang: () => this.i18n.toggle(),
    });
  }

  start(): void {
    this.offLang = this.i18n.onChange(() => {
      if (!this.dashboard) this.renderLogin();
    });
    const stored = this.sessions.load(Date.now());
    if (!stored) {
      this.showLogin();
      return;
    }
    // The stored session opens at once; the gateway then says whether it still holds (a 401
    // brings the login screen) and what the role may do now.
    this.enter(stored);
    void this.refreshUser(stored.token);
  }

  stop(): void {
    this.offLang?.();
    window.clearTimeout(this.expiryTimer);
    this.dashboard?.stop();
    this.dashboard = undefined;
  }

  private async logIn(username: string, password: string): Promise<void> {
    const session = await this.api.login(username, password);
    this.sessions.save(session);
    this.enter(session);
  }

  private enter(session: Session): void {
    this.session = session;
    this.dashboard?.stop();
    this.dashboard = new Dashboard({
      root: this.opts.root,
      api: this.api,
      i18n: this.i18n,
      prefs: this.prefs,
      user: session.user,
      token: () => this.session?.token,
      logout: () => void this.logout(),
    });
    this.dashboard.start();
    this.armExpiry(session);
  }

  /** Ends the screen when the token does: the officer sees why rather than a wall of refusals. */
  private armExpiry(session: Session): void {
    window.clearTimeout(this.expiryTimer);
    if (!Number.isFinite(session.expiresAt)) return;
    const delay = Math.max(0, session.expiresAt - Date.now());
    this.expiryTimer = window.setTimeout(() => {
      if (this.session !== session) return;
      if (Date.now() >= session.expiresAt) this.signOut(NOTICE_EXPIRED);
      else this.armExpiry(session);
    }, Math.min(delay, MAX_TIMER_MS));
  }

  /** GET /api/auth/me: a changed role or permissions restart the dashboard with them. */
  private async refreshUser(token: string): Promise<void> {
    let user;
    try {
      user = await this.api.me();
    } catch {
      // 401 has signed out already; the gateway away: keep the stored session for now.
      return;
    }
    const current = this.session;
    if (!current || current.token !== token || JSON.stringify(user) === JSON.stringify(current.user)) return;
    const updated: Session = { ...current, user };
    this.sessions.save(updated);
    this.enter(updated);
  }

  /** 退出登录: the gateway revokes the token (POST /api/auth/logout), then the login screen. */
  private async logout(): Promise<void> {
    const token = this.session?.token;
    // A second click while the first logout is on its way does nothing.
    if (!token || !this.dashboard) return;
    // No request of this session may run into the revoked token and sign out a second time.
    this.dashboard?.stop();
    this.dashboard = undefined;
    try {
      await Promise.race([this.api.logout(), new Promise((resolve) => window.setTimeout(resolve, LOGOUT_TIMEOUT_MS))]);
    } catch {
      // Already expired or revoked, or the gateway is away: the token is dropped here either way.
    }
    if (this.session?.token === token) this.signOut(NOTICE_LOGGED_OUT);
  }

  private signOut(notice: LoginNotice): void {
    window.clearTimeout(this.expiryTimer);
    this.dashboard?.stop();
    this.dashboard = undefined;
    this.session = undefined;
    this.sessions.clear();
    this.showLogin(notice);
  }

  private forbidden(_err: ApiError): void {
    const now = Date.now();
    if (!this.dashboard || !this.session || now - this.forbiddenAt < FORBIDDEN_NOTICE_MS) return;
    this.forbiddenAt = now;
    this.dashboard.toast(this.i18n.t('auth.forbidden', { role: this.i18n.role(this.session.user.role) }), 'error');
  }

  private showLogin(notice?: LoginNotice): void {
    document.documentElement.lang = this.i18n.locale;
    document.documentElement.dataset.alarmSound = 'off';
    document.body.classList.remove('is-stale');
    this.opts.root.replaceChildren(this.login.root);
    this.login.show(notice);
  }

  private renderLogin(): void {
    document.documentElement.lang = this.i18n.locale;
    this.login.render();
  }
}
