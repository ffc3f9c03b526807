/**
 * Operator accounts added at runtime, login sessions and login lockouts, as the operator
 * service needs them (gateway/store/sqlite/auth-store.ts, gateway/store/pg/auth-store.ts). In
 * the database so that a login on one node is valid on all, and a lockout holds on every node
 * and across restarts.
 */
import type { OperatorConfig, Role } from './auth-config.js';

export interface StoredOperator extends OperatorConfig {
  createdAt: number;
  disabledAt?: number;
}

export interface Session {
  id: string;
  username: string;
  createdAt: number;
  expiresAt: number;
  revokedAt?: number;
  ip?: string;
}

/** Failed logins of one (username, address): their times inside the window, and a lock. */
export interface LockoutState {
  failures: number[];
  lockedUntil?: number;
}

/** A change to a lockout: the new state, or undefined to forget the key. Pure (may run again). */
export type LockoutChange = (current: LockoutState | undefined) => LockoutState | undefined;

export interface AuthRepository {
  operators(): Promise<StoredOperator[]>;
  operator(username: string): Promise<StoredOperator | undefined>;
  addOperator(op: OperatorConfig, at: number): Promise<void>;
  updateOperator(op: OperatorConfig & { role: Role }, disabledAt: number | undefined): Promise<void>;
  createSession(s: Omit<Session, 'revokedAt'>): Promise<void>;
  session(id: string): Promise<Session | undefined>;
  /** True when this call revoked it (false: unknown or already revoked). */
  revokeSession(id: string, at: number): Promise<boolean>;
  revokeSessionsOf(username: string, at: number): Promise<number>;
  /** Drops sessions that expired before `before` (they can no longer be used anyway). */
  purgeExpired(before: number): Promise<number>;
  lockout(key: string): Promise<LockoutState | undefined>;
  /** Applies `change` atomically (two nodes counting failures of one key both count). */
  updateLockout(key: string, at: number, change: LockoutChange): Promise<LockoutState | undefined>;
  /** Forgets lockouts last changed before `before`. */
  purgeLockouts(before: number): Promise<number>;
}
