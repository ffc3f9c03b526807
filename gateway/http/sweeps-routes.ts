/**
 * Health sweeps over HTTP: start (202), list, state and results, cancel, reports as JSON,
 * CSV and printable HTML, and verification of the reports' hash chain.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { auditActorOf } from '../auth/access.js';
import type { SweepEngine } from '../core/sweeps/engine.js';
import { ChainVerdictSchema, SweepSelectionSchema, SweepTuningSchema, SweepViewSchema, type SweepView } from '../core/sweeps/schemas.js';
import type { ReportLink, SweepRecord, SweepRepository, SweepResult } from '../core/sweeps/types.js';
import { GatewayError } from '../contract/errors.js';
import { renderCsv } from '../reports/report-csv.js';
import { renderHtml } from '../reports/report-html.js';
import { renderJson } from '../reports/report-json.js';
import { sweepReport, verifySweepChain } from '../reports/sweep-reports.js';

export interface SweepRouteDeps {
  engine: Pick<SweepEngine, 'startSweep' | 'cancelSweep' | 'progress'>;
  store: Pick<SweepRepository, 'get' | 'list' | 'results' | 'resultCount' | 'link' | 'linksAfter' | 'context'>;
  /** Time zone reports are printed in (default Asia/Shanghai). */
  timeZone?: string;
  /** The append-only audit log (the state store's audit()): who started and cancelled sweeps. */
  audit?: (e: { at: number; actor: string; action: string; target: string; detail: Record<string, unknown>; ip?: string }) => Promise<unknown>;
  now?: () => number;
}

const ErrorReply = Type.Object({ statusCode: Type.Integer(), code: Type.String(), error: Type.String(), message: Type.String() });
const IdParam = Type.Object({ id: Type.String({ minLength: 1, maxLength: 128 }) }, { additionalProperties: false });
const CreateBody = Type.Object(
  {
    ...SweepSelectionSchema.properties,
    ...SweepTuningSchema,
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    trigger: Type.Optional(Type.Union([Type.Literal('api'), Type.Literal('cli')])),
  },
  { additionalProperties: false },
);
const Accepted = Type.Object({ id: Type.String(), state: Type.Literal('running'), total: Type.Integer() });
const ListQuery = Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })) }, { additionalProperties: false });
const GetQuery = Type.Object(
  { results: Type.Optional(Type.Union([Type.Literal('all'), Type.Literal('failing'), Type.Literal('none')], { default: 'all' })) },
  { additionalProperties: false },
);
const CancelBody = Type.Union([Type.Object({}, { additionalProperties: false }), Type.Null()]);

const FORMATS = {
  json: { type: 'application/json; charset=utf-8', render: renderJson, disposition: 'attachment' },
  csv: { type: 'text/csv; charset=utf-8', render: renderCsv, disposition: 'attachment' },
  html: { type: 'text/html; charset=utf-8', render: renderHtml, disposition: 'inline' },
} as const;

export function sweepView(rec: SweepRecord, progress: { done: number; total: number }, link?: ReportLink, results?: SweepResult[]): SweepView {
  return { ...rec, progress, ...(link ? { report: link } : {}), ...(results ? { results } : {}) };
}

export function sweepsRoutes(app: FastifyInstance, deps: SweepRouteDeps): void {
  const now = deps.now ?? Date.now;
  const mustGet = async (id: string) => {
    const rec = await deps.store.get(id);
    if (!rec) throw new GatewayError('GW_ERR_SWEEP_NOT_FOUND', id);
    return rec;
  };
  const progressOf = async (rec: SweepRecord) => deps.engine.progress(rec.id) ?? { done: rec.summary?.done ?? (await deps.store.resultCount(rec.id)), total: rec.total };
  const view = async (rec: SweepRecord, results?: SweepResult[]) => sweepView(rec, await progressOf(rec), await deps.store.link(rec.id), results);

  app.post<{ Body: Static<typeof CreateBody> }>(
    '/api/sweeps',
    { config: { permission: 'sweeps:run', holder: true }, schema: { body: CreateBody, response: { 202: Accepted, 400: ErrorReply, 429: ErrorReply, 503: ErrorReply } } },
    async (req, reply) => {
      const { district, sites, kinds, devices, concurrency, timeoutMs, extras, name, trigger } = req.body;
      const rec = await deps.engine.startSweep({
        selection: { ...(district ? { district } : {}), ...(sites ? { sites } : {}), ...(kinds ? { kinds } : {}), ...(devices ? { devices } : {}) },
        ...(concurrency !== undefined ? { concurrency } : {}),
        ...(timeoutMs !== undefined ? { timeoutMs } : {}),
        ...(extras ? { extras } : {}),
        ...(name ? { name } : {}),
        trigger: trigger ?? 'api',
      });
      await deps.audit?.({ at: now(), actor: auditActorOf(req), action: 'sweep.start', target: rec.id, detail: { selection: rec.selection, total: rec.total }, ip: req.ip });
      return reply.status(202).send({ id: rec.id, state: 'running' as const, total: rec.total });
    },
  );

  app.get<{ Querystring: Static<typeof ListQuery> }>(
    '/api/sweeps',
    { config: { permission: 'sweeps:read' }, schema: { querystring: ListQuery, response: { 200: Type.Array(SweepViewSchema) } } },
    async (req) => Promise.all((await deps.store.list(req.query.limit ?? 50)).map((rec) => view(rec))),
  );

  // Registered before /:id routes; a static segment wins over a parameter in find-my-way anyway.
  app.get('/api/sweeps/chain/verify', { config: { permission: 'sweeps:read' }, schema: { response: { 200: ChainVerdictSchema } } }, async () => verifySweepChain(deps.store));

  app.get<{ Params: Static<typeof IdParam>; Querystring: Static<typeof GetQuery> }>(
    '/api/sweeps/:id',
    { config: { permission: 'sweeps:read' }, schema: { params: IdParam, querystring: GetQuery, response: { 200: SweepViewSchema, 404: ErrorReply } } },
    async (req) => {
      const rec = await mustGet(req.params.id);
      const which = req.query.results ?? 'all';
      const results = which === 'none' ? undefined : await deps.store.results(rec.id, { failingOnly: which === 'failing' });
      return view(rec, results);
    },
  );

  app.post<{ Params: Static<typeof IdParam>; Body: Static<typeof CancelBody> }>(
    '/api/sweeps/:id/cancel',
    { config: { permission: 'sweeps:run', holder: true }, schema: { params: IdParam, body: CancelBody, response: { 200: SweepViewSchema, 404: ErrorReply, 409: ErrorReply } } },
    async (req) => {
      await mustGet(req.params.id);
      const by = auditActorOf(req);
      const rec = await deps.engine.cancelSweep(req.params.id, `cancelled by ${by}`);
      await deps.audit?.({ at: now(), actor: by, action: 'sweep.cancel', target: rec.id, detail: { done: rec.summary?.done ?? 0, total: rec.total }, ip: req.ip });
      return view(rec);
    },
  );

  for (const [format, f] of Object.entries(FORMATS)) {
    app.get<{ Params: Static<typeof IdParam> }>(
      `/api/sweeps/:id/report.${format}`,
      {
        config: { permission: 'sweeps:read' },
        schema: {
          params: IdParam,
          response: { 200: { content: { [f.type.split(';')[0] as string]: { schema: Type.String() } } }, 404: ErrorReply, 409: ErrorReply },
        },
      },
      async (req, reply) => {
        const rec = await mustGet(req.params.id);
        const report = await sweepReport(deps.store, rec.id);
        if (!report) throw new GatewayError('GW_ERR_SWEEP_RUNNING', `${rec.id}: its report is sealed when it ends`);
        const body = f.render(report, { ...(deps.timeZone ? { timeZone: deps.timeZone } : {}) });
        const file = `sweep-${rec.id}.${format}`;
        reply
          .type(f.type)
          .header('content-disposition', `${f.disposition}; filename="${file}"`)
          .header('x-content-type-options', 'nosniff')
          .header('x-report-sha256', report.integrity.hash)
          .header('x-report-prev-sha256', report.integrity.prevHash);
        // The printable page runs nothing and loads nothing but its inline pictures.
        if (format === 'html') reply.header('content-security-policy', "default-src 'none'; img-src data: 'self'; style-src 'unsafe-inline'");
        return reply.send(body);
      },
    );
  }
}
