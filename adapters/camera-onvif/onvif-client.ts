/**
 * The one typed wrapper around the `onvif` npm client. Everything else in the adapter talks
 * to cameras through this class: promises instead of callbacks, a timeout on every request,
 * an AbortSignal that really ends the socket, and plain typed results (no `any` from the
 * library's parsed SOAP gets past this file).
 *
 * We do not use the library's `connect()`: it runs GetVideoSources and a profile matcher that
 * throws from inside a socket callback on unusual profile layouts, and it hides which step
 * failed. A health check needs each step on its own.
 */
import http from 'node:http';
import onvif, { type Cam } from 'onvif';
import { errorMessage } from '../../gateway/contract/errors.js';
import { CAMERA_ERRORS, classifyOnvifError, isCameraError } from './errors.js';

export interface OnvifTarget {
  host: string;
  port: number;
  username: string;
  password: string;
  /** Device service path, `/onvif/device_service` unless the device says otherwise. */
  path: string;
}

export interface OnvifDeviceInfo {
  manufacturer: string;
  model: string;
  firmwareVersion: string;
  serialNumber: string;
  hardwareId: string;
}

export interface OnvifProfile {
  token: string;
  name: string;
  encoding?: string;
  width?: number;
  height?: number;
  fps?: number;
}

export interface OnvifNotification {
  /** Concrete topic, e.g. `tns1:VideoSource/SignalLoss`. */
  topic: string;
  /** ONVIF Core 9.4.1 PropertyOperation: Initialized, Changed, Deleted (absent for plain events). */
  operation?: string;
  at?: number;
  source: Record<string, string>;
  data: Record<string, string>;
}

export interface OnvifServices {
  media: boolean;
  events: boolean;
}

type Callback = (err: Error | null, data?: unknown) => void;
type Obj = Record<string, unknown>;

function obj(v: unknown): Obj | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : undefined;
}
function list(v: unknown): unknown[] {
  return v === undefined || v === null ? [] : Array.isArray(v) ? v : [v];
}
function text(v: unknown): string | undefined {
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v instanceof Date) return v.toISOString();
  const o = obj(v);
  return o && '_' in o ? text(o['_']) : undefined;
}
function num(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : undefined;
}
function path(v: unknown, ...keys: string[]): unknown {
  let cur = v;
  for (const k of keys) cur = obj(cur)?.[k];
  return cur;
}

/** Name/Value pairs of `tt:SimpleItem` elements (ONVIF Core 9.4.2 message description). */
function simpleItems(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list(path(v, 'simpleItem'))) {
    const attrs = obj(path(item, '$'));
    const name = text(attrs?.['Name']);
    if (name !== undefined) out[name] = text(attrs?.['Value']) ?? '';
  }
  return out;
}

export function toNotifications(pulled: unknown): OnvifNotification[] {
  return list(path(pulled, 'notificationMessage')).flatMap((m): OnvifNotification[] => {
    const topic = text(path(m, 'topic'));
    if (!topic) return [];
    const message = path(m, 'message', 'message');
    const attrs = obj(path(message, '$'));
    const utc = attrs?.['UtcTime'];
    const at = utc instanceof Date ? utc.getTime() : typeof utc === 'string' ? Date.parse(utc) : NaN;
    const operation = text(attrs?.['PropertyOperation']);
    return [{
      topic: topic.trim(),
      ...(operation === undefined ? {} : { operation }),
      ...(Number.isFinite(at) ? { at } : {}),
      source: simpleItems(path(message, 'source')),
      data: simpleItems(path(message, 'data')),
    }];
  });
}

export function toProfiles(raw: unknown): OnvifProfile[] {
  return list(raw).flatMap((p): OnvifProfile[] => {
    const token = text(path(p, '$', 'token')) ?? text(path(p, 'token'));
    if (!token) return [];
    const enc = path(p, 'videoEncoderConfiguration');
    const profile: OnvifProfile = { token, name: text(path(p, 'name')) ?? token };
    const encoding = text(path(enc, 'encoding'));
    const width = num(path(enc, 'resolution', 'width'));
    const height = num(path(enc, 'resolution', 'height'));
    const fps = num(path(enc, 'rateControl', 'frameRateLimit'));
    if (encoding !== undefined) profile.encoding = encoding;
    if (width !== undefined) profile.width = width;
    if (height !== undefined) profile.height = height;
    if (fps !== undefined) profile.fps = fps;
    return [profile];
  });
}

export interface OnvifClientOptions {
  /** Longest one SOAP request may take. */
  requestTimeoutMs: number;
}

export class OnvifClient {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
  private readonly cam: Cam;

  constructor(target: OnvifTarget, private readonly opts: OnvifClientOptions) {
    this.cam = new onvif.Cam({
      hostname: target.host,
      port: target.port,
      username: target.username,
      password: target.password,
      path: target.path,
      timeout: opts.requestTimeoutMs,
      agent: this.agent,
      autoconnect: false,
      // Service addresses keep the host and port we were configured with: cameras behind NAT
      // or port forwarding advertise addresses the gateway cannot reach.
      preserveAddress: true,
    });
  }

  /** Ends every socket; a request in flight fails at once. */
  close(): void {
    this.agent.destroy();
  }

  /**
   * ONVIF Core 8.3.10 GetSystemDateAndTime, sent without credentials first (PRE_AUTH). The
   * library keeps the device's offset and dates every later UsernameToken in device time, so
   * a skewed camera clock shows up as clock drift here and not as failed authentication.
   */
  systemDateAndTime(signal: AbortSignal): Promise<Date> {
    return this.call('GetSystemDateAndTime', signal, (cb) => this.cam.getSystemDateAndTime(cb), (d) => {
      if (!(d instanceof Date) || Number.isNaN(d.getTime())) throw CAMERA_ERRORS.error('GW_ERR_CAMERA_PROTOCOL', 'GetSystemDateAndTime without a date');
      return d;
    });
  }

  /** ONVIF Core 8.1.2.1 GetServices, falling back to GetCapabilities (8.1.2.2) on old devices. */
  async services(signal: AbortSignal): Promise<OnvifServices> {
    try {
      await this.call('GetServices', signal, (cb) => this.cam.getServices(true, cb), () => undefined);
    } catch (err) {
      if (classifyOnvifError(err) !== 'GW_ERR_CAMERA_PROTOCOL') throw err;
      await this.call('GetCapabilities', signal, (cb) => this.cam.getCapabilities(cb), () => undefined);
    }
    const uri = this.cam.uri;
    return { media: Boolean(uri?.media ?? uri?.media2), events: Boolean(uri?.events) };
  }

  deviceInformation(signal: AbortSignal): Promise<OnvifDeviceInfo> {
    return this.call('GetDeviceInformation', signal, (cb) => this.cam.getDeviceInformation(cb), (d) => ({
      manufacturer: text(path(d, 'manufacturer')) ?? '',
      model: text(path(d, 'model')) ?? '',
      firmwareVersion: text(path(d, 'firmwareVersion')) ?? '',
      serialNumber: text(path(d, 'serialNumber')) ?? '',
      hardwareId: text(path(d, 'hardwareId')) ?? '',
    }));
  }

  /** ONVIF Media 5.2.1 GetProfiles (Media2 when the device offers it). */
  profiles(signal: AbortSignal): Promise<OnvifProfile[]> {
    return this.call('GetProfiles', signal, (cb) => this.cam.getProfiles(cb), toProfiles);
  }

  /** ONVIF Media 5.15.1 GetStreamUri for RTP over RTSP. */
  streamUri(profileToken: string, signal: AbortSignal): Promise<string> {
    return this.call('GetStreamUri', signal, (cb) => this.cam.getStreamUri({ protocol: 'RTSP', profileToken }, cb), (d) => {
      const uri = text(path(d, 'uri'));
      if (!uri) throw CAMERA_ERRORS.error('GW_ERR_CAMERA_PROTOCOL', 'GetStreamUri without a URI');
      return uri;
    });
  }

  /** ONVIF Media 5.15.2 GetSnapshotUri. */
  snapshotUri(profileToken: string, signal: AbortSignal): Promise<string> {
    return this.call('GetSnapshotUri', signal, (cb) => this.cam.getSnapshotUri({ profileToken }, cb), (d) => {
      const uri = text(path(d, 'uri'));
      if (!uri) throw CAMERA_ERRORS.error('GW_ERR_CAMERA_PROTOCOL', 'GetSnapshotUri without a URI');
      return uri;
    });
  }

  /** ONVIF Core 9.1.1 CreatePullPointSubscription; returns the termination time (device clock). */
  createPullPoint(signal: AbortSignal): Promise<void> {
    return this.call('CreatePullPointSubscription', signal, (cb) => this.cam.createPullPointSubscription(cb), () => undefined);
  }

  /**
   * ONVIF Core 9.1.2 PullMessages. The library asks the device to hold the request up to one
   * minute, so this call's own timeout is longer than a SOAP request's.
   */
  pullMessages(signal: AbortSignal, timeoutMs = 75_000): Promise<OnvifNotification[]> {
    return this.call('PullMessages', signal, (cb) => this.cam.pullMessages({ messageLimit: 32 }, cb), toNotifications, timeoutMs);
  }

  renew(signal: AbortSignal): Promise<void> {
    return this.call('Renew', signal, (cb) => this.cam.renew({}, cb), () => undefined);
  }

  unsubscribe(signal: AbortSignal): Promise<void> {
    return this.call('Unsubscribe', signal, (cb) => this.cam.unsubscribe(cb, true), () => undefined);
  }

  private call<T>(op: string, signal: AbortSignal, invoke: (cb: Callback) => void, map: (data: unknown) => T, timeoutMs = this.opts.requestTimeoutMs): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const finish = (err: Error | undefined, value?: T): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve(value as T);
      };
      const onAbort = (): void => {
        // Destroying the agent's sockets is the only way to end the library's request.
        this.agent.destroy();
        finish(CAMERA_ERRORS.error('GW_ERR_CAMERA_ABORTED', op, { cause: signal.reason }));
      };
      const timer = setTimeout(() => {
        this.agent.destroy();
        finish(CAMERA_ERRORS.error('GW_ERR_CAMERA_TIMEOUT', `${op} took longer than ${timeoutMs} ms`));
      }, timeoutMs);
      if (signal.aborted) {
        onAbort();
        return;
      }
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        invoke((err, data) => {
          if (err) {
            const code = classifyOnvifError(err);
            finish(CAMERA_ERRORS.error(code, `${op}: ${errorMessage(err)}`, { cause: err }));
            return;
          }
          try {
            finish(undefined, map(data));
          } catch (mapErr) {
            finish(isCameraError(mapErr) ? mapErr : CAMERA_ERRORS.error('GW_ERR_CAMERA_PROTOCOL', `${op}: ${errorMessage(mapErr)}`));
          }
        });
      } catch (err) {
        finish(CAMERA_ERRORS.error('GW_ERR_CAMERA_PROTOCOL', `${op}: ${errorMessage(err)}`, { cause: err }));
      }
    });
  }
}
