/**
 * Login lockout: `maxFailures` failed logins of one (username, address) inside `windowMinutes`
 * lock that pair out for `lockMinutes`. Pure; the state lives in the auth repository, which
 * applies a failure atomically, so failures counted on two nodes add up.
 */
import type { LockoutState } from './repository.js';

export interface LockoutPolicy {
  maxFailures: number;
  windowMinutes: number;
  lockMinutes: number;
}

/** The state after one more failure at `now`; `locked` when this failure starts a lock. */
export function lockoutAfterFailure(current: LockoutState | undefined, now: number, policy: LockoutPolicy): { state: LockoutState; locked: boolean } {
  const failures = [...(current?.failures ?? []).filter((t) => t > now - policy.windowMinutes * 60_000), now];
  if (failures.length < policy.maxFailures) {
    return { state: { failures, ...(current?.lockedUntil !== undefined ? { lockedUntil: current.lockedUntil } : {}) }, locked: false };
  }
  return { state: { failures: [], lockedUntil: now + policy.lockMinutes * 60_000 }, locked: true };
}

/** Lockouts last changed before this can hold nothing any more (window and lock both past). */
export function lockoutsStaleBefore(now: number, policy: LockoutPolicy): number {
  return now - Math.max(policy.windowMinutes, policy.lockMinutes) * 60_000;
}
