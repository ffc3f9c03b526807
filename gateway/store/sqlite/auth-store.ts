/**
 * Operator accounts added at runtime by an admin, login sessions and login lockouts, in the
 * embedded SQLite database (state.db). Accounts from the configuration file are not stored here.
 * A session row outlives its token only to be revoked: logout and disabling an account end it at
 * once. A lockout row holds the failures of one (username, address) inside the window.
 */
import type Database from 'better-sqlite3';
import type { OperatorConfig, Role } from '../../auth/auth-config.js';
import type { AuthRepository, LockoutChange, LockoutState, Session, StoredOperator } from '../../auth/repository.js';
import { inTransaction } from './transaction.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS operators (
  username TEXT PRIMARY KEY,
  body TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  disabled_at INTEGER
);
CREATE TABLE IF NOT EXISTS sessions (
  id TEXT PRIMARY KEY,
  username TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  revoked_at INTEGER,
  ip TEXT
);
CREATE INDEX IF NOT EXISTS sessions_user ON sessions(username);
CREATE TABLE IF NOT EXISTS lockouts (
  key TEXT PRIMARY KEY,
  failures TEXT NOT NULL,
  locked_until INTEGER,
  updated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS lockouts_updated ON lockouts(updated_at);
`;

export type { Session, StoredOperator } from '../../auth/repository.js';

interface OperatorRow {
  body: string;
  created_at: number;
  disabled_at: number | null;
}

const operatorOf = (r: OperatorRow): StoredOperator => ({
  ...(JSON.parse(r.body) as OperatorConfig),
  createdAt: r.created_at,
  ...(r.disabled_at !== null ? { disabledAt: r.disabled_at } : {}),
});

interface LockoutRow {
  failures: string;
  locked_until: number | null;
}

const lockoutOf = (r: LockoutRow): LockoutState => ({ failures: JSON.parse(r.failures) as number[], ...(r.locked_until !== null ? { lockedUntil: r.locked_until } : {}) });

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

export class SqliteAuthStore implements AuthRepository {
  private readonly stmts;

  constructor(
    private readonly db: Database.Database,
    private readonly guard: <T>(fn: () => T) => T = (fn) => fn(),
  ) {
    db.exec(SCHEMA);
    this.stmts = {
      insertOperator: db.prepare('INSERT INTO operators (username, body, created_at) VALUES (?, ?, ?)'),
      updateOperator: db.prepare('UPDATE operators SET body = ?, disabled_at = ? WHERE username = ?'),
      operators: db.prepare<[], OperatorRow>('SELECT body, created_at, disabled_at FROM operators ORDER BY username'),
      operator: db.prepare<[string], OperatorRow>('SELECT body, created_at, disabled_at FROM operators WHERE username = ?'),
      insertSession: db.prepare('INSERT INTO sessions (id, username, created_at, expires_at, ip) VALUES (?, ?, ?, ?, ?)'),
      session: db.prepare<[string], SessionRow>('SELECT * FROM sessions WHERE id = ?'),
      revoke: db.prepare('UPDATE sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL'),
      revokeUser: db.prepare('UPDATE sessions SET revoked_at = ? WHERE username = ? AND revoked_at IS NULL'),
      purge: db.prepare('DELETE FROM sessions WHERE expires_at < ?'),
      lockout: db.prepare<[string], LockoutRow>('SELECT failures, locked_until FROM lockouts WHERE key = ?'),
      putLockout: db.prepare(
        `INSERT INTO lockouts (key, failures, locked_until, updated_at) VALUES (@key, @failures, @lockedUntil, @at)
         ON CONFLICT(key) DO UPDATE SET failures = excluded.failures, locked_until = excluded.locked_until, updated_at = excluded.updated_at`,
      ),
      dropLockout: db.prepare('DELETE FROM lockouts WHERE key = ?'),
      purgeLockouts: db.prepare('DELETE FROM lockouts WHERE updated_at < ? AND (locked_until IS NULL OR locked_until < ?)'),
    };
  }

  async operators(): Promise<StoredOperator[]> {
    return this.guard(() => this.stmts.operators.all().map(operatorOf));
  }

  async operator(username: string): Promise<StoredOperator | undefined> {
    return this.guard(() => {
      const row = this.stmts.operator.get(username);
      return row ? operatorOf(row) : undefined;
    });
  }

  async addOperator(op: OperatorConfig, at: number): Promise<void> {
    this.guard(() => this.stmts.insertOperator.run(op.username, JSON.stringify(op), at));
  }

  async updateOperator(op: OperatorConfig & { role: Role }, disabledAt: number | undefined): Promise<void> {
    this.guard(() => this.stmts.updateOperator.run(JSON.stringify(op), disabledAt ?? null, op.username));
  }

  async createSession(s: Omit<Session, 'revokedAt'>): Promise<void> {
    this.guard(() => this.stmts.insertSession.run(s.id, s.username, s.createdAt, s.expiresAt, s.ip ?? null));
  }

  async session(id: string): Promise<Session | undefined> {
    return this.guard(() => {
      const row = this.stmts.session.get(id);
      return row ? sessionOf(row) : undefined;
    });
  }

  async revokeSession(id: string, at: number): Promise<boolean> {
    return this.guard(() => this.stmts.revoke.run(at, id).changes > 0);
  }

  async revokeSessionsOf(username: string, at: number): Promise<number> {
    return this.guard(() => this.stmts.revokeUser.run(at, username).changes);
  }

  async purgeExpired(before: number): Promise<number> {
    return this.guard(() => this.stmts.purge.run(before).changes);
  }

  async lockout(key: string): Promise<LockoutState | undefined> {
    return this.guard(() => {
      const row = this.stmts.lockout.get(key);
      return row ? lockoutOf(row) : undefined;
    });
  }

  async updateLockout(key: string, at: number, change: LockoutChange): Promise<LockoutState | undefined> {
    return this.guard(() =>
      inTransaction(this.db, () => {
        const row = this.stmts.lockout.get(key);
        const next = change(row ? lockoutOf(row) : undefined);
        if (next) this.stmts.putLockout.run({ key, failures: JSON.stringify(next.failures), lockedUntil: next.lockedUntil ?? null, at });
        else if (row) this.stmts.dropLockout.run(key);
        return next;
      }),
    );
  }

  async purgeLockouts(before: number): Promise<number> {
    return this.guard(() => this.stmts.purgeLockouts.run(before, before).changes);
  }
}
