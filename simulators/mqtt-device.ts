/**
 * A simulated device speaking the v1 MQTT topics: connects with its own credentials, sets a
 * retained `online` status with an `offline` will, heartbeats telemetry, and sends events on
 * command. Subclasses give each device kind its telemetry and behaviour.
 */
import mqtt, { type MqttClient } from 'mqtt';
import type { Device } from '../gateway/contract/types.js';
import { deviceTopic } from '../gateway/contract/topics.js';
import { demoSecret } from './demo-secret.js';

export interface SimDeviceOptions {
  /** Broker URL, e.g. mqtt://127.0.0.1:1883 */
  url: string;
  device: Device;
  /** Telemetry (heartbeat) period in ms. */
  heartbeatMs: number;
  /** Faults the device starts in (`dead`, `sim-suspended`, `fault`, …). */
  faults?: string[];
  /** Its MQTT password; default the demo secret `demo-pass-<device-id>` (the configuration holds only hashes). */
  password?: string;
}

export type SimState = 'stopped' | 'connecting' | 'online' | 'dropped' | 'dead';

export class SimulatedMqttDevice {
  protected client?: MqttClient;
  protected timer?: ReturnType<typeof setInterval>;
  protected seq = 0;
  /** A hung device: connected but silent. */
  protected frozen = false;
  readonly faults: Set<string>;
  state: SimState = 'stopped';
  /** Telemetry readings the broker acknowledged (PUBACK): what the gateway promised to keep. */
  telemetryAcked = 0;

  constructor(protected readonly opts: SimDeviceOptions) {
    this.faults = new Set(opts.faults ?? []);
  }

  get id(): string {
    return this.opts.device.id;
  }

  protected topic(leaf: 'event' | 'telemetry' | 'status' | 'cmd'): string {
    return deviceTopic(this.opts.device.siteId, this.opts.device.id, leaf);
  }

  /** Connects and starts heartbeating; resolves once connected (or at once for a dead device). */
  async start(): Promise<void> {
    if (this.faults.has('dead')) {
      this.state = 'dead';
      return;
    }
    this.state = 'connecting';
    this.frozen = false;
    const client = mqtt.connect(this.opts.url, {
      clientId: this.opts.device.id,
      username: this.opts.device.id,
      password: this.opts.password ?? demoSecret(this.opts.device.id),
      protocolVersion: 4,
      clean: true,
      keepalive: 60,
      reconnectPeriod: 1000,
      connectTimeout: 10_000,
      will: { topic: this.topic('status'), payload: Buffer.from('offline'), qos: 1, retain: true },
    });
    this.client = client;
    client.on('connect', () => {
      this.state = 'online';
      void this.onConnected();
    });
    client.on('message', (topic, payload) => this.onCommand(topic, payload));
    client.on('error', () => undefined); // reconnects; auth errors surface as no heartbeat
    await new Promise<void>((resolve) => {
      const done = () => {
        client.off('connect', done);
        client.off('error', done);
        resolve();
      };
      client.once('connect', done);
      client.once('error', done);
    });
  }

  protected async onConnected(): Promise<void> {
    const c = this.client;
    if (!c) return;
    await c.publishAsync(this.topic('status'), 'online', { qos: 1, retain: true }).catch(() => undefined);
    await c.subscribeAsync(this.topic('cmd'), { qos: 1 }).catch(() => undefined);
    await this.onlineEvents().catch(() => undefined);
    await this.heartbeat().catch(() => undefined);
    if (this.timer) clearInterval(this.timer);
    // Jitter so a district does not heartbeat in lockstep.
    this.timer = setInterval(() => {
      // A heartbeat racing a drop finds no connection: that is what a real device sees too.
      this.heartbeat().catch(() => undefined);
    }, this.opts.heartbeatMs * (0.9 + Math.random() * 0.2));
  }

  /** Events a device sends right after connecting (a standing fault, a tamper switch). */
  protected async onlineEvents(): Promise<void> {}

  protected telemetry(): Record<string, unknown> {
    return {};
  }

  protected onCommand(_topic: string, _payload: Buffer): void {}

  async heartbeat(): Promise<void> {
    if (this.frozen) return;
    // Stamped with the device's own clock, as real devices do (the gateway's clock view reads it).
    await this.publish('telemetry', { ...this.telemetry(), at: Date.now(), seq: ++this.seq });
  }

  /** Sends a discrete event with a fresh sequence number; resolves when the broker acknowledged it. */
  async event(type: string, extra: Record<string, unknown> = {}): Promise<void> {
    await this.publish('event', { type, at: Date.now(), seq: ++this.seq, ...extra });
  }

  async publish(leaf: 'event' | 'telemetry', body: unknown): Promise<void> {
    if (!this.client?.connected) throw new Error(`${this.id} is not connected`);
    await this.client.publishAsync(this.topic(leaf), JSON.stringify(body), { qos: 1 });
    if (leaf === 'telemetry') this.telemetryAcked++;
  }

  /** Publishes raw bytes (malformed payload tests). */
  async publishRaw(leaf: 'event' | 'telemetry' | 'status', payload: string | Buffer): Promise<void> {
    if (!this.client?.connected) throw new Error(`${this.id} is not connected`);
    await this.client.publishAsync(this.topic(leaf), payload, { qos: 1 });
  }

  /** Cuts the connection without DISCONNECT (power loss): the broker publishes the will. */
  drop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const c = this.client;
    this.client = undefined;
    this.state = 'dropped';
    c?.stream.destroy();
    c?.end(true);
  }

  /** Silently stops heartbeating while staying connected (a hung device). */
  freeze(): void {
    this.frozen = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Connected but silent (freeze()). */
  get isFrozen(): boolean {
    return this.frozen;
  }

  /** A device that died: the connection is cut (the will says offline) and it stays away until restored. */
  kill(): void {
    this.faults.add('dead');
    this.drop();
    this.state = 'dead';
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const c = this.client;
    this.client = undefined;
    this.state = 'stopped';
    if (!c) return;
    // A graceful end waits for every in-flight QoS 1 message to be acknowledged; a device the
    // gateway is throttling (a flood) may have thousands queued: give up after 2 s and cut.
    let timer: NodeJS.Timeout | undefined;
    const ended = await Promise.race([
      c.endAsync().then(() => true, () => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), 2000))),
    ]);
    clearTimeout(timer);
    if (!ended) await c.endAsync(true).catch(() => undefined);
  }
}
