/**
 * Camera live view (issue 7): the dashboard plays a camera's picture through the gateway.
 *
 * GET /api/cameras/live-views            JSON: the cameras in the caller's scope that offer live
 *                                        view, picture size, whether each streams now or is refused
 *                                        because every stream slot is taken.
 * GET /api/cameras/:id/live (WebSocket)  jsmpeg header, then MPEG-TS (MPEG-1 video) as the
 *                                        camera's adapter produces it; started on demand, stopped
 *                                        after the last viewer leaves (adapters/camera-onvif/live-view.ts).
 *
 * The WebSocket is refused before the upgrade, as HTTP: 404 for an id that is not a camera in
 * the caller's scope (alike for another school's camera), 409 for a camera whose adapter has no
 * live view, 503 `GW_ERR_LIVE_VIEW_BUSY` when all `maxStreams` are streaming other cameras, 502
 * when the camera cannot be reached. Browsers send the token as the subprotocol `bearer.<token>`
 * next to `campus-camera.v1`. Watching a school's camera is privacy-relevant: every opening (and
 * refusal) and every end, with how long it was watched, goes to the audit log.
 *
 * Cluster mode: cameras are a singleton duty. On a node that does not hold it, the list is
 * forwarded to the holder (`config.holder`), and the WebSocket is opened to the holder before
 * the viewer is upgraded, then relayed frame by frame (holder-forward.ts): the viewer talks to
 * whichever node the balancer chose; the holder audits it under the viewer's own address.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import type { Adapter } from '../contract/adapter.js';
import type { LiveViewPort } from '../contract/capabilities.js';
import { auditActorOf, scopeOf } from '../auth/access.js';
import type { Device } from '../contract/types.js';
import { errorMessage, GatewayError, isGatewayError } from '../contract/errors.js';
import type { HttpDeps } from './deps.js';
import { deviceInScope } from './devices-routes.js';
import { openHolderSocket, pipeSockets } from './holder-forward.js';
import { ErrorReply, IdParam } from './schemas.js';

/** The adapter's live view, if it offers one (and is running). */
export function liveViewOf(adapter: Adapter | undefined): LiveViewPort | undefined {
  return adapter?.liveView?.();
}

/** The subprotocol a viewer offers next to `bearer.<token>` (browsers need one echoed back). */
export const CAMERA_LIVE_SUBPROTOCOL = 'campus-camera.v1';
/** Close code for an ended session, as on /api/live (RFC 6455 §7.4.2: 4000–4999 are ours). */
const SESSION_ENDED = 4401;

const ListQuery = Type.Object({ site: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })) }, { additionalProperties: false });

const LiveCamera = Type.Object({
  deviceId: Type.String(),
  siteId: Type.String(),
  width: Type.Integer(),
  height: Type.Integer(),
  /** Its stream runs now (opening it joins it, whatever the limit). */
  streaming: Type.Boolean(),
  viewers: Type.Integer(),
  /** Every stream slot of its adapter is taken by other cameras: opening it answers 503. */
  busy: Type.Boolean(),
  /** Its adapter's stream limit (the list's maxStreams adds up every adapter's). */
  maxStreams: Type.Integer(),
  /** The WebSocket path. */
  path: Type.String(),
});

const LiveViewList = Type.Object({
  /** Streams running / allowed, over every adapter offering live view. */
  inUse: Type.Integer(),
  maxStreams: Type.Integer(),
  cameras: Type.Array(LiveCamera),
});

function livePath(deviceId: string): string {
  return `/api/cameras/${encodeURIComponent(deviceId)}/live`;
}

interface Viewer {
  deviceId: string;
  sessionId?: string;
  /** Records the end of the viewing once (socket closed, session ended or gateway stopping). */
  finish(): void;
}

export function camerasRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const viewers = new Map<WebSocket, Viewer>();
  /** Cluster mode: the holder's socket opened for a viewer of this node (before its upgrade). */
  const upstreams = new WeakMap<FastifyRequest, WebSocket>();
  const relayed = new Set<WebSocket>();

  const camera = (req: FastifyRequest, id: string): Device => {
    const device = deviceInScope(deps, scopeOf(req), id);
    if (device.kind !== 'camera') throw new GatewayError('GW_ERR_UNKNOWN_DEVICE', id);
    return device;
  };
  const audit = (req: FastifyRequest, action: string, deviceId: string, detail: Record<string, unknown>) => {
    deps.store
      .audit({ at: deps.clock.now(), actor: auditActorOf(req), action, target: deviceId, detail, ip: req.ip })
      .catch((err: unknown) => deps.log.error({ err, action, deviceId }, 'camera live view: audit entry not written'));
  };

  // A viewer whose session ends (logout, expiry, disabled account) stops seeing the school.
  const sessionCheck = setInterval(() => {
    void (async () => {
      for (const [ws, v] of viewers) {
        if (v.sessionId === undefined) continue;
        // With the store unreachable a session cannot be checked: the view stays until it can.
        const op = await deps.operators.authenticate(v.sessionId).catch(() => 'unknown' as const);
        if (op === undefined && viewers.has(ws)) {
          viewers.delete(ws);
          v.finish();
          ws.close(SESSION_ENDED, 'session ended');
        }
      }
    })();
  }, 15_000);
  sessionCheck.unref();
  app.addHook('onClose', async () => {
    clearInterval(sessionCheck);
    // The audit store closes after the HTTP server: record the ends now, not when the sockets report them.
    for (const [ws, v] of viewers) {
      v.finish();
      ws.close(1001, 'gateway stopping');
    }
    viewers.clear();
    for (const ws of relayed) ws.close(1001, 'gateway stopping');
    relayed.clear();
  });

  app.get<{ Querystring: Static<typeof ListQuery> }>(
    '/api/cameras/live-views',
    { config: { permission: 'devices:read', holder: true }, schema: { querystring: ListQuery, response: { 200: LiveViewList } } },
    async (req) => {
      const scope = scopeOf(req);
      const ports = new Map<string, LiveViewPort>();
      for (const [type, adapter] of deps.adapters) {
        const port = liveViewOf(adapter);
        if (port) ports.set(type, port);
      }
      const cameras = deps.registry
        .list({ kind: 'camera', ...(req.query.site ? { siteId: req.query.site } : {}) })
        .filter((d) => scope.hasSite(d.siteId) && ports.has(d.adapter))
        .sort((a, b) => a.id.localeCompare(b.id))
        .flatMap((d) => {
          const port = ports.get(d.adapter);
          if (!port) return [];
          const open = port.openStreams();
          const streaming = open.includes(d.id);
          return [{ deviceId: d.id, siteId: d.siteId, ...port.frameSize, streaming, viewers: port.viewers(d.id), busy: !streaming && open.length >= port.maxStreams, maxStreams: port.maxStreams, path: livePath(d.id) }];
        });
      let inUse = 0;
      let maxStreams = 0;
      for (const port of ports.values()) {
        inUse += port.openStreams().length;
        maxStreams += port.maxStreams;
      }
      return { inUse, maxStreams, cameras };
    },
  );

  app.get<{ Params: Static<typeof IdParam> }>(
    '/api/cameras/:id/live',
    {
      websocket: true,
      config: { permission: 'devices:read' },
      schema: { params: IdParam, response: { 404: ErrorReply, 409: ErrorReply, 426: ErrorReply, 502: ErrorReply, 503: ErrorReply } },
      // Everything that can refuse the viewer runs before the upgrade, so the refusal is an HTTP status.
      preHandler: async (req, reply) => {
        const device = camera(req, req.params.id);
        if (deps.holder && !deps.holder.isHolder()) {
          if (!req.ws) throw new GatewayError('GW_ERR_UPGRADE_REQUIRED', 'live view is a WebSocket: connect with Upgrade: websocket');
          // Not the holder of the camera duties: the holder's socket, or its refusal as it answered.
          const upstream = await openHolderSocket(deps.holder, deps.counters, req, reply);
          if (upstream) {
            upstreams.set(req, upstream);
            // The viewer gone before its upgrade: the holder's socket goes too.
            req.raw.socket.once('close', () => {
              if (upstreams.delete(req)) upstream.terminate();
            });
          }
          if (upstream || reply.sent) return;
        }
        const port = liveViewOf(deps.adapters.get(device.adapter));
        if (!port) throw new GatewayError('GW_ERR_NOT_SUPPORTED', `${device.id} (${device.adapter}) offers no live view`);
        // A plain GET must not start a stream nobody will watch.
        if (!req.ws) throw new GatewayError('GW_ERR_UPGRADE_REQUIRED', 'live view is a WebSocket: connect with Upgrade: websocket');
        try {
          await port.open(device.id);
        } catch (err) {
          // The live-view capability refuses with coded errors (BUSY, UNKNOWN_DEVICE, the camera's own);
          // the error handler answers them by their declared status. Here: who tried, and how it went.
          if (isGatewayError(err, 'GW_ERR_LIVE_VIEW_BUSY')) audit(req, 'camera.live-view', device.id, { outcome: 'busy' });
          else if (!isGatewayError(err, 'GW_ERR_UNKNOWN_DEVICE')) audit(req, 'camera.live-view', device.id, { outcome: 'failed', detail: errorMessage(err) });
          throw isGatewayError(err) ? err : new GatewayError('GW_ERR_LIVE_VIEW_FAILED', `camera ${device.id}: ${errorMessage(err)}`, { cause: err });
        }
      },
    },
    (socket, req) => {
      const upstream = upstreams.get(req);
      if (upstream) {
        upstreams.delete(req);
        deps.counters.inc('cameras.live-view.relayed');
        relayed.add(socket);
        socket.on('close', () => relayed.delete(socket));
        pipeSockets(socket, upstream, deps.counters);
        return;
      }
      const deviceId = req.params.id;
      const port = liveViewOf(deps.adapters.get(deps.registry.get(deviceId)?.adapter ?? ''));
      if (!port) {
        socket.close(1011, 'live view stopped');
        return;
      }
      const since = deps.clock.now();
      audit(req, 'camera.live-view', deviceId, { outcome: 'opened' });
      deps.counters.inc('cameras.live-view.opened');
      let finished = false;
      const finish = () => {
        if (finished) return;
        finished = true;
        audit(req, 'camera.live-view.closed', deviceId, { seconds: Math.round((deps.clock.now() - since) / 1000) });
      };
      viewers.set(socket, { deviceId, finish, ...(req.sessionId ? { sessionId: req.sessionId } : {}) });
      socket.on('close', () => {
        viewers.delete(socket);
        finish();
      });
      // Viewers only watch; anything they send is ignored.
      socket.on('message', () => deps.counters.inc('cameras.live-view.ignored-client-message'));
      port.attach(deviceId, socket);
    },
  );
}
