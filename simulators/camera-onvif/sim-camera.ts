/**
 * One simulated ONVIF camera: identity, faults, its clock, and its SOAP operations, including
 * real-time pull-point event subscriptions (ONVIF Core 9.1). Transport (HTTP, RTSP) lives in
 * fleet.ts so that many cameras share one server.
 */
import { randomBytes } from 'node:crypto';
import type { Credentials } from './digest-auth.js';
import * as r from './onvif-responses.js';
import { checkUsernameToken, elementText, envelope, fault, parseDuration, soapAction } from './soap.js';
import type { PictureKind } from './video-feeds.js';

export interface CameraSpec {
  id: string;
  name?: string;
  username?: string;
  password?: string;
  manufacturer?: string;
  model?: string;
  firmware?: string;
}

export const FAULT_KINDS = ['offline', 'wrong-password', 'black', 'frozen', 'moved', 'clock-skew', 'stream-down', 'tamper', 'video-loss'] as const;
export type CameraFaultKind = (typeof FAULT_KINDS)[number];
/** A fault to inject; `clock-skew` may carry the offset in seconds (default 3600 s). */
export type CameraFault = CameraFaultKind | { kind: 'clock-skew'; seconds: number };

export interface CameraState {
  offline: boolean;
  wrongPassword: boolean;
  picture: PictureKind;
  clockSkewSeconds: number;
  streamDown: boolean;
  tamper: boolean;
  videoLoss: boolean;
}

export const HEALTHY_STATE: Readonly<CameraState> = Object.freeze({
  offline: false,
  wrongPassword: false,
  picture: 'live',
  clockSkewSeconds: 0,
  streamDown: false,
  tamper: false,
  videoLoss: false,
});

/** ONVIF Core 5.9.4: operations of access class PRE_AUTH are answered without credentials. */
const PRE_AUTH = new Set(['GetSystemDateAndTime', 'GetCapabilities', 'GetServices', 'GetServiceCapabilities', 'GetWsdlUrl', 'GetHostname']);

const TOPIC_SIGNAL_LOSS = 'tns1:VideoSource/SignalLoss';
const TOPIC_TAMPER = 'tns1:RuleEngine/TamperDetector/Tamper';
const MAX_SUBSCRIPTIONS = 16;
const DEFAULT_TERMINATION_MS = 120_000;

interface Subscription {
  id: string;
  queue: r.NotificationMessage[];
  terminationAt: number;
  wake?: () => void;
}

export interface CameraUrls {
  device: string;
  media: string;
  events: string;
  stream: string;
  snapshot: string;
  subscription(id: string): string;
}

export interface SoapAnswer {
  status: number;
  xml: string;
  /** Leave the request unanswered: the camera went offline while it was parked. */
  hang?: true;
}

const HANG: Readonly<SoapAnswer> = Object.freeze({ status: 0, xml: '', hang: true });

export interface SimCameraOptions {
  width: number;
  height: number;
  fps: number;
  /** Longest a PullMessages waits for news before answering empty. */
  pullWaitMaxMs: number;
  /** Accepted distance of a UsernameToken's Created from the camera clock. */
  wsSecurityWindowMs: number;
}

export class SimCamera {
  state: CameraState = { ...HEALTHY_STATE };
  private readonly subs = new Map<string, Subscription>();
  private closed = false;
  /** Counts offline periods, so a request parked across one is never answered. */
  private outages = 0;

  constructor(
    readonly spec: Required<CameraSpec>,
    private readonly opts: SimCameraOptions,
  ) {}

  /** The camera's own clock, skew included. */
  now(): number {
    return Date.now() + this.state.clockSkewSeconds * 1000;
  }

  /** What the camera accepts; someone changed the password when `wrongPassword` is on. */
  credentials(): Credentials {
    return { username: this.spec.username, password: this.state.wrongPassword ? `${this.spec.password}-changed` : this.spec.password };
  }

  setState(next: CameraState): void {
    const prev = this.state;
    this.state = next;
    if (next.offline && !prev.offline) {
      this.outages++;
      for (const sub of this.subs.values()) sub.wake?.();
    }
    const at = this.now();
    if (prev.videoLoss !== next.videoLoss) this.publish(this.signalLoss('Changed', at));
    if (prev.tamper !== next.tamper) this.publish(this.tamper('Changed', at));
  }

  /** Answers every parked PullMessages so servers can close. */
  close(): void {
    this.closed = true;
    for (const s of this.subs.values()) s.wake?.();
    this.subs.clear();
  }

  async handle(body: string, urls: CameraUrls, subscriptionId?: string): Promise<SoapAnswer> {
    const action = soapAction(body);
    if (!action) return { status: 400, xml: fault('Sender', 'WellFormed', 'Not a SOAP request') };
    if (!PRE_AUTH.has(action)) {
      const check = checkUsernameToken(body, this.credentials(), this.now(), this.opts.wsSecurityWindowMs);
      // ONVIF Core 5.9.1: a rejected UsernameToken is a Sender/NotAuthorized fault (HTTP 400).
      if (check !== 'ok') return { status: 400, xml: fault('Sender', 'NotAuthorized', 'Sender not Authorized') };
    }
    const view = this.view(urls);
    const ok = (xml: string): SoapAnswer => ({ status: 200, xml: envelope(xml) });
    switch (action) {
      case 'GetSystemDateAndTime':
        return ok(r.systemDateAndTime(view.deviceNow));
      case 'GetCapabilities':
        return ok(r.capabilities(view));
      case 'GetServices':
        return ok(r.services(view));
      case 'GetDeviceInformation':
        return ok(r.deviceInformation(view));
      case 'GetProfiles':
        return ok(r.profiles(view));
      case 'GetProfile':
        return ok(r.profileResponse(view));
      case 'GetVideoSources':
        return ok(r.videoSources(view));
      case 'GetStreamUri':
        return ok(r.streamUri(view));
      case 'GetSnapshotUri':
        return ok(r.snapshotUri(view));
      case 'GetEventProperties':
        return ok(r.eventProperties());
      case 'CreatePullPointSubscription':
        return ok(this.createSubscription(body, urls));
      case 'PullMessages':
      case 'Renew':
      case 'Unsubscribe':
        return this.onSubscription(action, body, subscriptionId);
      default:
        return { status: 400, xml: fault('Receiver', 'ActionNotSupported', `${action} is not implemented by the simulator`) };
    }
  }

  private view(urls: CameraUrls): r.CameraView {
    const s = this.spec;
    return {
      name: s.name,
      manufacturer: s.manufacturer,
      model: s.model,
      firmware: s.firmware,
      serial: `SIM-${s.id}`,
      hardwareId: 'sim-1',
      width: this.opts.width,
      height: this.opts.height,
      fps: this.opts.fps,
      deviceNow: this.now(),
      urls,
    };
  }

  private signalLoss(operation: r.NotificationMessage['operation'], at: number): r.NotificationMessage {
    const data: [string, string][] = [['State', String(this.state.videoLoss)]];
    return { topic: TOPIC_SIGNAL_LOSS, utcTime: at, operation, source: [['VideoSourceToken', r.SIM_TOKENS.videoSource]], data };
  }

  private tamper(operation: r.NotificationMessage['operation'], at: number): r.NotificationMessage {
    const data: [string, string][] = [['IsTamper', String(this.state.tamper)]];
    const source: [string, string][] = [['VideoSourceConfigurationToken', 'VideoSourceConfig_1'], ['Rule', 'TamperRule']];
    return { topic: TOPIC_TAMPER, utcTime: at, operation, source, data };
  }

  private publish(m: r.NotificationMessage): void {
    for (const s of this.subs.values()) {
      s.queue.push(m);
      if (s.queue.length > 100) s.queue.shift();
      s.wake?.();
    }
  }

  private createSubscription(body: string, urls: CameraUrls): string {
    this.expire();
    if (this.subs.size >= MAX_SUBSCRIPTIONS) {
      const oldest = this.subs.keys().next().value;
      if (oldest !== undefined) this.subs.delete(oldest);
    }
    const now = this.now();
    const id = randomBytes(6).toString('hex');
    const terminationAt = now + (parseDuration(elementText(body, 'InitialTerminationTime')) ?? DEFAULT_TERMINATION_MS);
    // ONVIF Core 9.4.1: a new subscription first receives the current state of every property.
    this.subs.set(id, { id, terminationAt, queue: [this.signalLoss('Initialized', now), this.tamper('Initialized', now)] });
    return r.pullPointCreated(urls.subscription(id), now, terminationAt);
  }

  private expire(): void {
    const now = this.now();
    for (const [id, s] of this.subs) if (s.terminationAt < now && !s.wake) this.subs.delete(id);
  }

  private async onSubscription(action: string, body: string, id: string | undefined): Promise<SoapAnswer> {
    const sub = id === undefined ? undefined : this.subs.get(id);
    if (!sub) {
      // WS-BaseNotification: an unknown or expired subscription resource.
      return { status: 400, xml: fault('Sender', 'InvalidArgVal', 'Unknown subscription') };
    }
    if (action === 'Unsubscribe') {
      this.subs.delete(sub.id);
      sub.wake?.();
      return { status: 200, xml: envelope(r.unsubscribed()) };
    }
    if (action === 'Renew') {
      sub.terminationAt = this.now() + (parseDuration(elementText(body, 'TerminationTime')) ?? DEFAULT_TERMINATION_MS);
      return { status: 200, xml: envelope(r.renewed(this.now(), sub.terminationAt)) };
    }
    const limit = Number(elementText(body, 'MessageLimit') ?? 10) || 10;
    const wait = Math.min(parseDuration(elementText(body, 'Timeout')) ?? 10_000, this.opts.pullWaitMaxMs);
    const outages = this.outages;
    if (sub.queue.length === 0 && !this.closed) {
      // ONVIF Core 9.1.2: hold the request until messages arrive or the timeout passes.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, wait);
        function done(): void {
          clearTimeout(timer);
          resolve();
        }
        sub.wake = done;
      });
      sub.wake = undefined;
    }
    if (this.outages !== outages || this.state.offline) return HANG;
    const messages = sub.queue.splice(0, limit);
    return { status: 200, xml: envelope(r.pulledMessages(this.now(), sub.terminationAt, messages)) };
  }
}

export function applyFault(state: CameraState, fault: CameraFault): CameraState {
  const kind = typeof fault === 'string' ? fault : fault.kind;
  switch (kind) {
    case 'offline':
      return { ...state, offline: true };
    case 'wrong-password':
      return { ...state, wrongPassword: true };
    case 'black':
    case 'frozen':
    case 'moved':
      return { ...state, picture: kind };
    case 'clock-skew':
      return { ...state, clockSkewSeconds: typeof fault === 'string' ? 3600 : fault.seconds };
    case 'stream-down':
      return { ...state, streamDown: true };
    case 'tamper':
      return { ...state, tamper: true };
    case 'video-loss':
      return { ...state, videoLoss: true };
  }
}

export function clearFault(state: CameraState, kind: CameraFaultKind): CameraState {
  switch (kind) {
    case 'offline':
      return { ...state, offline: false };
    case 'wrong-password':
      return { ...state, wrongPassword: false };
    case 'black':
    case 'frozen':
    case 'moved':
      return state.picture === kind ? { ...state, picture: 'live' } : state;
    case 'clock-skew':
      return { ...state, clockSkewSeconds: 0 };
    case 'stream-down':
      return { ...state, streamDown: false };
    case 'tamper':
      return { ...state, tamper: false };
    case 'video-loss':
      return { ...state, videoLoss: false };
  }
}
