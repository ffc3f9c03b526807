/**
 * ONVIF real-time events of one camera through a pull point (ONVIF Core 9.1): create the
 * subscription, keep pulling, renew before it lapses, and start over with backoff after any
 * failure. Tamper and video-loss notifications are handed to the adapter.
 */
import type { Logger } from 'pino';
import type { Clock, Timer } from '../../gateway/contract/clock.js';
import type { CameraDeviceOptions } from './config.js';
import { errorMessage } from '../../gateway/contract/errors.js';
import { OnvifClient, type OnvifNotification } from './onvif-client.js';

export type CameraEventKind = 'tamper' | 'video-loss';

/**
 * Topics seen on cameras for the two events we care about: ONVIF's own
 * (`tns1:VideoSource/SignalLoss`, `tns1:VideoSource/GlobalSceneChange/...`), the analytics
 * tamper detector (`tns1:RuleEngine/TamperDetector/Tamper`), and vendor variants.
 */
export function classifyNotification(n: OnvifNotification): { kind: CameraEventKind; active: boolean } | undefined {
  const kind: CameraEventKind | undefined = /SignalLoss|VideoLoss/i.test(n.topic)
    ? 'video-loss'
    : /Tamper|GlobalSceneChange/i.test(n.topic)
      ? 'tamper'
      : undefined;
  if (!kind) return undefined;
  const raw = n.data['State'] ?? n.data['IsTamper'] ?? Object.values(n.data)[0];
  const value = raw?.trim().toLowerCase();
  if (value === 'true' || value === '1') return { kind, active: true };
  if (value === 'false' || value === '0') return { kind, active: false };
  return undefined;
}

export interface EventLoopDeps {
  clock: Clock;
  log: Logger;
  requestTimeoutMs: number;
  onNotification(kind: CameraEventKind, active: boolean, n: OnvifNotification): void;
}

/** Renew when this much of the subscription's life has passed (the library asks for PT2M). */
const RENEW_AFTER_MS = 30_000;
const BACKOFF_START_MS = 1000;
const BACKOFF_MAX_MS = 60_000;

export class CameraEventLoop {
  private controller: AbortController | undefined;
  private running: Promise<void> | undefined;
  private sleepTimer: Timer | undefined;
  private wakeSleep: (() => void) | undefined;

  constructor(
    readonly deviceId: string,
    readonly target: CameraDeviceOptions,
    private readonly deps: EventLoopDeps,
  ) {}

  start(): void {
    if (this.running) return;
    const controller = new AbortController();
    this.controller = controller;
    this.running = this.loop(controller.signal).catch((err: unknown) => {
      this.deps.log.error({ err, deviceId: this.deviceId }, 'camera event loop failed');
    });
  }

  async stop(): Promise<void> {
    this.controller?.abort();
    if (this.sleepTimer) this.deps.clock.clearTimeout(this.sleepTimer);
    this.wakeSleep?.();
    await this.running;
    this.running = undefined;
  }

  private async loop(signal: AbortSignal): Promise<void> {
    let backoff = BACKOFF_START_MS;
    while (!signal.aborted) {
      const client = new OnvifClient(this.target, { requestTimeoutMs: this.deps.requestTimeoutMs });
      let subscribed = false;
      try {
        // The device's clock first: WS-Security tokens are dated in device time.
        await client.systemDateAndTime(signal);
        const services = await client.services(signal);
        if (!services.events) {
          this.deps.log.info({ deviceId: this.deviceId }, 'camera offers no event service; not subscribing');
          return;
        }
        await client.createPullPoint(signal);
        subscribed = true;
        backoff = BACKOFF_START_MS;
        let renewedAt = this.deps.clock.now();
        while (!signal.aborted) {
          const notifications = await client.pullMessages(signal);
          for (const n of notifications) {
            const c = classifyNotification(n);
            if (c) this.deps.onNotification(c.kind, c.active, n);
          }
          if (this.deps.clock.now() - renewedAt >= RENEW_AFTER_MS) {
            await client.renew(signal);
            renewedAt = this.deps.clock.now();
          }
        }
      } catch (err) {
        if (signal.aborted) break;
        this.deps.log.debug({ deviceId: this.deviceId, err: errorMessage(err), retryInMs: backoff }, 'camera events interrupted');
        await this.sleep(backoff);
        backoff = Math.min(backoff * 2, BACKOFF_MAX_MS);
      } finally {
        if (subscribed && signal.aborted) await this.unsubscribe(client);
        client.close();
      }
    }
  }

  /** Best effort, so the camera frees the pull point now rather than at its termination time. */
  private async unsubscribe(client: OnvifClient): Promise<void> {
    try {
      await client.unsubscribe(AbortSignal.timeout(1000));
    } catch {
      // The camera may be gone; the subscription then lapses on its own.
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      this.wakeSleep = resolve;
      this.sleepTimer = this.deps.clock.setTimeout(resolve, ms);
    });
  }
}
