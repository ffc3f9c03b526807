/**
 * Operator accounts added at runtime, login sessions and login lockouts on PostgreSQL: a login
 * on one node is valid on every node, a logout or a disabled account ends the session on every
 * node at once, and failed logins counted on two nodes add up (a lockout row is changed under
 * its row lock).
 */
import type { OperatorConfig, Role } from '../../auth/auth-config.js';
import type { AuthRepository, LockoutChange, LockoutState, Session, StoredOperator } from '../../auth/repository.js';
import type { PgDatabase } from './database.js';

interface OperatorRow {
  body: OperatorConfig;
  created_at: number;
  disabled_at: number | null;
}

const operatorOf = (r: OperatorRow): StoredOperator => ({ ...r.body, createdAt: r.created_at, ...(r.disabled_at !== null ? { disabledAt: r.disabled_at } : {}) });

interface SessionRow {
  id: string;
  username: string;
  created_at: number;
  expires_at: number;
  revoked_at: number | null;
  ip: string | null;
}

const sessionOf = (r: SessionRow): Session => ({
  id: r.id,
  username: r.username,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  ...(r.revoked_at !== null ? { revokedAt: r.revoked_at } : {}),
  ...(r.ip !== null ? { ip: r.ip } : {}),
});

interface LockoutRow {
  failures: number[];
  locked_until: number | null;
}

/** A row with no failures and no lock says nothing: the same as no row. */
const lockoutOf = (r: LockoutRow | undefined): LockoutState | undefined =>
  !r || (r.failures.length === 0 && r.locked_until === null) ? undefined : { failures: r.failures, ...(r.locked_until !== null ? { lockedUntil: r.locked_until } : {}) };

export class PgAuthStore implements AuthRepository {
  constructor(private readonly db: PgDatabase) {}

  async operators(): Promise<StoredOperator[]> {
    const { rows } = await this.db.query<OperatorRow>('SELECT body, created_at, disabled_at FROM operators ORDER BY username');
    return rows.map(operatorOf);
  }

  async operator(username: string): Promise<StoredOperator | undefined> {
    const { rows } = await this.db.query<OperatorRow>('SELECT body, created_at, disabled_at FROM operators WHERE username = $1', [username]);
    return rows[0] ? operatorOf(rows[0]) : undefined;
  }

  async addOperator(op: OperatorConfig, at: number): Promise<void> {
    await this.db.query('INSERT INTO operators (username, body, created_at) VALUES ($1, $2, $3)', [op.username, JSON.stringify(op), at]);
  }

  async updateOperator(op: OperatorConfig & { role: Role }, disabledAt: number | undefined): Promise<void> {
    await this.db.query('UPDATE operators SET body = $2, disabled_at = $3 WHERE username = $1', [op.username, JSON.stringify(op), disabledAt ?? null]);
  }

  async createSession(s: Omit<Session, 'revokedAt'>): Promise<void> {
    await this.db.query('INSERT INTO sessions (id, username, created_at, expires_at, ip) VALUES ($1, $2, $3, $4, $5)', [s.id, s.username, s.createdAt, s.expiresAt, s.ip ?? null]);
  }

  async session(id: string): Promise<Session | undefined> {
    const { rows } = await this.db.query<SessionRow>('SELECT * FROM sessions WHERE id = $1', [id]);
    return rows[0] ? sessionOf(rows[0]) : undefined;
  }

  async revokeSession(id: string, at: number): Promise<boolean> {
    const res = await this.db.query('UPDATE sessions SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL', [id, at]);
    return (res.rowCount ?? 0) > 0;
  }

  async revokeSessionsOf(username: string, at: number): Promise<number> {
    const res = await this.db.query('UPDATE sessions SET revoked_at = $2 WHERE username = $1 AND revoked_at IS NULL', [username, at]);
    return res.rowCount ?? 0;
  }

  async purgeExpired(before: number): Promise<number> {
    const res = await this.db.query('DELETE FROM sessions WHERE expires_at < $1', [before]);
    return res.rowCount ?? 0;
  }

  async lockout(key: string): Promise<LockoutState | undefined> {
    const { rows } = await this.db.query<LockoutRow>('SELECT failures, locked_until FROM lockouts WHERE key = $1', [key]);
    return lockoutOf(rows[0]);
  }

  async updateLockout(key: string, at: number, change: LockoutChange): Promise<LockoutState | undefined> {
    return this.db.tx(async (c) => {
      // The row exists before it is locked, so two nodes' first failures queue on one row lock.
      await c.query(`INSERT INTO lockouts (key, failures, updated_at) VALUES ($1, '{}', $2) ON CONFLICT (key) DO NOTHING`, [key, at]);
      const { rows } = await c.query<LockoutRow>('SELECT failures, locked_until FROM lockouts WHERE key = $1 FOR UPDATE', [key]);
      const next = change(lockoutOf(rows[0]));
      if (next) await c.query('UPDATE lockouts SET failures = $2, locked_until = $3, updated_at = $4 WHERE key = $1', [key, next.failures, next.lockedUntil ?? null, at]);
      else await c.query('DELETE FROM lockouts WHERE key = $1', [key]);
      return next;
    });
  }

  async purgeLockouts(before: number): Promise<number> {
    const res = await this.db.query('DELETE FROM lockouts WHERE updated_at < $1 AND (locked_until IS NULL OR locked_until < $1)', [before]);
    return res.rowCount ?? 0;
  }
}
