/**
 * The state store on PostgreSQL (cluster mode): every node reads and writes the same database,
 * so what one process's memory used to decide, the database decides (schema: migrations/).
 *
 * - A raise is one insert-or-fold on the unique index of open alarms (ON CONFLICT … DO UPDATE
 *   … RETURNING): two nodes raising the same (type, site, device, drill) at once end with one
 *   alarm and one more repeat; a new alarm's outbox entries commit in the same transaction.
 * - A change to an alarm is compare-and-set on its version; on a conflict the change is applied
 *   again to the newer copy, so no node loses another's timeline entry.
 * - Every committed alarm change sends NOTIFY alarm_changed '<id>:<version>', and every outbox
 *   entry NOTIFY outbox '<channel>', in the transaction (delivered on commit).
 * - The audit chain is appended under a transaction-level advisory lock (one appender at a
 *   time on every node), so it cannot fork; prev_hash UNIQUE is the backstop.
 */
import pg from 'pg';
import type { Logger } from 'pino';
import type { Alarm } from '../../contract/types.js';
import { GatewayError } from '../../contract/errors.js';
import type { AlarmChange, AlarmQuery, NewAlarmWrites, RaiseOutcome, StoredAlarm, UpdateOutcome } from '../../core/alarms/repository.js';
import type { OutboxEntry } from '../../core/alarms/outbox.js';
import { AUDIT_GENESIS, auditHash, verifyAuditChain, type AuditEntry, type AuditInput, type AuditQuery } from '../../core/audit/log.js';
import type { StateStore } from '../stores.js';
import { PgAuthStore } from './auth-store.js';
import { PgBroadcastStore } from './broadcast-store.js';
import { isUnavailable, PgDatabase, type PgDatabaseOptions, type Queryable } from './database.js';
import { PgDrillStore } from './drill-store.js';
import { migrate } from './migrate.js';
import { enqueueIn, PgOutboxStore } from './outbox-store.js';
import { PgSweepStore } from './sweep-store.js';

/** Advisory lock keys (any fixed bigints): 'gwaudit' and 'gwsweep' in ASCII. */
export const AUDIT_LOCK_KEY = '29112663136757108';
export const SWEEP_CHAIN_LOCK_KEY = '29112672078767472';

/** A change that keeps meeting newer copies gives up after this many tries (GW_ERR_STORE_CONFLICT). */
const MAX_CAS_ATTEMPTS = 25;

interface AlarmRow {
  body: Alarm;
  version: number;
}

const stored = (r: AlarmRow): StoredAlarm => ({ alarm: r.body, version: r.version });

const ALARM_COLUMNS = `(id, type, site_id, device_id, drill, state, raised_at, updated_at, version, body)`;

/**
 * Insert, or fold into the open alarm with the same key: one statement. `xmax = 0` tells an
 * inserted row from one the DO UPDATE changed. The notification goes out with the commit.
 */
const RAISE_SQL = `
WITH upsert AS (
  INSERT INTO alarms AS a ${ALARM_COLUMNS} VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, $9)
  ON CONFLICT (type, site_id, (COALESCE(device_id, '')), drill) WHERE state <> 'resolved'
  DO UPDATE SET version = a.version + 1, updated_at = EXCLUDED.updated_at,
    body = a.body || jsonb_build_object('repeats', (a.body->>'repeats')::int + 1, 'updatedAt', EXCLUDED.updated_at)
  RETURNING a.id, a.body, a.version, (a.xmax = 0) AS inserted
)
SELECT id, body, version, inserted, pg_notify('alarm_changed', id || ':' || version) FROM upsert`;

const UPDATE_SQL = `
WITH changed AS (
  UPDATE alarms SET body = $2, state = $3, updated_at = $4, version = version + 1 WHERE id = $1 AND version = $5
  RETURNING id, version
)
SELECT version, pg_notify('alarm_changed', id || ':' || version) FROM changed`;

export class PgStateStore implements StateStore {
  readonly kind = 'postgres' as const;
  readonly outbox: PgOutboxStore;
  readonly broadcasts: PgBroadcastStore;
  readonly sweeps: PgSweepStore;
  readonly drills: PgDrillStore;
  readonly auth: PgAuthStore;

  constructor(readonly db: PgDatabase) {
    this.outbox = new PgOutboxStore(db);
    this.broadcasts = new PgBroadcastStore(db);
    this.sweeps = new PgSweepStore(db, SWEEP_CHAIN_LOCK_KEY);
    this.drills = new PgDrillStore(db);
    this.auth = new PgAuthStore(db);
  }

  available(): boolean {
    return this.db.available();
  }

  // ── alarms ───────────────────────────────────────────────────────────────────────────

  async raiseAlarm(candidate: Alarm, withNew?: NewAlarmWrites): Promise<RaiseOutcome> {
    const params = [
      candidate.id,
      candidate.type,
      candidate.siteId,
      candidate.deviceId ?? null,
      candidate.drill,
      candidate.state,
      candidate.raisedAt,
      candidate.updatedAt,
      JSON.stringify(candidate),
    ];
    const requests = withNew?.outbox ?? [];
    if (requests.length === 0) {
      // Nothing rides with it: one statement, committed on its own.
      const { rows } = await this.db.query<AlarmRow & { inserted: boolean }>(RAISE_SQL, params);
      const row = rows[0] as AlarmRow & { inserted: boolean };
      const alarm = row.inserted && withNew ? withNew.complete(row.body, []) : row.body;
      return { alarm, version: row.version, created: row.inserted, queued: [] };
    }
    return this.db.tx(async (c) => {
      const { rows } = await c.query<AlarmRow & { inserted: boolean }>(RAISE_SQL, params);
      const row = rows[0] as AlarmRow & { inserted: boolean };
      if (!row.inserted) return { ...stored(row), created: false, queued: [] };
      const queued: OutboxEntry[] = [];
      for (const r of requests) queued.push(await enqueueIn(c, r));
      const alarm = withNew ? withNew.complete(row.body, queued) : row.body;
      // Same transaction, nobody has seen version 0 yet: the body is completed in place.
      await c.query('UPDATE alarms SET body = $2 WHERE id = $1', [alarm.id, JSON.stringify(alarm)]);
      return { alarm, version: row.version, created: true, queued };
    });
  }

  async updateAlarm(id: string, change: AlarmChange, seen?: StoredAlarm): Promise<UpdateOutcome | undefined> {
    let current = seen;
    let fromSeen = seen !== undefined;
    for (let attempt = 1; attempt <= MAX_CAS_ATTEMPTS; attempt++) {
      current ??= await this.getAlarm(id);
      if (!current) return undefined;
      let next: Alarm | undefined;
      try {
        next = change(current.alarm);
      } catch (err) {
        // Decided on the caller's copy: decide again on the stored one before refusing.
        if (!fromSeen) throw err;
        current = undefined;
        fromSeen = false;
        continue;
      }
      if (!next) {
        if (!fromSeen) return { ...current, changed: false };
        current = undefined;
        fromSeen = false;
        continue;
      }
      const { rows } = await this.db.query<{ version: number }>(UPDATE_SQL, [id, JSON.stringify(next), next.state, next.updatedAt, current.version]);
      const row = rows[0];
      if (row) return { alarm: next, version: row.version, changed: true };
      // Someone else changed it first: apply the change again to their copy.
      current = undefined;
      fromSeen = false;
    }
    throw new GatewayError('GW_ERR_STORE_CONFLICT', `alarm ${id}`);
  }

  async getAlarm(id: string): Promise<StoredAlarm | undefined> {
    const { rows } = await this.db.query<AlarmRow>('SELECT body, version FROM alarms WHERE id = $1', [id]);
    return rows[0] ? stored(rows[0]) : undefined;
  }

  async openAlarms(): Promise<StoredAlarm[]> {
    const { rows } = await this.db.query<AlarmRow>(`SELECT body, version FROM alarms WHERE state <> 'resolved' ORDER BY raised_at, id`);
    return rows.map(stored);
  }

  async queryAlarms(q: AlarmQuery): Promise<Alarm[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (q.state === 'open') where.push(`state <> 'resolved'`);
    else if (q.state) {
      params.push(q.state);
      where.push(`state = $${params.length}`);
    }
    if (q.siteIds) {
      params.push([...q.siteIds]);
      where.push(`site_id = ANY($${params.length}::text[])`);
    }
    params.push(q.limit ?? 500);
    const sql = `SELECT body FROM alarms ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY raised_at DESC, id LIMIT $${params.length}`;
    const { rows } = await this.db.query<{ body: Alarm }>(sql, params);
    return rows.map((r) => r.body);
  }

  // ── audit ────────────────────────────────────────────────────────────────────────────

  async audit(input: AuditInput): Promise<AuditEntry> {
    // Hashed as stored: a NUL (which PostgreSQL text cannot hold) is replaced before hashing.
    const e = storableAudit(input);
    return this.db.tx(async (c) => {
      // One appender at a time, on every node: the head read below is the true head. Its own
      // statement, so its snapshot is taken after the lock is held (READ COMMITTED).
      await c.query(`SELECT pg_advisory_xact_lock(${AUDIT_LOCK_KEY})`);
      const head = await c.query<{ hash: string }>('SELECT hash FROM audit ORDER BY seq DESC LIMIT 1');
      const prevHash = head.rows[0]?.hash ?? AUDIT_GENESIS;
      const hash = auditHash(prevHash, e);
      const { rows } = await c.query<{ seq: number }>(
        `INSERT INTO audit (at, actor, action, target, detail, ip, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING seq`,
        [e.at, e.actor, e.action, e.target, JSON.stringify(e.detail), e.ip ?? null, prevHash, hash],
      );
      return { ...e, seq: (rows[0] as { seq: number }).seq, prevHash, hash };
    });
  }

  async auditEntries(q: AuditQuery = {}): Promise<AuditEntry[]> {
    return auditRows(this.db, q);
  }

  async auditCount(): Promise<number> {
    const { rows } = await this.db.query<{ n: number }>('SELECT count(*)::int AS n FROM audit');
    return rows[0]?.n ?? 0;
  }

  async lastAuditOf(action: string): Promise<AuditEntry | undefined> {
    const { rows } = await this.db.query<{ seq: number }>('SELECT seq FROM audit WHERE action = $1 ORDER BY seq DESC LIMIT 1', [action]);
    const seq = rows[0]?.seq;
    return seq === undefined ? undefined : (await auditRows(this.db, { afterSeq: seq - 1, limit: 1 }))[0];
  }

  verifyAudit(): Promise<number | undefined> {
    return verifyAuditChain((afterSeq) => this.auditEntries({ afterSeq, limit: 1000 }));
  }

  // ── device state ─────────────────────────────────────────────────────────────────────

  async setDeviceState(deviceId: string, key: string, value: unknown): Promise<void> {
    await this.db.query(
      `INSERT INTO device_state (device_id, key, value) VALUES ($1, $2, $3) ON CONFLICT (device_id, key) DO UPDATE SET value = EXCLUDED.value`,
      [deviceId, key, JSON.stringify(value)],
    );
  }

  async setDeviceStates(key: string, values: ReadonlyArray<readonly [string, unknown]>): Promise<void> {
    if (values.length === 0) return;
    // One statement: the arrays are unnested into rows (a device listed twice keeps its last value).
    const latest = new Map(values.map(([id, v]) => [id, JSON.stringify(v)]));
    await this.db.query(
      `INSERT INTO device_state (device_id, key, value)
       SELECT d, $2, v::jsonb FROM unnest($1::text[], $3::text[]) AS t(d, v)
       ON CONFLICT (device_id, key) DO UPDATE SET value = EXCLUDED.value`,
      [[...latest.keys()], key, [...latest.values()]],
    );
  }

  async deviceStates<T>(key: string): Promise<Map<string, T>> {
    const { rows } = await this.db.query<{ device_id: string; value: T }>('SELECT device_id, value FROM device_state WHERE key = $1', [key]);
    return new Map(rows.map((r) => [r.device_id, r.value]));
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}

function storableAudit(e: AuditInput): AuditInput {
  const clean = (v: string) => v.replaceAll('\u0000', '\uFFFD');
  return { ...e, actor: clean(e.actor), action: clean(e.action), target: clean(e.target), ...(e.ip !== undefined ? { ip: clean(e.ip) } : {}) };
}

interface AuditRow {
  seq: number;
  at: number;
  actor: string;
  action: string;
  target: string;
  detail: string;
  ip: string | null;
  prev_hash: string;
  hash: string;
}

async function auditRows(db: PgDatabase | Queryable, q: AuditQuery): Promise<AuditEntry[]> {
  const params: unknown[] = [q.afterSeq ?? 0];
  const where = ['seq > $1'];
  if (q.action !== undefined) {
    params.push(q.action);
    where.push(`action = $${params.length}`);
  }
  if (q.actor !== undefined) {
    params.push(q.actor);
    where.push(`actor = $${params.length}`);
  }
  params.push(q.limit ?? 1000);
  const { rows } = await db.query<AuditRow>(`SELECT * FROM audit WHERE ${where.join(' AND ')} ORDER BY seq LIMIT $${params.length}`, params);
  return rows.map((r) => ({
    seq: r.seq,
    at: r.at,
    actor: r.actor,
    action: r.action,
    target: r.target,
    // Text, not jsonb: the hash covers the detail as it was written.
    detail: JSON.parse(r.detail) as Record<string, unknown>,
    ...(r.ip ? { ip: r.ip } : {}),
    prevHash: r.prev_hash,
    hash: r.hash,
  }));
}

export interface OpenPgStateStoreOptions extends PgDatabaseOptions {
  log?: Logger;
  /** How long to wait for another node's migration run (default 60 s). */
  migrationLockTimeoutMs?: number;
}

/**
 * Applies the migrations this node knows (once, under the advisory lock: a node that waits for
 * another's run waits on a connection of its own, without the store's statement timeout), then
 * returns the store.
 */
export async function openPgStateStore(o: OpenPgStateStoreOptions): Promise<PgStateStore> {
  const once = new pg.Pool({ connectionString: o.url, max: 1, connectionTimeoutMillis: o.connectTimeoutMs ?? 2000 });
  once.on('error', () => undefined);
  try {
    await migrate(once, { ...(o.log ? { log: o.log } : {}), ...(o.migrationLockTimeoutMs !== undefined ? { lockTimeoutMs: o.migrationLockTimeoutMs } : {}) });
  } catch (err) {
    throw isUnavailable(err) ? new GatewayError('GW_ERR_STORE_UNAVAILABLE', `cannot migrate ${redactUrl(o.url)}: ${(err as Error).message}`, { cause: err }) : err;
  } finally {
    await once.end().catch(() => undefined);
  }
  return new PgStateStore(new PgDatabase(o));
}

/** A connection string without its password, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'the database';
  }
}
