/**
 * The login screen (issue #4): username and password, in Chinese first with the same language
 * switch as the header. It says plainly what went wrong: a wrong password (401), an account
 * locked after repeated failures (429, with the minutes from Retry-After), an unreachable
 * gateway; and why the officer is here again (the session expired or was revoked, or they
 * signed out).
 */
import { ApiError } from '../api.js';
import { h, setAttrs, setText } from '../dom.js';
import type { UiKey } from '../i18n/dictionary.js';
import type { I18n, Vars } from '../i18n/i18n.js';

/** What the message line says; kept as a key so that it follows a language switch. */
export interface LoginNotice {
  key: UiKey;
  vars?: Vars;
  tone: 'info' | 'error';
  /** For tests and wall-screen scripts: bad-credentials, locked-out, network, expired, … */
  code: string;
}

export interface LoginActions {
  /** Logs in and enters the dashboard; throws the gateway's refusal as an ApiError. */
  login(username: string, password: string): Promise<void>;
  toggleLang(): void;
}

export const NOTICE_EXPIRED: LoginNotice = { key: 'login.expired', tone: 'error', code: 'expired' };
export const NOTICE_LOGGED_OUT: LoginNotice = { key: 'login.loggedOut', tone: 'info', code: 'logged-out' };

/** A failed login in words. */
export function loginFailure(err: unknown): LoginNotice {
  if (err instanceof ApiError) {
    if (err.status === 401) return { key: 'login.badCredentials', tone: 'error', code: 'bad-credentials' };
    if (err.status === 429) {
      return err.retryAfterS !== undefined
        ? { key: 'login.lockedOut', vars: { m: Math.max(1, Math.ceil(err.retryAfterS / 60)) }, tone: 'error', code: 'locked-out' }
        : { key: 'login.lockedOutNoTime', tone: 'error', code: 'locked-out' };
    }
    if (err.status === 0) return { key: 'login.network', tone: 'error', code: 'network' };
  }
  return { key: 'login.failed', vars: { msg: err instanceof Error ? err.message : String(err) }, tone: 'error', code: 'failed' };
}

export class LoginView {
  readonly root: HTMLElement;
  private readonly title = h('h1', { class: 'app-title' });
  private readonly heading = h('h2', { class: 'login-heading', id: 'login-heading' });
  private readonly subtitle = h('p', { class: 'hint' });
  private readonly langButton = h('button', { class: 'btn btn-header btn-lang', attrs: { type: 'button', 'data-action': 'lang' } });
  private readonly userLabel = h('label', { attrs: { for: 'login-username' } });
  private readonly username = h('input', {
    id: 'login-username',
    attrs: { type: 'text', name: 'username', autocomplete: 'username', autocapitalize: 'none', spellcheck: 'false', maxlength: 64, required: true },
  });
  private readonly passLabel = h('label', { attrs: { for: 'login-password' } });
  private readonly password = h('input', { id: 'login-password', attrs: { type: 'password', name: 'password', autocomplete: 'current-password', maxlength: 256, required: true } });
  private readonly message = h('p', { class: 'login-message', attrs: { role: 'alert', 'data-testid': 'login-error' } });
  private readonly submit = h('button', { class: 'btn btn-send btn-login', attrs: { type: 'submit', 'data-action': 'login' } });
  private notice: LoginNotice | undefined;
  private busy = false;

  constructor(
    private readonly i18n: I18n,
    private readonly actions: LoginActions,
  ) {
    this.langButton.addEventListener('click', () => actions.toggleLang());
    const form = h(
      'form',
      { class: 'login-card', attrs: { novalidate: true, 'aria-labelledby': 'login-heading' }, on: { submit: (ev) => void this.onSubmit(ev) } },
      h('div', { class: 'login-top' }, this.title, this.langButton),
      this.heading,
      this.subtitle,
      h('div', { class: 'login-field' }, this.userLabel, this.username),
      h('div', { class: 'login-field' }, this.passLabel, this.password),
      this.message,
      this.submit,
    );
    this.root = h('main', { class: 'login', attrs: { 'data-view': 'login', 'data-testid': 'login' } }, form);
  }

  /** On screen again (first visit, expired session, signed out): the password is asked afresh. */
  show(notice?: LoginNotice): void {
    this.notice = notice;
    this.busy = false;
    this.password.value = '';
    this.render();
    (this.username.value ? this.password : this.username).focus();
  }

  render(): void {
    const { i18n } = this;
    setText(this.title, i18n.t('app.title'));
    setText(this.heading, i18n.t('login.title'));
    setText(this.subtitle, i18n.t('login.subtitle'));
    setText(this.langButton, i18n.t('lang.other'));
    setAttrs(this.langButton, { 'aria-label': i18n.t('lang.otherLabel'), lang: i18n.lang === 'zh' ? 'en' : 'zh' });
    setText(this.userLabel, i18n.t('login.username'));
    setText(this.passLabel, i18n.t('login.password'));
    setText(this.submit, i18n.t(this.busy ? 'login.submitting' : 'login.submit'));
    this.submit.disabled = this.busy;
    const n = this.notice;
    setText(this.message, n ? i18n.t(n.key, n.vars) : '');
    this.message.hidden = !n;
    setAttrs(this.message, { 'data-code': n?.code, 'data-tone': n?.tone });
    document.title = i18n.t('app.title');
  }

  private async onSubmit(ev: Event): Promise<void> {
    ev.preventDefault();
    if (this.busy) return;
    const username = this.username.value.trim();
    const password = this.password.value;
    if (!username || !password) {
      this.notice = { key: 'login.needBoth', tone: 'error', code: 'incomplete' };
      this.render();
      (username ? this.password : this.username).focus();
      return;
    }
    this.busy = true;
    this.notice = undefined;
    this.render();
    try {
      await this.actions.login(username, password);
      this.busy = false;
      this.password.value = '';
    } catch (err) {
      this.busy = false;
      this.notice = loginFailure(err);
      this.password.value = '';
      this.render();
      this.password.focus();
    }
  }
}
