/** What every view gets from the app: state, strings, the API and the app's actions. */
import type { ApiClient } from '../api.js';
import type { I18n } from '../i18n/i18n.js';
import type { Alarm, DeviceView } from '../model.js';
import type { Prefs } from '../prefs.js';
import type { Route } from '../router.js';
import { displayName, type Permission, type SessionUser } from '../session.js';
import type { Change, DashboardStore } from '../store.js';

export type ActionKind = 'ack' | 'resolve';

export interface ViewContext {
  store: DashboardStore;
  i18n: I18n;
  api: ApiClient;
  prefs: Prefs;
  now(): number;
  navigate(route: Route): void;
  /** Opens the note dialog for acknowledge or resolve (the second click confirms). */
  requestAction(alarm: Alarm, kind: ActionKind): void;
  toast(text: string, tone?: 'info' | 'error'): void;
  /** The logged-in operator: the gateway records every action under this user. */
  user: SessionUser;
  /**
   * Whether the user's role grants `permission`. Views offer only what the gateway would
   * allow; the gateway enforces it regardless.
   */
  can(permission: Permission): boolean;
  /**
   * Fetches one broadcast with its recipients into the store (at most one request per id in
   * flight; a failed id is not asked again for a few seconds).
   */
  loadBroadcast(id: string): Promise<BroadcastLoad>;
}

/** ok: in the store now; missing: the gateway does not know it (404); failed: try later. */
export type BroadcastLoad = 'ok' | 'missing' | 'failed';

export type RenderReason = Change | 'lang' | 'route' | 'init';

export interface View {
  readonly root: HTMLElement;
  render(reason: RenderReason): void;
  /** The view is leaving the screen. */
  dispose?(): void;
}

/** Device name for display: the registry's name, else the id. */
export function deviceName(ctx: ViewContext, deviceId: string | undefined): string {
  if (!deviceId) return '';
  return ctx.store.device(deviceId)?.name ?? deviceId;
}

export function siteName(ctx: ViewContext, siteId: string): string {
  return ctx.i18n.siteName(ctx.store.site(siteId), siteId);
}

/** Who did a timeline step, in words: a device by its name, the system, or the officer's name. */
export function actorName(ctx: ViewContext, by: string): string {
  if (by === 'system') return ctx.i18n.t('by.system');
  if (by === 'escalation') return ctx.i18n.t('by.escalation');
  if (by === 'operator') return ctx.i18n.t('by.operator');
  // The gateway may record the username: the operator's own name reads better.
  if (by === ctx.user.username) return displayName(ctx.user);
  const device: DeviceView | undefined = ctx.store.device(by);
  return device ? device.name : by;
}
