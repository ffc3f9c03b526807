/**
 * One health check of one camera, in the order a technician would look: does it answer, is its
 * clock right, do our credentials work, does it offer a stream, does video really arrive, and
 * does the picture show what it should. The first failure that hides the rest ends the check.
 */
import type { Device, Scalar } from '../../gateway/contract/types.js';
import type { HealthReasonCode } from '../../gateway/contract/vocabulary.js';
import type { CheckResult } from '../../gateway/contract/adapter.js';
import { parseDeviceOptions, type CameraOnvifConfig } from './config.js';
import { errorMessage } from '../../gateway/contract/errors.js';
import { CAMERA_ERRORS, isCameraError } from './errors.js';
import { decodePicture, probeStream, redactUrl, withCredentials, type StreamProbe } from './media-probe.js';
import { OnvifClient } from './onvif-client.js';
import { judgePicture } from './picture.js';

/** ONVIF Core 5.9.2 / WS-Security: devices commonly reject a UsernameToken older or newer than 5 min. */
const WS_SECURITY_WINDOW_S = 300;

export interface CheckDeps {
  /** With the ffmpeg to run resolved (see adapters/shared/ffmpeg-binary.ts). */
  config: CameraOnvifConfig & { ffmpegPath: string };
  /** Gateway time (ctx.clock). */
  now(): number;
  previousPicture(deviceId: string): Uint8Array | undefined;
  reference(deviceId: string): Promise<Uint8Array | undefined>;
  setReference(deviceId: string, picture: Uint8Array): Promise<void>;
}

export interface CheckOutcome {
  result: CheckResult;
  /** The analysed picture, to compare with next time. */
  picture?: Uint8Array;
}

type Stage = 'onvif' | 'stream' | 'picture';
type Reason = { code: HealthReasonCode; detail?: string };

export function statusOf(reasons: Reason[]): CheckResult['status'] {
  if (reasons.length === 0) return 'ok';
  return reasons.some((r) => r.code === 'unreachable') ? 'offline' : 'degraded';
}

function result(reasons: Reason[], evidence: Record<string, Scalar>): CheckResult {
  return { status: statusOf(reasons), reasons, evidence };
}

/** What a failed ONVIF step means for the camera. */
function onvifReason(err: unknown, step: string): Reason {
  const code = isCameraError(err) ? err.code : 'GW_ERR_CAMERA_PROTOCOL';
  const detail = `${step}: ${errorMessage(err)}`;
  if (code === 'GW_ERR_CAMERA_AUTH') return { code: 'auth-failed', detail };
  if (code === 'GW_ERR_CAMERA_UNREACHABLE' || code === 'GW_ERR_CAMERA_TIMEOUT' || code === 'GW_ERR_CAMERA_ABORTED') return { code: 'unreachable', detail };
  if (step === 'GetProfiles' || step === 'GetStreamUri') return { code: 'no-stream-uri', detail };
  return { code: 'check-error', detail };
}

function streamDownDetail(p: StreamProbe, timeoutMs: number): string {
  if (p.frames === 1) return `only one frame in ${timeoutMs} ms`;
  if (p.error) return `no video: ${p.error}`;
  return p.timedOut ? `no video frames within ${timeoutMs} ms (RTSP may still answer DESCRIBE)` : 'stream ended without video frames';
}

/**
 * Runs the check. `signal` ends it (the caller's cancel or the adapter's deadline); an abort by
 * `callerSignal` rejects, a deadline turns into the reason of the stage that was running.
 */
export async function checkCamera(device: Device, signal: AbortSignal, callerSignal: AbortSignal, deps: CheckDeps): Promise<CheckOutcome> {
  const cfg = deps.config;
  const evidence: Record<string, Scalar> = {};
  let options;
  try {
    options = parseDeviceOptions(device.id, device.options, cfg.endpoints);
  } catch (err) {
    return { result: result([{ code: 'check-error', detail: errorMessage(err) }], evidence) };
  }
  const client = new OnvifClient(options, { requestTimeoutMs: cfg.requestTimeoutMs });
  const reasons: Reason[] = [];
  let stage: Stage = 'onvif';
  let step = 'GetSystemDateAndTime';
  try {
    // ONVIF Core 8.3.10: reachable at all? (no credentials needed)
    const started = Date.now();
    const deviceTime = await client.systemDateAndTime(signal);
    evidence['onvifLatencyMs'] = Date.now() - started;
    const drift = Math.round((deviceTime.getTime() - deps.now()) / 1000);
    evidence['clockDriftSeconds'] = drift;
    if (Math.abs(drift) > cfg.clockDriftSeconds) {
      const wss = Math.abs(drift) > WS_SECURITY_WINDOW_S ? '; beyond ±5 min, clients that do not correct for it fail WS-Security authentication' : '';
      reasons.push({ code: 'clock-drift', detail: `camera clock ${drift > 0 ? 'ahead' : 'behind'} by ${Math.abs(drift)} s (limit ${cfg.clockDriftSeconds} s)${wss}` });
    }
    step = 'GetServices';
    const services = await client.services(signal);
    evidence['eventsService'] = services.events;
    step = 'GetDeviceInformation';
    const info = await client.deviceInformation(signal);
    evidence['manufacturer'] = info.manufacturer;
    evidence['model'] = info.model;
    evidence['firmware'] = info.firmwareVersion;
    evidence['serial'] = info.serialNumber;

    step = 'GetProfiles';
    const profiles = await client.profiles(signal);
    const profile = options.profileToken ? profiles.find((p) => p.token === options.profileToken) : profiles[0];
    if (!profile) {
      const why = options.profileToken ? `profile ${options.profileToken} not offered` : 'device offers no media profile';
      reasons.push({ code: 'no-stream-uri', detail: why });
      return { result: result(reasons, evidence) };
    }
    evidence['profile'] = profile.token;
    step = 'GetStreamUri';
    const streamUri = await client.streamUri(profile.token, signal);
    evidence['streamUri'] = redactUrl(streamUri);

    stage = 'stream';
    const probeMs = cfg.streamTimeoutMs + Math.round(cfg.probeSeconds * 1000);
    const probe = await probeStream(withCredentials(streamUri, options.username, options.password), {
      ffmpegPath: cfg.ffmpegPath,
      transport: cfg.rtspTransport,
      seconds: cfg.probeSeconds,
      timeoutMs: probeMs,
      signal,
    });
    evidence['frames'] = probe.frames;
    const streaming = probe.frames >= 2;
    if (streaming) {
      if (probe.width !== undefined && probe.height !== undefined) evidence['resolution'] = `${probe.width}x${probe.height}`;
      if (probe.fps !== undefined) evidence['fps'] = probe.fps;
    } else {
      reasons.push({ code: 'stream-down', detail: streamDownDetail(probe, probeMs) });
    }

    stage = 'picture';
    let current: Uint8Array | undefined;
    let first: Uint8Array | undefined;
    let spanMs: number | undefined;
    if (cfg.pictureSource === 'stream' && streaming && probe.last) {
      current = probe.last;
      first = probe.first;
      spanMs = probe.spanMs;
      evidence['pictureSource'] = 'stream';
    } else {
      // Snapshot URI: the configured source, or the only picture left when the stream is down.
      step = 'GetSnapshotUri';
      try {
        const snapshotUri = await client.snapshotUri(profile.token, signal);
        current = await decodePicture(withCredentials(snapshotUri, options.username, options.password), {
          ffmpegPath: cfg.ffmpegPath,
          timeoutMs: cfg.requestTimeoutMs,
          signal,
        });
        evidence['pictureSource'] = 'snapshot';
      } catch (err) {
        if (callerSignal.aborted || (signal.aborted && isCameraError(err, 'GW_ERR_CAMERA_ABORTED'))) throw err;
        evidence['snapshotError'] = errorMessage(err).slice(0, 200);
      }
    }
    if (!current) return { result: result(reasons, evidence) };
    const reference = await deps.reference(device.id);
    const verdict = judgePicture(
      { current, ...(first ? { first } : {}), ...(spanMs !== undefined ? { spanMs } : {}), previous: deps.previousPicture(device.id), reference },
      cfg,
    );
    Object.assign(evidence, verdict.evidence);
    reasons.push(...verdict.reasons);
    if (!reference && verdict.usableAsReference) {
      await deps.setReference(device.id, current);
      evidence['referenceStored'] = true;
    }
    return { result: result(reasons, evidence), picture: current };
  } catch (err) {
    if (callerSignal.aborted) throw CAMERA_ERRORS.error('GW_ERR_CAMERA_ABORTED', `check of ${device.id} cancelled`, { cause: err });
    if (isCameraError(err, 'GW_ERR_CAMERA_FFMPEG')) {
      reasons.push({ code: 'check-error', detail: errorMessage(err) });
    } else if (stage === 'onvif') {
      reasons.push(onvifReason(err, step));
    } else if (stage === 'stream') {
      reasons.push({ code: 'stream-down', detail: `no video frames before the check deadline (${errorMessage(err)})` });
    } else {
      evidence['pictureError'] = errorMessage(err).slice(0, 200);
    }
    return { result: result(reasons, evidence) };
  } finally {
    client.close();
  }
}
