/**
 * A simulated Acme GateKeeper barrier controller: its HTTP JSON API (GET a barrier's status,
 * POST a command; X-Api-Key) on loopback, with the faults a tester sets: a hit, an alarm, a
 * unit that stops answering.
 */
import Fastify, { type FastifyInstance } from 'fastify';

export type GateKeeperState = 'UP' | 'DOWN' | 'MOVING' | 'ERROR';
export const GATEKEEPER_ALARMS = ['MOTOR', 'LIMIT-SWITCH', 'POWER'] as const;

interface Unit {
  state: GateKeeperState;
  hits: number;
  alarms: string[];
  manual: boolean;
  /** The unit does not answer (503). */
  silent: boolean;
  travel?: ReturnType<typeof setTimeout>;
}

export interface GateKeeperOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  apiKey: string;
  units: number[];
  travelMs?: number;
  initial?: 'UP' | 'DOWN';
}

export class GateKeeperSimulator {
  private readonly units = new Map<number, Unit>();
  private app: FastifyInstance | undefined;

  constructor(private readonly opts: GateKeeperOptions) {
    for (const id of opts.units) this.units.set(id, { state: opts.initial ?? 'UP', hits: 0, alarms: [], manual: false, silent: false });
  }

  async start(): Promise<{ host: string; port: number }> {
    const app = Fastify();
    app.addHook('onRequest', async (req, reply) => {
      if (req.headers['x-api-key'] !== this.opts.apiKey) return reply.status(401).send({ error: 'bad api key' });
      return undefined;
    });
    app.get<{ Params: { unit: string } }>('/api/v1/barriers/:unit', async (req, reply) => {
      const u = this.units.get(Number(req.params.unit));
      if (!u) return reply.status(404).send({ error: 'no such unit' });
      if (u.silent) return reply.status(503).send({ error: 'unit not answering' });
      return { state: u.state, hits: u.hits, alarms: u.alarms, manual: u.manual };
    });
    app.post<{ Params: { unit: string }; Body: { action?: string } }>('/api/v1/barriers/:unit/command', async (req, reply) => {
      const unit = Number(req.params.unit);
      const u = this.units.get(unit);
      if (!u) return reply.status(404).send({ error: 'no such unit' });
      if (u.silent) return reply.status(503).send({ error: 'unit not answering' });
      const action = req.body?.action;
      if (action !== 'UP' && action !== 'DOWN') return reply.status(400).send({ error: 'action must be UP or DOWN' });
      this.move(unit, action);
      return reply.status(202).send({ accepted: action });
    });
    await app.listen({ host: this.opts.host ?? '127.0.0.1', port: this.opts.port ?? 0 });
    this.app = app;
    const address = app.server.address();
    return { host: this.opts.host ?? '127.0.0.1', port: typeof address === 'object' && address ? address.port : 0 };
  }

  async stop(): Promise<void> {
    for (const u of this.units.values()) if (u.travel) clearTimeout(u.travel);
    await this.app?.close();
    this.app = undefined;
  }

  unitIds(): number[] {
    return [...this.units.keys()];
  }

  state(unit: number): Readonly<Unit> {
    return this.unit(unit);
  }

  /** Starts travelling to the position; it arrives after travelMs. */
  move(unit: number, to: 'UP' | 'DOWN'): void {
    const u = this.unit(unit);
    if (u.travel) clearTimeout(u.travel);
    u.state = 'MOVING';
    u.travel = setTimeout(() => {
      u.travel = undefined;
      u.state = to;
    }, this.opts.travelMs ?? 500);
  }

  impact(unit: number): void {
    this.unit(unit).hits = (this.unit(unit).hits + 1) & 0xffff;
  }

  setAlarm(unit: number, alarm: string, on: boolean): void {
    const u = this.unit(unit);
    u.alarms = on ? [...new Set([...u.alarms, alarm])] : u.alarms.filter((a) => a !== alarm);
  }

  /** The unit stops answering (true) or answers again (false). */
  silence(unit: number, silent: boolean): void {
    this.unit(unit).silent = silent;
  }

  private unit(id: number): Unit {
    const u = this.units.get(id);
    if (!u) throw new Error(`no GateKeeper unit ${id}`);
    return u;
  }
}
