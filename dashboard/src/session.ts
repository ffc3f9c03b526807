/**
 * The operator's login session (issue #4): the bearer token the gateway issued and the user it
 * belongs to, kept in sessionStorage. Not localStorage (the token must not outlive the tab: a
 * shared control-room PC should not stay signed in for the next person who opens a browser) and
 * not a cookie (a bearer header cannot be sent by another site's form, so no CSRF defence is
 * needed). A browser that refuses storage still works: the session then lasts for the page.
 */
import type { Role } from '../../gateway/auth/auth-config.js';
import type { Permission } from '../../gateway/auth/roles.js';

/** Roles and what they grant are the gateway's (gateway/auth/roles.ts); it enforces every one. */
export type { Permission, Role };

/** GET /api/auth/me, and `user` of the login reply. */
export interface SessionUser {
  username: string;
  displayName?: string;
  role: string;
  /** The one school a `school` user sees. */
  school?: string;
  permissions: string[];
}

/** POST /api/auth/login 200. */
export interface Session {
  token: string;
  /** When the gateway stops accepting the token (ms since epoch). */
  expiresAt: number;
  user: SessionUser;
}

const KEY = 'campus-dashboard.session';

/** The name shown for the operator: the configured display name, else the username. */
export function displayName(user: SessionUser): string {
  return user.displayName?.trim() || user.username;
}

export function can(user: SessionUser, permission: Permission): boolean {
  return user.permissions.includes(permission);
}

/**
 * expiresAt as milliseconds, whatever the gateway sends: ms, seconds (JWT `exp` style) or an
 * ISO date. Unreadable means "no known expiry": the gateway's 401 still ends the session.
 */
export function expiryMs(value: unknown): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value < 1e12 ? value * 1000 : value;
  if (typeof value === 'string') {
    const n = Number(value);
    if (value.trim() !== '' && Number.isFinite(n)) return expiryMs(n);
    const t = Date.parse(value);
    if (Number.isFinite(t)) return t;
  }
  return Number.POSITIVE_INFINITY;
}

function isUser(v: unknown): v is SessionUser {
  if (typeof v !== 'object' || v === null) return false;
  const u = v as Partial<SessionUser>;
  return typeof u.username === 'string' && typeof u.role === 'string' && Array.isArray(u.permissions) && u.permissions.every((p) => typeof p === 'string');
}

/** A login reply (or a stored session) checked for the fields the dashboard relies on. */
export function parseSession(v: unknown): Session | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const s = v as { token?: unknown; expiresAt?: unknown; user?: unknown };
  if (typeof s.token !== 'string' || s.token === '' || !isUser(s.user)) return undefined;
  return { token: s.token, expiresAt: expiryMs(s.expiresAt), user: s.user };
}

export function parseUser(v: unknown): SessionUser | undefined {
  return isUser(v) ? v : undefined;
}

export class SessionStore {
  private memory: string | undefined;

  constructor(private readonly storage: Storage | undefined) {}

  /** The stored session, unless it is missing, unreadable or past its expiry. */
  load(now: number): Session | undefined {
    let raw: string | null | undefined = this.memory;
    try {
      raw = this.storage?.getItem(KEY) ?? this.memory;
    } catch {
      // storage refused: memory only
    }
    if (!raw) return undefined;
    let session: Session | undefined;
    try {
      // JSON has no Infinity: a session without a known expiry is stored with null.
      const parsed = JSON.parse(raw) as { expiresAt?: unknown };
      session = parseSession({ ...parsed, expiresAt: parsed.expiresAt ?? undefined });
    } catch {
      session = undefined;
    }
    if (!session || session.expiresAt <= now) {
      this.clear();
      return undefined;
    }
    return session;
  }

  save(session: Session): void {
    const raw = JSON.stringify({ ...session, expiresAt: Number.isFinite(session.expiresAt) ? session.expiresAt : null });
    this.memory = raw;
    try {
      this.storage?.setItem(KEY, raw);
    } catch {
      // storage refused: kept in memory for this page
    }
  }

  clear(): void {
    this.memory = undefined;
    try {
      this.storage?.removeItem(KEY);
    } catch {
      // nothing stored
    }
  }
}
