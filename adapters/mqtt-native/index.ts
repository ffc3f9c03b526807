/**
 * mqtt-native: devices that speak the gateway's own v1 topics to its embedded broker.
 * Subscribes inside the broker; each message is validated against the device kind's schema
 * and handed to the core before the broker acknowledges it.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { Adapter, AdapterContext, AdapterFactory } from '../../gateway/contract/adapter.js';
import { isUncommitted } from '../../gateway/contract/errors.js';
import { preciseNow } from '../../gateway/contract/press-timing.js';
import { DEVICE_LEAVES, parseDeviceTopic, TOPIC_ROOT } from '../../gateway/contract/topics.js';
import { decodePayload } from './codec.js';

export const MqttNativeConfigSchema = Type.Object(
  {
    maxPayloadBytes: Type.Integer({ minimum: 64, default: 16384 }),
  },
  { additionalProperties: false },
);
export type MqttNativeConfig = Static<typeof MqttNativeConfigSchema>;

class MqttNativeAdapter implements Adapter {
  private unsubscribers: (() => Promise<void>)[] = [];

  constructor(
    private readonly config: MqttNativeConfig,
    private readonly ctx: AdapterContext,
  ) {}

  async start(): Promise<void> {
    for (const leaf of DEVICE_LEAVES) {
      this.unsubscribers.push(await this.ctx.bus.subscribe(`${TOPIC_ROOT}/+/+/${leaf}`, (topic, payload, receivedAt) => this.onMessage(topic, payload, receivedAt)));
    }
  }

  async stop(): Promise<void> {
    const subs = this.unsubscribers;
    this.unsubscribers = [];
    await Promise.all(subs.map((u) => u()));
  }

  /**
   * A device's publish, before the broker acknowledges it: undefined once handled (a reading, a
   * refused payload), else a promise that settles when the event is committed. Not async: a
   * reading costs no promise (the broker acknowledges it in the same turn, reading-slices.ts).
   */
  private onMessage(topic: string, payload: Buffer, receivedAt: number | undefined): Promise<void> | undefined {
    const parsed = parseDeviceTopic(topic);
    if (!parsed) return undefined;
    const device = this.ctx.devices.get(parsed.deviceId);
    // Other adapters own devices on the same broker (the radio box): theirs to read, and theirs
    // to refuse (at any site: the radio adapter counts a wrong site itself, so one message is
    // never counted twice).
    if (device && device.adapter !== 'mqtt-native') return undefined;
    if (!device || device.siteId !== parsed.siteId) {
      this.ctx.reject('unknown-device', `no mqtt-native device ${parsed.siteId}/${parsed.deviceId}`, parsed.deviceId);
      return undefined;
    }
    const result = decodePayload(device.id, device.kind, parsed.leaf, payload, { maxBytes: this.config.maxPayloadBytes });
    if (!result.ok) {
      this.ctx.reject(`payload-${result.reason}`, `${parsed.leaf}: ${result.detail}`, device.id);
      return undefined;
    }
    // A discrete event (a press) carries its arrival marks for the alarm path's timing; a
    // reading or a status report carries none (press-timing.ts).
    const arrival = receivedAt !== undefined && parsed.leaf === 'event' ? { receivedAt, decodedAt: preciseNow() } : undefined;
    try {
      const r = this.ctx.emitNow ? this.ctx.emitNow(result.event, arrival) : this.ctx.emit(result.event, arrival);
      return r?.catch((err: unknown) => this.refused(err, device.id));
    } catch (err) {
      return this.refused(err, device.id);
    }
  }

  /** An event the core did not take: counted as refused, unless it was not committed (then no PUBACK, the device resends it). */
  private refused(err: unknown, deviceId: string): undefined {
    if (isUncommitted(err)) throw err;
    this.ctx.reject('refused-by-core', (err as Error).message, deviceId);
    return undefined;
  }
}

export const mqttNativeAdapter: AdapterFactory<MqttNativeConfig> = {
  type: 'mqtt-native',
  description: 'Devices speaking the v1 MQTT topics (campus/v1/{site}/{device}/event|telemetry|status) to the embedded broker',
  kinds: ['alarm-button', 'barrier', 'camera', 'radio'],
  availability: 'passive',
  cluster: 'every-node',
  configSchema: MqttNativeConfigSchema,
  create: (config, ctx) => new MqttNativeAdapter(config, ctx),
};
