/**
 * Operator accounts, logins, sessions and lockout. Accounts come from the configuration file
 * (read-only here) and from admins at runtime (the state store). Sessions and lockouts live in
 * the state store too: a login on one node is valid on every node, and a lockout holds on every
 * node and across restarts. Every login, failure, lockout, logout and account change is written
 * to the hash-chained audit log by the caller-supplied `audit`.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../contract/clock.js';
import type { Counters } from '../core/counters.js';
import { GatewayError } from '../contract/errors.js';
import type { AuthConfig, OperatorConfig, Role } from './auth-config.js';
import { lockoutAfterFailure, lockoutsStaleBefore } from './lockout.js';
import { decoyHash, hashPassword, verifyPassword } from './passwords.js';
import type { AuthRepository, Session, StoredOperator } from './repository.js';
import { ROLE_PERMISSIONS, type Permission } from './roles.js';

export interface Operator extends OperatorConfig {
  displayName: string;
  source: 'config' | 'runtime';
  disabled: boolean;
}

/** What the API shows of an operator (never the hash). */
export interface OperatorView {
  username: string;
  displayName: string;
  role: Role;
  school?: string;
  districts?: string[];
  source: 'config' | 'runtime';
  disabled: boolean;
  permissions: Permission[];
}

export interface AuditFn {
  (e: { actor: string; action: string; target: string; detail: Record<string, unknown>; ip?: string }): Promise<unknown>;
}

export interface NewOperator {
  username: string;
  displayName?: string;
  role: Role;
  school?: string;
  districts?: string[];
  password: string;
}

export interface OperatorPatch {
  displayName?: string;
  role?: Role;
  school?: string | null;
  password?: string;
  disabled?: boolean;
}

export class OperatorService {
  private decoy?: Promise<string>;

  constructor(
    private readonly deps: {
      config: AuthConfig;
      store: AuthRepository;
      clock: Clock;
      counters: Counters;
      audit: AuditFn;
      /** Site ids of schools, to check a school user's `school`. */
      schoolExists: (siteId: string) => boolean;
    },
  ) {}

  /** Runs on every request (authenticate): an account from the configuration costs no database read. */
  async find(username: string): Promise<Operator | undefined> {
    const fromConfig = this.deps.config.users.find((u) => u.username === username);
    if (fromConfig) return configured(fromConfig);
    const stored = await this.deps.store.operator(username);
    return stored ? runtime(stored) : undefined;
  }

  /** Accounts from the configuration first (they win a name clash), then those admins added. */
  async list(): Promise<OperatorView[]> {
    const fromConfig = this.deps.config.users.map(configured);
    const taken = new Set(fromConfig.map((u) => u.username));
    const stored = (await this.deps.store.operators()).map(runtime);
    return [...fromConfig, ...stored.filter((op) => !taken.has(op.username))].map((op) => this.view(op));
  }

  view(op: Operator): OperatorView {
    return {
      username: op.username,
      displayName: op.displayName,
      role: op.role,
      ...(op.school ? { school: op.school } : {}),
      ...(op.districts ? { districts: [...op.districts] } : {}),
      source: op.source,
      disabled: op.disabled,
      permissions: [...ROLE_PERMISSIONS[op.role]],
    };
  }

  /**
   * Checks a password and opens a session. Wrong username and wrong password answer alike and
   * cost the same time. Throws GW_ERR_LOCKED_OUT (with `retryAfterSeconds`) or GW_ERR_BAD_CREDENTIALS.
   */
  async login(username: string, password: string, ip: string): Promise<{ session: Session; operator: Operator }> {
    const { clock, counters, audit, config, store } = this.deps;
    const now = clock.now();
    // The pair as JSON: unambiguous whatever the name holds, and storable in any database.
    const key = JSON.stringify([username, ip]);
    const entry = await store.lockout(key);
    if (entry?.lockedUntil !== undefined && entry.lockedUntil > now) {
      counters.inc('auth.login.locked');
      throw lockedOut(Math.ceil((entry.lockedUntil - now) / 1000));
    }
    const op = await this.find(username);
    const ok = await verifyPassword(password, op && !op.disabled ? op.passwordHash : await (this.decoy ??= decoyHash()));
    if (!op || op.disabled || !ok) {
      counters.inc('auth.login.failed');
      let locked = false;
      await store.updateLockout(key, now, (current) => {
        const next = lockoutAfterFailure(current, now, config.lockout);
        locked = next.locked;
        return next.state;
      });
      // A spray of random usernames cannot grow the table without bound.
      await store.purgeLockouts(lockoutsStaleBefore(now, config.lockout));
      await audit({ actor: username, action: 'auth.login-failed', target: username, detail: { reason: !op ? 'unknown-user' : op.disabled ? 'disabled' : 'wrong-password' }, ip });
      if (locked) {
        counters.inc('auth.lockouts');
        await audit({ actor: username, action: 'auth.locked-out', target: username, detail: { minutes: config.lockout.lockMinutes }, ip });
        throw lockedOut(Math.ceil(config.lockout.lockMinutes * 60));
      }
      throw new GatewayError('GW_ERR_BAD_CREDENTIALS');
    }
    await store.updateLockout(key, now, () => undefined);
    const session: Session = { id: randomBytes(18).toString('base64url'), username, createdAt: now, expiresAt: now + config.sessionTtlMinutes * 60_000, ip };
    await store.createSession(session);
    await store.purgeExpired(now);
    counters.inc('auth.login.ok');
    await audit({ actor: username, action: 'auth.login', target: username, detail: { role: op.role, session: session.id.slice(0, 8) }, ip });
    return { session, operator: op };
  }

  /** The operator behind a live session, or undefined (expired, revoked, disabled, removed). */
  async authenticate(sessionId: string): Promise<Operator | undefined> {
    const s = await this.deps.store.session(sessionId);
    if (!s || s.revokedAt !== undefined || s.expiresAt <= this.deps.clock.now()) return undefined;
    const op = await this.find(s.username);
    return op && !op.disabled ? op : undefined;
  }

  async logout(sessionId: string, username: string, ip: string): Promise<void> {
    if (await this.deps.store.revokeSession(sessionId, this.deps.clock.now())) {
      await this.deps.audit({ actor: username, action: 'auth.logout', target: username, detail: {}, ip });
    }
  }

  async create(input: NewOperator, by: string, ip: string): Promise<OperatorView> {
    if (await this.find(input.username)) throw new GatewayError('GW_ERR_USER_EXISTS', input.username);
    this.checkSchool(input.role, input.school);
    const op: OperatorConfig = {
      username: input.username,
      role: input.role,
      passwordHash: await hashPassword(input.password),
      ...(input.displayName ? { displayName: input.displayName } : {}),
      ...(input.school ? { school: input.school } : {}),
      ...(input.districts ? { districts: input.districts } : {}),
    };
    await this.deps.store.addOperator(op, this.deps.clock.now());
    await this.deps.audit({ actor: by, action: 'user.create', target: op.username, detail: { role: op.role, ...(op.school ? { school: op.school } : {}) }, ip });
    return this.view((await this.find(op.username)) as Operator);
  }

  async update(username: string, patch: OperatorPatch, by: string, ip: string): Promise<OperatorView> {
    const op = await this.find(username);
    if (!op) throw new GatewayError('GW_ERR_USER_NOT_FOUND', username);
    if (op.source === 'config') throw new GatewayError('GW_ERR_USER_READONLY', `${username}: change it in the configuration file`);
    const role = patch.role ?? op.role;
    const school = patch.school === null ? undefined : (patch.school ?? op.school);
    this.checkSchool(role, school);
    const next: OperatorConfig = {
      username,
      role,
      passwordHash: patch.password !== undefined ? await hashPassword(patch.password) : op.passwordHash,
      ...((patch.displayName ?? op.displayName) ? { displayName: patch.displayName ?? op.displayName } : {}),
      ...(school && role === 'school' ? { school } : {}),
      ...(op.districts ? { districts: op.districts } : {}),
    };
    const now = this.deps.clock.now();
    const disabled = patch.disabled ?? op.disabled;
    await this.deps.store.updateOperator({ ...next, role }, disabled ? now : undefined);
    // A changed password, role or a disabled account ends that user's sessions at once.
    if (patch.password !== undefined || patch.role !== undefined || patch.school !== undefined || disabled) await this.deps.store.revokeSessionsOf(username, now);
    const changed = Object.keys(patch).filter((k) => k !== 'password');
    await this.deps.audit({ actor: by, action: 'user.update', target: username, detail: { changed: [...changed, ...(patch.password !== undefined ? ['password'] : [])].join(','), role, disabled }, ip });
    return this.view((await this.find(username)) as Operator);
  }

  private checkSchool(role: Role, school: string | undefined): void {
    if (role === 'school' && (!school || !this.deps.schoolExists(school))) {
      throw new GatewayError('GW_ERR_BAD_REQUEST', `a school user needs the id of an existing school (got ${school ?? 'none'})`);
    }
    if (role !== 'school' && school) throw new GatewayError('GW_ERR_BAD_REQUEST', 'only school users have a school');
  }

}

function configured(u: OperatorConfig): Operator {
  return { ...u, displayName: u.displayName ?? u.username, source: 'config', disabled: false };
}

function runtime({ createdAt: _c, disabledAt, ...op }: StoredOperator): Operator {
  return { ...op, displayName: op.displayName ?? op.username, source: 'runtime', disabled: disabledAt !== undefined };
}

function lockedOut(retryAfterSeconds: number): GatewayError & { retryAfterSeconds: number } {
  const err = new GatewayError('GW_ERR_LOCKED_OUT', `try again in ${Math.ceil(retryAfterSeconds / 60)} min`) as GatewayError & { retryAfterSeconds: number };
  err.retryAfterSeconds = retryAfterSeconds;
  return err;
}
