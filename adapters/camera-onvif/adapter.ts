/**
 * The camera-onvif adapter: checks cameras on demand (health sweeps) and in the background,
 * at most `concurrency` at once and each within its own deadline, so a hung camera costs one
 * slot for one timeout and never the sweep; and keeps an ONVIF event subscription per camera.
 */
import { setMaxListeners } from 'node:events';
import { join } from 'node:path';
import type { Timer } from '../../gateway/contract/clock.js';
import type { Device, Scalar } from '../../gateway/contract/types.js';
import type { Adapter, AdapterContext, CheckResult } from '../../gateway/contract/adapter.js';
import { checkCamera, type CheckDeps } from './check.js';
import { ConditionTracker } from './conditions.js';
import { parseDeviceOptions, type CameraOnvifConfig } from './config.js';
import { errorMessage, GatewayError } from '../../gateway/contract/errors.js';
import { CAMERA_ERRORS } from './errors.js';
import { FFMPEG_MISSING, findFfmpeg } from '../shared/ffmpeg-binary.js';
import { CameraEventLoop, type CameraEventKind } from './events.js';
import { Limiter } from './limiter.js';
import { LiveViewManager } from './live-view.js';
import type { OnvifNotification } from './onvif-client.js';
import { ReferenceStore } from './reference-store.js';
import { resolveStream, type StreamSource } from './stream-source.js';

export const CAMERA_ONVIF_TYPE = 'camera-onvif';

interface RuntimeState {
  limiter: Limiter;
  references: ReferenceStore;
  conditions: ConditionTracker;
  /** Picture of each camera's last check, for the frozen comparison. */
  pictures: Map<string, Uint8Array>;
}

export class CameraOnvifAdapter implements Adapter {
  private state: RuntimeState | undefined;
  private stopController: AbortController | undefined;
  private interval: Timer | undefined;
  private firstTick: Timer | undefined;
  private readonly periodic = new Map<string, Promise<void>>();
  private readonly eventLoops = new Map<string, CameraEventLoop>();
  private live: LiveViewManager | undefined;

  private readonly config: CameraOnvifConfig & { ffmpegPath: string };
  /** No ffmpeg anywhere: ONVIF checks still run; stream and picture checks report it; no live view. */
  private readonly ffmpegMissing: boolean;

  constructor(
    config: CameraOnvifConfig,
    private readonly ctx: AdapterContext,
  ) {
    const ffmpeg = config.ffmpegPath ?? findFfmpeg()?.path;
    this.ffmpegMissing = ffmpeg === undefined;
    this.config = { ...config, ffmpegPath: ffmpeg ?? 'ffmpeg' };
  }

  async start(): Promise<void> {
    if (this.stopController) return;
    this.stopController = new AbortController();
    // Every camera waiting for a check slot listens to it: one listener per camera is expected.
    setMaxListeners(0, this.stopController.signal);
    const { clock } = this.ctx;
    const lv = this.config.liveView;
    if (this.ffmpegMissing && this.devices().length > 0) this.ctx.log.warn(FFMPEG_MISSING);
    if (lv.maxStreams > 0 && !this.ffmpegMissing) {
      // Viewers come through the gateway's HTTP server (attach()): no listening socket here.
      const live = new LiveViewManager({
        resolve: (id, signal) => this.liveSource(id, signal),
        log: this.ctx.log.child({ adapter: CAMERA_ONVIF_TYPE, part: 'live-view' }),
        workDir: join(this.ctx.dataDir, 'live'),
        listen: false,
        maxStreams: lv.maxStreams,
        width: lv.width,
        height: lv.height,
        bitrateKbps: lv.bitrateKbps,
        idleMs: lv.idleSeconds * 1000,
        resolveTimeoutMs: this.config.requestTimeoutMs * 4,
        ffmpegPath: this.config.ffmpegPath,
        rtspTransport: this.config.rtspTransport,
        clock,
      });
      await live.start();
      this.live = live;
    }
    if (this.config.checkIntervalSeconds > 0) {
      this.interval = clock.setInterval(() => this.tick(), this.config.checkIntervalSeconds * 1000);
      this.firstTick = clock.setTimeout(() => this.tick(), 0);
    } else if (this.config.events) {
      this.reconcileEvents(this.devices());
    }
  }

  async stop(): Promise<void> {
    const controller = this.stopController;
    if (!controller) return;
    this.stopController = undefined;
    const { clock } = this.ctx;
    if (this.interval) clock.clearInterval(this.interval);
    if (this.firstTick) clock.clearTimeout(this.firstTick);
    this.interval = undefined;
    this.firstTick = undefined;
    controller.abort(CAMERA_ERRORS.error('GW_ERR_CAMERA_STOPPED'));
    const live = this.live;
    this.live = undefined;
    await live?.stop();
    const loops = [...this.eventLoops.values()];
    this.eventLoops.clear();
    await Promise.all([...loops.map((l) => l.stop()), ...this.periodic.values()]);
    this.periodic.clear();
  }

  /** One check, as a health sweep asks for it; also updates the camera's conditions. */
  check(device: Device, signal: AbortSignal): Promise<CheckResult> {
    const stop = this.stopController?.signal;
    return this.runCheck(device, stop ? AbortSignal.any([signal, stop]) : signal);
  }

  /** Forgets a camera's reference picture; its next healthy picture becomes the reference. */
  async resetReference(deviceId: string): Promise<void> {
    await this.runtime().references.clear(deviceId);
    this.runtime().pictures.delete(deviceId);
  }

  /**
   * Live view of this adapter's cameras (started with the adapter, stopped with it), or
   * undefined while stopped or with `liveView.maxStreams: 0`. The gateway mounts its viewers
   * on its own HTTP server (gateway/http/cameras-routes.ts).
   */
  liveView(): LiveViewManager | undefined {
    return this.live;
  }

  /** The camera's RTSP stream (credentials included), for LiveViewManager's `resolve`. */
  liveSource(deviceId: string, signal: AbortSignal): Promise<StreamSource> {
    const device = this.ctx.devices.get(deviceId);
    if (!device || device.adapter !== CAMERA_ONVIF_TYPE) {
      return Promise.reject(new GatewayError('GW_ERR_UNKNOWN_DEVICE', `${deviceId} is not a camera-onvif device`));
    }
    return resolveStream(device, this.config.requestTimeoutMs, signal, this.config.endpoints);
  }

  /** Where the reference picture of a camera is kept (a PGM file). */
  referenceFile(deviceId: string): string {
    return this.runtime().references.fileFor(deviceId);
  }

  private runtime(): RuntimeState {
    this.state ??= {
      limiter: new Limiter(this.config.concurrency),
      references: new ReferenceStore(join(this.ctx.dataDir, 'references')),
      conditions: new ConditionTracker((id, code, active, detail) => this.ctx.setCondition(id, code, active, detail)),
      pictures: new Map(),
    };
    return this.state;
  }

  private devices(): Device[] {
    return this.ctx.devices.list({ adapter: CAMERA_ONVIF_TYPE });
  }

  private runCheck(device: Device, callerSignal: AbortSignal): Promise<CheckResult> {
    const rt = this.runtime();
    const { clock } = this.ctx;
    const deps: CheckDeps = {
      config: this.config,
      now: () => clock.now(),
      previousPicture: (id) => rt.pictures.get(id),
      reference: (id) => rt.references.get(id),
      setReference: (id, picture) => rt.references.set(id, picture),
    };
    return rt.limiter.run(async () => {
      // The deadline starts with the slot: time spent queued behind other cameras is not ours.
      const deadline = new AbortController();
      const timer = clock.setTimeout(
        () => deadline.abort(CAMERA_ERRORS.error('GW_ERR_CAMERA_TIMEOUT', `check longer than ${this.config.checkTimeoutMs} ms`)),
        this.config.checkTimeoutMs,
      );
      try {
        const signal = AbortSignal.any([callerSignal, deadline.signal]);
        const outcome = await checkCamera(device, signal, callerSignal, deps);
        if (outcome.picture) rt.pictures.set(device.id, outcome.picture);
        rt.conditions.update(device.id, 'check', outcome.result.reasons);
        this.report(device.id, outcome.result.evidence, outcome.picture !== undefined);
        return outcome.result;
      } finally {
        clock.clearTimeout(timer);
      }
    }, callerSignal);
  }

  /**
   * What a check read, as the camera's readings (its state on /api/devices and its charts):
   * resolution, frame rate, clock drift, when the last frame was seen. Only a camera that
   * answered ONVIF has readings; a check that never reached it reports nothing.
   */
  private report(deviceId: string, evidence: Record<string, Scalar>, framed: boolean): void {
    if (evidence['onvifLatencyMs'] === undefined) return;
    const data: Record<string, Scalar> = {};
    for (const k of ['resolution', 'fps', 'clockDriftSeconds', 'frames'] as const) if (evidence[k] !== undefined) data[k] = evidence[k];
    const streaming = typeof evidence['frames'] === 'number' && evidence['frames'] >= 2;
    if (streaming || framed) data['lastFrameAt'] = this.ctx.clock.now();
    this.ctx.emit({ deviceId, type: 'telemetry', data }).catch((err: unknown) => this.ctx.reject('refused-by-core', `telemetry: ${errorMessage(err)}`, deviceId));
  }

  private tick(): void {
    const stop = this.stopController?.signal;
    if (!stop) return;
    const devices = this.devices();
    if (this.config.events) this.reconcileEvents(devices);
    for (const device of devices) {
      if (this.periodic.has(device.id)) continue; // still checking since the last tick
      const run = this.runCheck(device, stop)
        .then(
          () => undefined,
          (err: unknown) => {
            if (!stop.aborted) this.ctx.log.warn({ deviceId: device.id, err: errorMessage(err) }, 'camera check failed');
          },
        )
        .finally(() => this.periodic.delete(device.id));
      this.periodic.set(device.id, run);
    }
  }

  /** One event subscription per camera the registry lists; gone cameras lose theirs. */
  private reconcileEvents(devices: Device[]): void {
    const wanted = new Set(devices.map((d) => d.id));
    for (const [id, loop] of this.eventLoops) {
      if (wanted.has(id)) continue;
      this.eventLoops.delete(id);
      void loop.stop();
    }
    for (const device of devices) {
      if (this.eventLoops.has(device.id)) continue;
      let target;
      try {
        target = parseDeviceOptions(device.id, device.options, this.config.endpoints);
      } catch {
        continue; // the check reports bad options
      }
      const loop = new CameraEventLoop(device.id, target, {
        clock: this.ctx.clock,
        log: this.ctx.log.child({ adapter: CAMERA_ONVIF_TYPE, deviceId: device.id }),
        requestTimeoutMs: this.config.requestTimeoutMs,
        onNotification: (kind, active, n) => this.onCameraEvent(device, kind, active, n),
      });
      this.eventLoops.set(device.id, loop);
      loop.start();
    }
  }

  private onCameraEvent(device: Device, kind: CameraEventKind, active: boolean, n: OnvifNotification): void {
    const code = kind === 'tamper' ? 'tamper' : 'stream-down';
    const detail = kind === 'tamper' ? `tamper reported by the camera (${n.topic})` : `video loss reported by the camera (${n.topic})`;
    this.runtime().conditions.set(device.id, 'events', code, active, detail);
    // ONVIF Core 9.4.1: `Initialized` restates the current state on (re)subscription; only
    // changes are events, or every reconnect would raise the alarm again.
    if (n.operation === 'Initialized') return;
    this.ctx
      .emit({ deviceId: device.id, type: kind, ...(n.at === undefined ? {} : { at: n.at }), data: { active, topic: n.topic } })
      .catch((err: unknown) => this.ctx.reject('refused-by-core', `${kind}: ${errorMessage(err)}`, device.id));
  }
}
