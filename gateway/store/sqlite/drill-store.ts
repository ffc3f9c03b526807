/** Drills in the embedded SQLite database (state.db): one row per drill, the whole drill as JSON. */
import type Database from 'better-sqlite3';
import type { Drill, DrillRepository } from '../../core/drills/types.js';

const SCHEMA = `CREATE TABLE IF NOT EXISTS drills (id TEXT PRIMARY KEY, site_id TEXT NOT NULL, started_at INTEGER NOT NULL, state TEXT NOT NULL, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS drills_site ON drills(site_id, started_at);`;

const drillOf = (r: { body: string }): Drill => JSON.parse(r.body) as Drill;

export class SqliteDrillStore implements DrillRepository {
  private readonly stmts;

  constructor(
    db: Database.Database,
    private readonly guard: <T>(fn: () => T) => T = (fn) => fn(),
  ) {
    db.exec(SCHEMA);
    this.stmts = {
      save: db.prepare(
        `INSERT INTO drills (id, site_id, started_at, state, body) VALUES (@id, @siteId, @startedAt, @state, @body)
         ON CONFLICT(id) DO UPDATE SET state = excluded.state, body = excluded.body`,
      ),
      get: db.prepare<[string], { body: string }>('SELECT body FROM drills WHERE id = ?'),
      bySite: db.prepare<[string], { body: string }>('SELECT body FROM drills WHERE site_id = ? ORDER BY started_at DESC LIMIT 200'),
      all: db.prepare<[], { body: string }>('SELECT body FROM drills ORDER BY started_at DESC LIMIT 200'),
      running: db.prepare<[], { body: string }>(`SELECT body FROM drills WHERE state = 'running' ORDER BY started_at`),
    };
  }

  async saveDrill(drill: Drill): Promise<void> {
    this.guard(() => this.stmts.save.run({ id: drill.id, siteId: drill.siteId, startedAt: drill.startedAt, state: drill.state, body: JSON.stringify(drill) }));
  }

  async getDrill(id: string): Promise<Drill | undefined> {
    return this.guard(() => {
      const row = this.stmts.get.get(id);
      return row ? drillOf(row) : undefined;
    });
  }

  async listDrills(siteId?: string): Promise<Drill[]> {
    return this.guard(() => (siteId ? this.stmts.bySite.all(siteId) : this.stmts.all.all()).map(drillOf));
  }

  async runningDrills(): Promise<Drill[]> {
    return this.guard(() => this.stmts.running.all().map(drillOf));
  }
}
