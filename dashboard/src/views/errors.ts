/**
 * An API failure in words for the officer: the network, a refusal by role (403), a session
 * that ended (401, the app is already going back to the login screen), else the gateway's
 * own message.
 */
import { ApiError } from '../api.js';
import type { ViewContext } from './context.js';

export function errorText(ctx: Pick<ViewContext, 'i18n' | 'user'>, err: unknown): string {
  const { i18n } = ctx;
  if (err instanceof ApiError) {
    if (err.status === 0) return i18n.t('error.network');
    if (err.status === 403) return i18n.t('auth.forbidden', { role: i18n.role(ctx.user.role) });
    if (err.status === 401) return i18n.t('login.expired');
  }
  return err instanceof Error ? err.message : String(err);
}
