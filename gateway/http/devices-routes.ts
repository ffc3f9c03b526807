import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { FastifyInstance } from 'fastify';
import { deviceTopic } from '../contract/topics.js';
import { LinkTestSchema, type LinkTest } from '../core/devices/link-tests.js';
import { stateMatches, type DeviceState } from '../core/devices/readings.js';
import type { Device, Health } from '../contract/types.js';
import { auditActorOf, scopeOf } from '../auth/access.js';
import type { Scope } from '../auth/scope.js';
import { commandFailure } from '../contract/capabilities.js';
import { errorMessage, GatewayError, isGatewayError } from '../contract/errors.js';
import type { HttpDeps } from './deps.js';
import { ErrorReply, HealthSchema, IdParam, KindSchema } from './schemas.js';
import { mergeClockViews } from '../core/devices/clock-drift.js';
import { askPeers } from './peer-views.js';

/** One device's clock on GET /api/clock-drift (`node`: the node that measured it, in cluster mode). */
const ClockSchema = Type.Object({
  deviceId: Type.String(),
  siteId: Type.String(),
  kind: Type.String(),
  name: Type.String(),
  source: Type.String(),
  driftSeconds: Type.Number(),
  measuredAt: Type.Number(),
  over: Type.Boolean(),
  node: Type.Optional(Type.String()),
});
type Clock = Static<typeof ClockSchema>;

/** Another node's GET /api/clock-drift answer. */
const clockAnswer = TypeCompiler.Compile(Type.Object({ clocks: Type.Array(ClockSchema) }));

/** Another node's clocks, or undefined when its answer is not of that shape. */
function clocksOf(body: unknown): Clock[] | undefined {
  return clockAnswer.Check(body) ? body.clocks : undefined;
}

const ListQuery = Type.Object(
  {
    site: Type.Optional(Type.String({ maxLength: 64 })),
    kind: Type.Optional(KindSchema),
    status: Type.Optional(Type.Union(['ok', 'degraded', 'offline', 'unknown', 'not-ok'].map((s) => Type.Literal(s)))),
    reason: Type.Optional(Type.String({ maxLength: 64 })),
    /** `field:value` on the device's state, e.g. `position:lowered`, `sim.status:suspended`. */
    state: Type.Optional(Type.String({ maxLength: 128, pattern: '^[^:]+:' })),
  },
  { additionalProperties: false },
);

const DeviceView = Type.Object({
  id: Type.String(),
  siteId: Type.String(),
  kind: Type.String(),
  adapter: Type.String(),
  name: Type.String(),
  options: Type.Record(Type.String(), Type.Unknown()),
  health: HealthSchema,
  /** Buttons: the last end-to-end test that reached the 110 centre and was ACKed. */
  linkTest: Type.Optional(LinkTestSchema),
  /** The latest reading of each field with its time (core/devices/readings.ts). */
  state: Type.Record(Type.String(), Type.Object({ value: Type.Union([Type.String(), Type.Number(), Type.Boolean()]), at: Type.Number() })),
});

const EmptyBody = Type.Union([Type.Object({}, { additionalProperties: false }), Type.Null()]);

/** The device, if it exists and the caller's scope reaches its site (else 404 alike). */
export function deviceInScope(deps: Pick<HttpDeps, 'registry'>, scope: Scope, id: string): Device {
  const device = deps.registry.get(id);
  if (!device || !scope.hasSite(device.siteId)) throw new GatewayError('GW_ERR_UNKNOWN_DEVICE', id);
  return device;
}

const SECRET_KEY = /pass|secret|token|key|iccid|msisdn/i;

/** A device as the API shows it: its secret never, option values that look secret redacted. */
export function deviceView(device: Device, health: Health | undefined, now: number, linkTest?: LinkTest, state: DeviceState = {}) {
  const options: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(device.options)) options[k] = SECRET_KEY.test(k) ? '***' : v;
  return {
    id: device.id,
    siteId: device.siteId,
    kind: device.kind,
    adapter: device.adapter,
    name: device.name,
    options,
    health: health ?? { deviceId: device.id, siteId: device.siteId, kind: device.kind, status: 'unknown' as const, reasons: [], checkedAt: now },
    ...(linkTest ? { linkTest } : {}),
    state,
  };
}

export function devicesRoutes(app: FastifyInstance, deps: HttpDeps): void {
  app.get<{ Querystring: Static<typeof ListQuery> }>(
    '/api/devices',
    { config: { permission: 'devices:read' }, schema: { querystring: ListQuery, response: { 200: Type.Array(DeviceView) } } },
    async (req) => {
      const { site, kind, status, reason, state } = req.query;
      const now = deps.clock.now();
      const scope = scopeOf(req);
      return deps.registry
        .list({ ...(site ? { siteId: site } : {}), ...(kind ? { kind } : {}) })
        .filter((d) => scope.hasSite(d.siteId))
        .map((d) => deviceView(d, deps.health.get(d.id), now, deps.linkTests.last(d.id), deps.readings.get(d.id)))
        .filter((v) => !status || (status === 'not-ok' ? v.health.status !== 'ok' : v.health.status === status))
        .filter((v) => !reason || v.health.reasons.some((r) => r.code === reason))
        .filter((v) => !state || stateMatches(v.state, state));
    },
  );

  app.get<{ Params: Static<typeof IdParam> }>(
    '/api/devices/:id',
    { config: { permission: 'devices:read' }, schema: { params: IdParam, response: { 200: DeviceView, 404: ErrorReply } } },
    async (req) => {
      const device = deviceInScope(deps, scopeOf(req), req.params.id);
      return deviceView(device, deps.health.get(device.id), deps.clock.now(), deps.linkTests.last(device.id), deps.readings.get(device.id));
    },
  );

  // One clock view: every device and link that reports time, the furthest off first.
  app.get(
    '/api/clock-drift',
    {
      config: { permission: 'devices:read' },
      schema: {
        response: {
          200: Type.Object({
            limitSeconds: Type.Number(),
            clocks: Type.Array(ClockSchema),
            /** Cluster mode: the nodes whose measurements are in `clocks`, and the ones missing. */
            nodes: Type.Optional(Type.Array(Type.Object({ id: Type.String(), answered: Type.Boolean(), error: Type.Optional(Type.String()) }))),
          }),
        },
      },
    },
    async (req) => {
      const scope = scopeOf(req);
      const limit = deps.clockDrift.limit;
      const node = deps.peers?.nodeId;
      const clocks: Clock[] = deps.clockDrift
        .list()
        .filter((c) => scope.hasSite(c.siteId))
        .map((c) => {
          // An adapter that measures a drift itself judges it by its own limit (its clock-drift reason).
          const reason = deps.health.get(c.deviceId)?.reasons.some((r) => r.code === 'clock-drift') ?? false;
          return { ...c, name: deps.registry.get(c.deviceId)?.name ?? c.deviceId, over: reason || Math.abs(c.driftSeconds) > limit, ...(node ? { node } : {}) };
        });
      if (!deps.peers || node === undefined) return { limitSeconds: limit, clocks };
      const self = { id: node, answered: true };
      // Asked by another node: this node's own measurements only (peer-views.ts: one hop).
      if (req.forwardedBy !== undefined) return { limitSeconds: limit, clocks, nodes: [self] };
      // Every node measures the devices connected to it: the whole view is every node's.
      const { answers, parts } = await askPeers(deps.peers, req, deps.counters, clocksOf);
      const theirs = parts.map(({ node: from, part }) => part.filter((c) => scope.hasSite(c.siteId)).map((c) => ({ ...c, node: c.node ?? from })));
      return { limitSeconds: limit, clocks: mergeClockViews([clocks, ...theirs]), nodes: [self, ...answers] };
    },
  );

  // Raise or lower a barrier; the adapter verifies the position really changed.
  const CommandBody = Type.Object(
    { command: Type.Union([Type.Literal('raise'), Type.Literal('lower')]) },
    { additionalProperties: false },
  );
  app.post<{ Params: Static<typeof IdParam>; Body: Static<typeof CommandBody> }>(
    '/api/devices/:id/command',
    {
      config: { permission: 'devices:command', holder: true },
      schema: {
        params: IdParam,
        body: CommandBody,
        response: { 200: Type.Object({ deviceId: Type.String(), command: Type.String(), position: Type.String(), latencyMs: Type.Number() }), 404: ErrorReply, 409: ErrorReply, 502: ErrorReply, 504: ErrorReply },
      },
    },
    async (req) => {
      const device = deviceInScope(deps, scopeOf(req), req.params.id);
      const adapter = deps.adapters.get(device.adapter);
      if (!adapter?.command) throw new GatewayError('GW_ERR_NOT_SUPPORTED', `${device.id} (${device.adapter}) takes no commands`);
      const by = auditActorOf(req);
      const audit = (outcome: string, detail?: string) =>
        deps.store.audit({ at: deps.clock.now(), actor: by, action: 'barrier.command', target: device.id, detail: { command: req.body.command, outcome, ...(detail ? { detail } : {}) }, ip: req.ip });
      try {
        const result = await adapter.command(device.id, req.body.command, AbortSignal.timeout(30_000));
        await audit('ok');
        return result;
      } catch (err) {
        await audit('failed', errorMessage(err));
        // The command capability rejects with GW_ERR_COMMAND_FAILED or _TIMEOUT (502/504); an
        // uncoded error is an adapter's bug, still a failed command to the operator.
        throw isGatewayError(err) ? err : commandFailure(err, { timedOut: false, deviceId: device.id });
      }
    },
  );

  // Asks a button to run its end-to-end self-test: it answers with a test report that travels
  // to the 110 centre; the ACK clears not-linked-110 and records the latency on the button.
  app.post<{ Params: Static<typeof IdParam>; Body: Static<typeof EmptyBody> }>(
    '/api/devices/:id/self-test',
    { config: { permission: 'devices:self-test' }, schema: { params: IdParam, body: EmptyBody, response: { 202: Type.Object({ deviceId: Type.String(), topic: Type.String() }), 404: ErrorReply, 409: ErrorReply } } },
    async (req, reply) => {
      const device = deviceInScope(deps, scopeOf(req), req.params.id);
      if (device.kind !== 'alarm-button' || device.adapter !== 'mqtt-native') {
        throw new GatewayError('GW_ERR_BAD_REQUEST', `${device.id} is not an MQTT alarm button`);
      }
      const topic = deviceTopic(device.siteId, device.id, 'cmd');
      await deps.broker.bus.publish(topic, JSON.stringify({ cmd: 'self-test', at: deps.clock.now() }), { qos: 1 });
      await deps.store.audit({ at: deps.clock.now(), actor: auditActorOf(req), action: 'device.self-test', target: device.id, detail: {}, ip: req.ip });
      return reply.status(202).send({ deviceId: device.id, topic });
    },
  );
}
