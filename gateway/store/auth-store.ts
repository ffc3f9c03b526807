/**
 * Operator accounts added at runtime by an admin, and login sessions, in the gateway's SQLite
 * database (state.db). Accounts from the configuration file are not stored here. A session row
 * outlives its token only to be revoked: logout and disabling an account end it at once.
 */
import type Database from 'better-sqlite3';
import type { OperatorConfig, Role } from '../auth/auth-config.js';

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
`;

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

export class AuthStore {
  private readonly stmts;

  constructor(db: Database.Database) {
    db.exec(SCHEMA);
    this.stmts = {
      insertOperator: db.prepare('INSERT INTO operators (username, body, created_at) VALUES (?, ?, ?)'),
      updateOperator: db.prepare('UPDATE operators SET body = ?, disabled_at = ? WHERE username = ?'),
      operators: db.prepare<[], { body: string; created_at: number; disabled_at: number | null }>(
        'SELECT body, created_at, disabled_at FROM operators ORDER BY username',
      ),
      insertSession: db.prepare('INSERT INTO sessions (id, username, created_at, expires_at, ip) VALUES (?, ?, ?, ?, ?)'),
      session: db.prepare<[string], SessionRow>('SELECT * FROM sessions WHERE id = ?'),
      revoke: db.prepare('UPDATE sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL'),
      revokeUser: db.prepare('UPDATE sessions SET revoked_at = ? WHERE username = ? AND revoked_at IS NULL'),
      purge: db.prepare('DELETE FROM sessions WHERE expires_at < ?'),
    };
  }

  operators(): StoredOperator[] {
    return this.stmts.operators.all().map((r) => ({
      ...(JSON.parse(r.body) as OperatorConfig),
      createdAt: r.created_at,
      ...(r.disabled_at !== null ? { disabledAt: r.disabled_at } : {}),
    }));
  }

  addOperator(op: OperatorConfig, at: number): void {
    this.stmts.insertOperator.run(op.username, JSON.stringify(op), at);
  }

  updateOperator(op: OperatorConfig & { role: Role }, disabledAt: number | undefined): void {
    this.stmts.updateOperator.run(JSON.stringify(op), disabledAt ?? null, op.username);
  }

  createSession(s: Omit<Session, 'revokedAt'>): void {
    this.stmts.insertSession.run(s.id, s.username, s.createdAt, s.expiresAt, s.ip ?? null);
  }

  session(id: string): Session | undefined {
    const row = this.stmts.session.get(id);
    return row ? sessionOf(row) : undefined;
  }

  revokeSession(id: string, at: number): boolean {
    return this.stmts.revoke.run(at, id).changes > 0;
  }

  revokeSessionsOf(username: string, at: number): number {
    return this.stmts.revokeUser.run(at, username).changes;
  }

  /** Drops sessions that expired before `before` (they can no longer be used anyway). */
  purgeExpired(before: number): number {
    return this.stmts.purge.run(before).changes;
  }
}
