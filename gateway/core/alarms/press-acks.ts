/**
 * The person who pressed is not left wondering: a panic button hears how far its press got.
 * When the 110 centre ACKs the forwarded alarm the button gets `{"cmd":"ack","stage":
 * "110-received"}` on its `cmd` topic; when a duty officer acknowledges it, `{"cmd":"ack",
 * "stage":"officer-acknowledged","by":…}`. Each stage sent is on the alarm's timeline
 * (`ack-sent`). Only devices that take commands on their cmd topic (MQTT buttons) are told;
 * a DC-09 panel already had its protocol's ACK, and nothing more is promised to it.
 */
import type { Alarm, Device } from '../../contract/types.js';
import type { Clock } from '../../contract/clock.js';
import { deviceTopic } from '../../contract/topics.js';
import { errorMessage } from '../../contract/errors.js';

export type AckStage = '110-received' | 'officer-acknowledged';

export interface PressAckDeps {
  device(id: string): Device | undefined;
  /** Publishes to a device's cmd topic (QoS 1); rejects when the broker cannot take it. */
  publish(topic: string, payload: string): Promise<void>;
  note(alarmId: string, entry: { action: string; by: string; data: Record<string, string | number> }): Promise<unknown>;
  clock: Clock;
  warn(detail: Record<string, unknown>, msg: string): void;
}

/** Which change of an alarm is which stage (the change names AlarmService announces). */
const STAGE_OF: Readonly<Record<string, AckStage>> = { 'forward-acked': '110-received', acknowledged: 'officer-acknowledged' };

export class PressAcks {
  /** Stages already sent per alarm, so a second 110 ACK (a resend) is not a second message. */
  private readonly sent = new Map<string, Set<AckStage>>();

  constructor(private readonly d: PressAckDeps) {}

  /** Called with every alarm change this node made (not with `refreshed` copies from other nodes). */
  onChange(alarm: Alarm, change: string): void {
    if (alarm.state === 'resolved') this.sent.delete(alarm.id);
    const stage = STAGE_OF[change];
    if (!stage || alarm.type !== 'panic' || !alarm.deviceId) return;
    const device = this.d.device(alarm.deviceId);
    if (!device || device.kind !== 'alarm-button' || device.adapter !== 'mqtt-native') return;
    const done = this.sent.get(alarm.id) ?? new Set<AckStage>();
    if (done.has(stage)) return;
    done.add(stage);
    this.sent.set(alarm.id, done);
    const by = stage === 'officer-acknowledged' ? [...alarm.timeline].reverse().find((e) => e.action === 'acknowledged')?.by : undefined;
    void this.send(alarm, device, stage, by);
  }

  private async send(alarm: Alarm, device: Device, stage: AckStage, by: string | undefined): Promise<void> {
    const topic = deviceTopic(device.siteId, device.id, 'cmd');
    const at = this.d.clock.now();
    const payload = JSON.stringify({ cmd: 'ack', stage, alarmId: alarm.id, at, ...(by !== undefined ? { by } : {}) });
    try {
      await this.d.publish(topic, payload);
      await this.d.note(alarm.id, { action: 'ack-sent', by: 'system', data: { stage, topic, ...(by !== undefined ? { to: device.id, officer: by } : { to: device.id }) } });
    } catch (err) {
      this.d.warn({ err: errorMessage(err), alarmId: alarm.id, stage }, 'press acknowledgement not sent to the button');
    }
  }
}
