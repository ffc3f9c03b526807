/** Drills on PostgreSQL: one row per drill, the whole drill as JSON. */
import type { Drill, DrillRepository } from '../../core/drills/types.js';
import type { PgDatabase } from './database.js';

export class PgDrillStore implements DrillRepository {
  constructor(private readonly db: PgDatabase) {}

  async saveDrill(drill: Drill): Promise<void> {
    await this.db.query(
      `INSERT INTO drills (id, site_id, started_at, state, body) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (id) DO UPDATE SET state = EXCLUDED.state, body = EXCLUDED.body`,
      [drill.id, drill.siteId, drill.startedAt, drill.state, JSON.stringify(drill)],
    );
  }

  async getDrill(id: string): Promise<Drill | undefined> {
    const { rows } = await this.db.query<{ body: Drill }>('SELECT body FROM drills WHERE id = $1', [id]);
    return rows[0]?.body;
  }

  async listDrills(siteId?: string): Promise<Drill[]> {
    const { rows } = siteId
      ? await this.db.query<{ body: Drill }>('SELECT body FROM drills WHERE site_id = $1 ORDER BY started_at DESC, id LIMIT 200', [siteId])
      : await this.db.query<{ body: Drill }>('SELECT body FROM drills ORDER BY started_at DESC, id LIMIT 200');
    return rows.map((r) => r.body);
  }

  async runningDrills(): Promise<Drill[]> {
    const { rows } = await this.db.query<{ body: Drill }>(`SELECT body FROM drills WHERE state = 'running' ORDER BY started_at, id`);
    return rows.map((r) => r.body);
  }
}
