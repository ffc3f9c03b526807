/**
 * The first PostgreSQL schema: what the SQLite stores hold today (gateway/store/state-store.ts,
 * outbox-store.ts, broadcast-store.ts, sweep-store.ts, auth-store.ts, core/drill-service.ts), the
 * login lockouts that today live in one process's memory (auth/operators.ts), and what only a
 * cluster needs (leases, the node registry).
 *
 * Kept from SQLite so one store contract fits both: ids as text, instants as epoch milliseconds
 * in bigint (the gateway's Clock, not the database's), whole objects as JSON bodies beside the
 * columns that are queried. JSON that a hash chain covers (audit detail, sweep rows) stays text:
 * jsonb reorders keys and would break a recomputed hash. Leases and the node registry use the
 * database's clock (timestamptz), because nodes' clocks differ.
 *
 * What SQLite got from being one process, the database now refuses by itself:
 * - a second open alarm for the same (type, site, device, drill): a unique partial index;
 * - a fork in a hash chain (two nodes appending after the same entry): prev_hash is unique;
 * - rewriting history: triggers on the append-only tables, as in SQLite.
 */
export const INITIAL_SCHEMA = `
-- Alarms: the board's working set. The body is the whole Alarm (timeline included), as in SQLite;
-- version lets a store rewrite the body with compare-and-set (UPDATE … WHERE version = $seen)
-- when two nodes change the same alarm.
CREATE TABLE alarms (
  id text PRIMARY KEY,
  type text NOT NULL,
  site_id text NOT NULL,
  device_id text,
  drill boolean NOT NULL DEFAULT false,
  state text NOT NULL CHECK (state IN ('active', 'acknowledged', 'resolved')),
  raised_at bigint NOT NULL,
  updated_at bigint NOT NULL,
  version bigint NOT NULL DEFAULT 0,
  body jsonb NOT NULL
);
CREATE INDEX alarms_state ON alarms (state, raised_at);
CREATE INDEX alarms_site ON alarms (site_id, raised_at);
-- One open alarm per (type, site, device, drill): a press on node A and its retry on node B
-- cannot both open one (the loser gets unique_violation and repeats the open one instead).
-- COALESCE because NULLs are distinct in a unique index (NULLS NOT DISTINCT needs PostgreSQL 15).
CREATE UNIQUE INDEX alarms_one_open ON alarms (type, site_id, COALESCE(device_id, ''), drill) WHERE state <> 'resolved';

-- The audit log: append-only, hash-chained (sha256 over the previous hash and the entry).
CREATE TABLE audit (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at bigint NOT NULL,
  actor text NOT NULL,
  action text NOT NULL,
  target text NOT NULL,
  detail text NOT NULL,
  ip text,
  prev_hash text NOT NULL UNIQUE,
  hash text NOT NULL UNIQUE
);
CREATE INDEX audit_action ON audit (action, seq);

CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
END $$;
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

-- Device state that must outlive a restart (last link test, …).
CREATE TABLE device_state (
  device_id text NOT NULL,
  key text NOT NULL,
  value jsonb NOT NULL,
  PRIMARY KEY (device_id, key)
);

-- The outbox towards far ends (the 110 centre). The DC-09 sequence is assigned at enqueue and
-- stored before the first send, so a new link holder resends a frame with the number the dead
-- one used (SIA DC-09 5.5.1.5: the receiver drops a repeat). holder_token is the fencing token
-- of the lease holder that last tried it: an ACK is recorded only under the current token.
CREATE TABLE outbox (
  id text PRIMARY KEY,
  channel text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('alarm-report', 'test-report')),
  alarm_id text,
  device_id text,
  site_id text NOT NULL,
  sequence integer NOT NULL CHECK (sequence BETWEEN 1 AND 9999),
  state text NOT NULL CHECK (state IN ('queued', 'acked', 'abandoned')),
  attempts integer NOT NULL DEFAULT 0,
  created_at bigint NOT NULL,
  next_at bigint NOT NULL,
  last_error text,
  holder_token bigint
);
CREATE INDEX outbox_pending ON outbox (channel, state, next_at);
CREATE UNIQUE INDEX outbox_alarm ON outbox (channel, alarm_id) WHERE alarm_id IS NOT NULL;
-- Per channel, the last sequence handed out (1..9999, wrapping).
CREATE TABLE channel_sequence (
  channel text PRIMARY KEY,
  last integer NOT NULL CHECK (last BETWEEN 1 AND 9999)
);

-- Broadcasts (一呼百应) and their recipients; a recipient's state is the broadcast outbox.
CREATE TABLE broadcasts (
  id text PRIMARY KEY,
  alarm_id text,
  state text NOT NULL,
  created_at bigint NOT NULL,
  tally jsonb NOT NULL,
  body jsonb NOT NULL
);
CREATE INDEX broadcasts_created ON broadcasts (created_at);
CREATE INDEX broadcasts_alarm ON broadcasts (alarm_id);
CREATE INDEX broadcasts_state ON broadcasts (state, created_at);
CREATE TABLE broadcast_recipients (
  broadcast_id text NOT NULL REFERENCES broadcasts (id),
  id text NOT NULL,
  seq integer NOT NULL,
  state text NOT NULL,
  body jsonb NOT NULL,
  PRIMARY KEY (broadcast_id, id)
);
CREATE INDEX broadcast_recipients_state ON broadcast_recipients (state, broadcast_id);

-- Health sweeps, their results and the hash chain of sealed reports. JSON stays text: the
-- report's content hash is recomputed from these rows.
CREATE TABLE sweeps (
  id text PRIMARY KEY,
  name text,
  trigger text NOT NULL,
  state text NOT NULL,
  created_at bigint NOT NULL,
  finished_at bigint,
  total integer NOT NULL,
  selection text NOT NULL,
  options text NOT NULL,
  context text NOT NULL,
  summary text,
  cancel_reason text
);
CREATE INDEX sweeps_created ON sweeps (created_at);
CREATE INDEX sweeps_state ON sweeps (state);
-- Completion order (SQLite's rowid) is what the report lists: kept as an identity column.
CREATE TABLE sweep_results (
  ord bigint GENERATED ALWAYS AS IDENTITY,
  sweep_id text NOT NULL REFERENCES sweeps (id),
  device_id text NOT NULL,
  failing boolean NOT NULL,
  body text NOT NULL,
  PRIMARY KEY (sweep_id, device_id)
);
CREATE INDEX sweep_results_order ON sweep_results (sweep_id, ord);
CREATE TABLE sweep_reports (
  seq bigint PRIMARY KEY,
  sweep_id text NOT NULL UNIQUE REFERENCES sweeps (id),
  sealed_at bigint NOT NULL,
  content_hash text NOT NULL,
  prev_hash text NOT NULL UNIQUE,
  hash text NOT NULL UNIQUE
);
CREATE TRIGGER sweep_reports_no_update BEFORE UPDATE ON sweep_reports FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER sweep_reports_no_delete BEFORE DELETE ON sweep_reports FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER sweep_results_no_update BEFORE UPDATE ON sweep_results FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER sweep_results_no_delete BEFORE DELETE ON sweep_results FOR EACH ROW EXECUTE FUNCTION refuse_change();

-- Nothing is added to or changed in a sweep once its report is sealed.
CREATE FUNCTION refuse_sealed_result() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM sweep_reports WHERE sweep_id = NEW.sweep_id) THEN
    RAISE EXCEPTION 'sweep report is sealed' USING ERRCODE = 'restrict_violation';
  END IF;
  RETURN NEW;
END $$;
CREATE FUNCTION refuse_sealed_sweep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM sweep_reports WHERE sweep_id = OLD.id) THEN
    RAISE EXCEPTION 'sweep report is sealed' USING ERRCODE = 'restrict_violation';
  END IF;
  RETURN CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END;
END $$;
CREATE TRIGGER sweep_results_sealed BEFORE INSERT ON sweep_results FOR EACH ROW EXECUTE FUNCTION refuse_sealed_result();
CREATE TRIGGER sweeps_sealed_update BEFORE UPDATE ON sweeps FOR EACH ROW EXECUTE FUNCTION refuse_sealed_sweep();
CREATE TRIGGER sweeps_sealed_delete BEFORE DELETE ON sweeps FOR EACH ROW EXECUTE FUNCTION refuse_sealed_sweep();

-- Drills: alarms raised at a school while its drill runs are drills.
CREATE TABLE drills (
  id text PRIMARY KEY,
  site_id text NOT NULL,
  started_at bigint NOT NULL,
  state text NOT NULL,
  body jsonb NOT NULL
);
CREATE INDEX drills_site ON drills (site_id, started_at);
CREATE INDEX drills_running ON drills (state) WHERE state = 'running';

-- Operator accounts added at runtime (accounts from the configuration file are not stored).
CREATE TABLE operators (
  username text PRIMARY KEY,
  body jsonb NOT NULL,
  created_at bigint NOT NULL,
  disabled_at bigint
);
-- Login sessions: valid on every node, revoked on every node at once.
CREATE TABLE sessions (
  id text PRIMARY KEY,
  username text NOT NULL,
  created_at bigint NOT NULL,
  expires_at bigint NOT NULL,
  revoked_at bigint,
  ip text
);
CREATE INDEX sessions_user ON sessions (username);
CREATE INDEX sessions_expiry ON sessions (expires_at);

-- Failed logins per (username, address), so a lockout holds on every node behind the balancer.
-- failures: epoch ms of the failures inside the window.
CREATE TABLE lockouts (
  key text PRIMARY KEY,
  failures bigint[] NOT NULL DEFAULT '{}',
  locked_until bigint,
  updated_at bigint NOT NULL
);
CREATE INDEX lockouts_updated ON lockouts (updated_at);

-- Leases for singleton duties (the 110 link, SMPP bind, radio, Modbus polling, schedules): one
-- holder at a time until 'until' (database time). token grows on every change of holder: the
-- fencing token a holder's writes are checked against (gateway/cluster/lease.ts).
CREATE TABLE leases (
  name text PRIMARY KEY,
  holder text NOT NULL,
  token bigint NOT NULL,
  until timestamptz NOT NULL,
  acquired_at timestamptz NOT NULL,
  renewed_at timestamptz NOT NULL
);

-- Every node's heartbeat (gateway/cluster/node-registry.ts): GET /api/cluster and node-down.
CREATE TABLE cluster_nodes (
  id text PRIMARY KEY,
  pid integer NOT NULL,
  http_url text,
  mqtt_url text,
  roles text[] NOT NULL DEFAULT '{}',
  clients integer NOT NULL DEFAULT 0,
  started_at timestamptz NOT NULL,
  last_seen timestamptz NOT NULL
);
`;
