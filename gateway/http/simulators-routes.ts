/**
 * The simulator control API, served only by a gateway that runs its simulated district
 * (`main.ts --simulate`; tests pass a control in BuildOptions): testers list every simulated
 * device and far end with its state, and act on them (press, fault, drop, restore, lower,
 * cover, take a 110 receiver down…). Permission `simulators:control` (tester, admin). Every
 * action is audited as `simulator.<action>` with the thing's state after it (or why it was refused).
 *
 *   GET  /api/simulators                 { farEnds: [...], devices: [...] }   (?site=sch-01)
 *   GET  /api/simulators/:id             one simulated thing
 *   POST /api/simulators/:id/actions     { action, fault?, on?, count? } → its new state
 *
 * Errors: 404 GW_ERR_UNKNOWN_DEVICE (nothing simulated by that id, or out of the caller's
 * scope), 400 GW_ERR_BAD_REQUEST (the action, fault or count does not apply to that kind; the
 * message lists what does), 409 GW_ERR_NOT_SUPPORTED (not in its current state, e.g. pressing a
 * dropped button), 502 GW_ERR_COMMAND_FAILED (the simulator itself failed).
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isSimulatorRefusal, SIM_ACTIONS, type SimDeviceView, type SimulatorControlPort } from '../contract/simulator-port.js';
import { auditActorOf, scopeOf } from '../auth/access.js';
import { GatewayError } from '../contract/errors.js';
import type { HttpDeps } from './deps.js';
import { ErrorReply, IdParam } from './schemas.js';

const ActionBody = Type.Object(
  {
    action: Type.Union(SIM_ACTIONS.map((a) => Type.Literal(a))),
    fault: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    on: Type.Optional(Type.Boolean()),
    count: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
  },
  { additionalProperties: false },
);

const ListQuery = Type.Object({ site: Type.Optional(Type.String({ maxLength: 64 })) }, { additionalProperties: false });

const SimView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  siteId: Type.Optional(Type.String()),
  kind: Type.String(),
  simulator: Type.String(),
  state: Type.String(),
  faults: Type.Array(Type.String()),
  actions: Type.Array(Type.String()),
  faultKinds: Type.Array(Type.String()),
  barrier: Type.Optional(Type.Object({ position: Type.String(), impactCount: Type.Integer() })),
  camera: Type.Optional(Type.Object({ covered: Type.Boolean(), frozen: Type.Boolean(), offline: Type.Boolean(), streamDown: Type.Boolean(), picture: Type.String() })),
  receiver: Type.Optional(Type.Object({ mode: Type.String(), listening: Type.Boolean(), accepted: Type.Integer() })),
  sms: Type.Optional(Type.Object({ listening: Type.Boolean(), bound: Type.Integer(), messages: Type.Integer() })),
});

export function simulatorsRoutes(app: FastifyInstance, deps: Pick<HttpDeps, 'store' | 'clock'>, control: SimulatorControlPort): void {
  /** A device is seen only within the caller's scope (404 alike); far ends have no site. */
  const visible = (req: FastifyRequest, v: SimDeviceView | undefined): v is SimDeviceView => v !== undefined && (v.siteId === undefined || scopeOf(req).hasSite(v.siteId));

  app.get<{ Querystring: Static<typeof ListQuery> }>(
    '/api/simulators',
    { config: { permission: 'simulators:control' }, schema: { querystring: ListQuery, response: { 200: Type.Object({ farEnds: Type.Array(SimView), devices: Type.Array(SimView) }) } } },
    async (req) => {
      const { farEnds, devices } = control.list();
      const site = req.query.site;
      return { farEnds, devices: devices.filter((d) => visible(req, d) && (!site || d.siteId === site)) };
    },
  );

  app.get<{ Params: Static<typeof IdParam> }>(
    '/api/simulators/:id',
    { config: { permission: 'simulators:control' }, schema: { params: IdParam, response: { 200: SimView, 404: ErrorReply } } },
    async (req) => {
      const view = control.get(req.params.id);
      if (!visible(req, view)) throw new GatewayError('GW_ERR_UNKNOWN_DEVICE', `nothing simulated has the id '${req.params.id}'`);
      return view;
    },
  );

  app.post<{ Params: Static<typeof IdParam>; Body: Static<typeof ActionBody> }>(
    '/api/simulators/:id/actions',
    { config: { permission: 'simulators:control' }, schema: { params: IdParam, body: ActionBody, response: { 200: SimView, 400: ErrorReply, 404: ErrorReply, 409: ErrorReply } } },
    async (req) => {
      const { id } = req.params;
      if (!visible(req, control.get(id))) throw new GatewayError('GW_ERR_UNKNOWN_DEVICE', `nothing simulated has the id '${id}'`);
      const { action, fault, on, count } = req.body;
      const detail = { action, ...(fault !== undefined ? { fault } : {}), ...(on !== undefined ? { on } : {}), ...(count !== undefined ? { count } : {}) };
      const audit = (outcome: Record<string, unknown>) =>
        deps.store.audit({ at: deps.clock.now(), actor: auditActorOf(req), action: `simulator.${action}`, target: id, detail: { ...detail, ...outcome }, ip: req.ip });
      try {
        const view = await control.act(id, req.body);
        await audit({ state: view.state, faults: view.faults });
        return view;
      } catch (err) {
        // Refused and failed attempts too: the log says who tried what, and why it did not happen.
        if (isSimulatorRefusal(err)) await audit({ error: err.code, message: err.message });
        throw err;
      }
    },
  );
}
