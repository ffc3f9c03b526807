/**
 * Many simulated ONVIF cameras in one process: one HTTP server (fastify) for every camera's
 * device, media and event services and snapshot, one RTSP server, and one encoder per kind of
 * picture in use. Camera `cam-001` lives under `/cameras/cam-001/…`; a gateway device reaches
 * it with options `{ host, port, username, password, path: '/cameras/cam-001/onvif/device_service' }`.
 */
import { findFfmpeg } from '../../adapters/shared/ffmpeg-binary.js';
import type { ServerResponse } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import pino, { type Logger } from 'pino';
import type { Device } from '../../gateway/contract/types.js';
import { DigestAuthenticator } from './digest-auth.js';
import { RtspServer, type RtspTarget } from './rtsp-server.js';
import {
  applyFault, clearFault, FAULT_KINDS, HEALTHY_STATE, SimCamera,
  type CameraFault, type CameraFaultKind, type CameraSpec, type CameraState, type CameraUrls,
} from './sim-camera.js';
import { VideoFeeds, type PictureKind } from './video-feeds.js';

export interface CameraFleetOptions {
  /** How many cameras (ids cam-001…), or their specs. Default 1. */
  cameras?: number | CameraSpec[];
  /** Address both servers bind and advertise. Default 127.0.0.1. */
  host?: string;
  httpPort?: number;
  rtspPort?: number;
  /** Picture of every camera (keep it small in tests: 2 shared cores). Default 320x240 at 5 fps. */
  width?: number;
  height?: number;
  fps?: number;
  /** Default credentials of every camera. */
  username?: string;
  password?: string;
  ffmpegPath?: string;
  log?: Logger;
  /** Longest a PullMessages is held waiting for events. Default 10 s. */
  pullWaitMaxMs?: number;
  /** Window for a UsernameToken's Created against the camera clock. Default 300 s. */
  wsSecurityWindowSeconds?: number;
  /** `single`: one camera at the root paths (/onvif/device_service), as a real device. */
  layout?: 'fleet' | 'single';
}

/** What a gateway device needs in `options` to reach one simulated camera. */
export interface CameraDeviceOptions {
  host: string;
  port: number;
  username: string;
  password: string;
  path: string;
}

export class CameraFleetSimulator {
  private app: FastifyInstance | undefined;
  private rtsp: RtspServer | undefined;
  private feeds: VideoFeeds | undefined;
  private workDir: string | undefined;
  private readonly cameras = new Map<string, SimCamera>();
  /** Requests to cameras that are offline: never answered, destroyed on restore or stop. */
  private readonly hung = new Map<ServerResponse, string>();
  private readonly snapshotAuth = new DigestAuthenticator('camera-sim');

  constructor(private readonly opts: CameraFleetOptions = {}) {}

  get host(): string {
    return this.opts.host ?? '127.0.0.1';
  }

  get httpPort(): number {
    const addr = this.app?.server.address();
    return addr && typeof addr === 'object' ? addr.port : 0;
  }

  get rtspPort(): number {
    return this.rtsp?.port ?? 0;
  }

  ids(): string[] {
    return this.specs().map((s) => s.id);
  }

  async start(): Promise<void> {
    const o = this.opts;
    const log = o.log ?? pino({ level: 'silent' });
    const size = { width: o.width ?? 320, height: o.height ?? 240, fps: o.fps ?? 5 };
    for (const spec of this.specs()) {
      this.cameras.set(spec.id, new SimCamera(spec, {
        ...size,
        pullWaitMaxMs: o.pullWaitMaxMs ?? 10_000,
        wsSecurityWindowMs: (o.wsSecurityWindowSeconds ?? 300) * 1000,
      }));
    }
    this.workDir = await mkdtemp(join(tmpdir(), 'camera-sim-'));
    try {
      this.feeds = new VideoFeeds({ ...size, ffmpegPath: o.ffmpegPath ?? findFfmpeg()?.path ?? 'ffmpeg', workDir: this.workDir, log });
      this.rtsp = new RtspServer({ host: this.host, port: o.rtspPort ?? 0, log, resolve: (p) => this.rtspTarget(p) });
      await this.rtsp.start();
      this.app = this.buildHttp(log);
      await this.app.listen({ host: this.host, port: o.httpPort ?? 0 });
      await this.feeds.get('live');
    } catch (err) {
      await this.stop(); // a half-started simulator leaves no port, process or directory behind
      throw err;
    }
  }

  async stop(): Promise<void> {
    for (const cam of this.cameras.values()) cam.close();
    for (const res of this.hung.keys()) res.destroy();
    this.hung.clear();
    await this.app?.close();
    await this.rtsp?.stop();
    await this.feeds?.stop();
    if (this.workDir) await rm(this.workDir, { recursive: true, force: true });
    this.app = undefined;
    this.rtsp = undefined;
    this.feeds = undefined;
    this.workDir = undefined;
    this.cameras.clear();
  }

  deviceOptions(id: string): CameraDeviceOptions {
    const spec = this.spec(id);
    return { host: this.host, port: this.httpPort, username: spec.username, password: spec.password, path: `${this.prefix(id)}/onvif/device_service` };
  }

  /** Gateway devices for every camera (kind camera, adapter camera-onvif). */
  devices(siteId: string): Device[] {
    return this.specs().map((s) => ({
      id: s.id,
      siteId,
      kind: 'camera',
      adapter: 'camera-onvif',
      name: s.name,
      options: { ...this.deviceOptions(s.id) },
    }));
  }

  urls(id: string): CameraUrls {
    const base = `http://${this.host}:${this.httpPort}${this.prefix(id)}`;
    return {
      device: `${base}/onvif/device_service`,
      media: `${base}/onvif/media_service`,
      events: `${base}/onvif/events_service`,
      snapshot: `${base}/snapshot.jpg`,
      stream: `rtsp://${this.host}:${this.rtspPort}${this.prefix(id)}/stream1`,
      subscription: (sub) => `${base}/onvif/subscription/${sub}`,
    };
  }

  state(id: string): CameraState {
    return { ...this.camera(id).state };
  }

  /** Injects a fault; resolves once the camera shows it (a fault picture's encoder runs). */
  async setFault(id: string, fault: CameraFault): Promise<void> {
    const cam = this.camera(id);
    await this.applyState(cam, applyFault(cam.state, fault));
  }

  /** Clears one fault, or every fault when `kind` is omitted. */
  async restore(id: string, kind?: CameraFaultKind): Promise<void> {
    const cam = this.camera(id);
    const next = kind === undefined ? { ...HEALTHY_STATE } : clearFault(cam.state, kind);
    await this.applyState(cam, next);
  }

  /** Requests left unanswered because their camera is offline (of one camera, or all). */
  hungRequests(id?: string): number {
    return [...this.hung.values()].filter((camId) => id === undefined || camId === id).length;
  }

  /** Number of RTSP sessions open on a camera (or on all). */
  rtspSessions(id?: string): number {
    return this.rtsp?.sessionCount(id) ?? 0;
  }

  private specs(): Required<CameraSpec>[] {
    const o = this.opts;
    const list: CameraSpec[] =
      typeof o.cameras === 'object' ? o.cameras : Array.from({ length: o.cameras ?? 1 }, (_, i) => ({ id: `cam-${String(i + 1).padStart(3, '0')}` }));
    return list.map((s) => ({
      id: s.id,
      name: s.name ?? `Simulated camera ${s.id}`,
      username: s.username ?? o.username ?? 'admin',
      password: s.password ?? o.password ?? 'camera-sim',
      manufacturer: s.manufacturer ?? 'CampusSim',
      model: s.model ?? 'IPC-SIM-2MP',
      firmware: s.firmware ?? 'V5.7.3 build 261101',
    }));
  }

  private spec(id: string): Required<CameraSpec> {
    const spec = this.cameras.get(id)?.spec ?? this.specs().find((s) => s.id === id);
    if (!spec) throw new Error(`GW_ERR_SIM_UNKNOWN_CAMERA: no simulated camera ${id}`);
    return spec;
  }

  private camera(id: string): SimCamera {
    const cam = this.cameras.get(id);
    if (!cam) throw new Error(`GW_ERR_SIM_UNKNOWN_CAMERA: no simulated camera ${id} (is the simulator started?)`);
    return cam;
  }

  private prefix(id: string): string {
    return this.opts.layout === 'single' ? '' : `/cameras/${encodeURIComponent(id)}`;
  }

  private async applyState(cam: SimCamera, next: CameraState): Promise<void> {
    const feeds = this.feeds;
    if (!feeds) throw new Error('GW_ERR_SIM_STOPPED: simulator is not running');
    const prev = cam.state;
    if (next.picture !== prev.picture) await feeds.get(next.picture);
    cam.setState(next);
    const id = cam.spec.id;
    if (next.picture !== prev.picture || next.streamDown !== prev.streamDown || next.offline !== prev.offline || next.wrongPassword !== prev.wrongPassword) {
      this.rtsp?.closeSessions(id);
    }
    if (prev.offline && !next.offline) {
      for (const [res, camId] of this.hung) if (camId === id) res.destroy();
    }
    const inUse = new Set<PictureKind>([...this.cameras.values()].map((c) => c.state.picture));
    await feeds.release(inUse);
  }

  private hang(reply: FastifyReply, id: string): void {
    // A camera that stopped answering: the TCP connection is open but nothing comes back.
    reply.hijack();
    const res = reply.raw;
    this.hung.set(res, id);
    res.on('close', () => this.hung.delete(res));
  }

  private rtspTarget(path: string): RtspTarget {
    const m = this.opts.layout === 'single' ? /^\/stream1$/.exec(path) : /^\/cameras\/([^/]+)\/stream1$/.exec(path);
    const id = this.opts.layout === 'single' ? this.specs()[0]?.id : m?.[1] && decodeURIComponent(m[1]);
    const cam = m && id ? this.cameras.get(id) : undefined;
    const feeds = this.feeds;
    if (!cam || !feeds) return { state: 'not-found' };
    if (cam.state.offline) return { state: 'hang' };
    const kind = cam.state.picture;
    return {
      state: 'ok',
      key: cam.spec.id,
      name: cam.spec.name,
      credentials: cam.credentials(),
      streaming: !cam.state.streamDown,
      feed: {
        media: async () => (await feeds.get(kind)).media(),
        subscribe: (fn) => feeds.peek(kind)?.subscribe(fn) ?? (() => undefined),
      },
    };
  }

  private buildHttp(log: Logger): FastifyInstance {
    const app = Fastify({ loggerInstance: log as unknown as FastifyBaseLogger, forceCloseConnections: true, bodyLimit: 256 * 1024 });
    app.addContentTypeParser(['application/soap+xml', 'text/xml', 'application/xml'], { parseAs: 'string' }, (_req, body, done) => done(null, body));
    const single = this.opts.layout === 'single';
    const camId = (params: unknown): string => {
      const p = params as { cam?: string };
      return single ? (this.specs()[0]?.id ?? '') : (p.cam ?? '');
    };
    const root = single ? '' : '/cameras/:cam';
    const soap = async (params: unknown, body: unknown, reply: FastifyReply, sub?: string) => {
      const id = camId(params);
      const cam = this.cameras.get(id);
      if (!cam) return reply.code(404).send();
      if (cam.state.offline) return this.hang(reply, id);
      const answer = await cam.handle(typeof body === 'string' ? body : '', this.urls(id), sub);
      // A PullMessages parked before the camera went offline is not answered either.
      if (answer.hang) return this.hang(reply, id);
      return reply.code(answer.status).type('application/soap+xml; charset=utf-8').send(answer.xml);
    };
    app.post(`${root}/onvif/:service`, (req, reply) => soap(req.params, req.body, reply));
    app.post(`${root}/onvif/subscription/:sub`, (req, reply) => soap(req.params, req.body, reply, (req.params as { sub: string }).sub));
    app.get(`${root}/snapshot.jpg`, async (req, reply) => {
      const id = camId(req.params);
      const cam = this.cameras.get(id);
      const feeds = this.feeds;
      if (!cam || !feeds) return reply.code(404).send();
      if (cam.state.offline) return this.hang(reply, id);
      if (!this.snapshotAuth.verify(req.headers.authorization, 'GET', cam.credentials())) {
        return reply.code(401).header('WWW-Authenticate', this.snapshotAuth.challenge()).send();
      }
      const jpeg = await (await feeds.get(cam.state.picture)).snapshot();
      return reply.type('image/jpeg').header('Cache-Control', 'no-store').send(jpeg);
    });
    return app;
  }
}

export { FAULT_KINDS };
export type { CameraFault, CameraFaultKind, CameraSpec, CameraState };
