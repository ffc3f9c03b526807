/**
 * Where each millisecond of a press goes (issue 19): the marks of the alarm path per alarm id,
 * for the last `capacity` alarms raised by a timed event (a press), oldest dropped first. The
 * marks are preciseNow() values (contract/press-timing.ts), taken where each hop happens:
 *
 *   receivedAt      the publish reached the broker (gateway/broker/broker.ts)
 *   decodedAt       the device adapter decoded it (adapters/mqtt-native)
 *   committedAt     the alarm and its 110 outbox entry were committed (AlarmService.raise)
 *   frameWrittenAt  the acknowledged attempt's DC-09 frame was handed to the 110 socket (link adapter)
 *   ackedAt         the 110 receiver's ACK arrived
 *
 * Each hop is handed to the stage listeners as it completes (GET /metrics turns them into the
 * histogram campus_gateway_press_stage_seconds); GET /api/diagnostics/press-path lists the
 * records. Only new alarms raised by a timed event are recorded: telemetry, repeats and
 * health alarms add nothing. Cost per press: one small object and a few map operations.
 */
import type { ArrivalMarks } from '../../contract/press-timing.js';

/** The hops, in order, as the histogram's `stage` label names them. */
export const PRESS_STAGES = ['receive-decode', 'decode-commit', 'commit-frame', 'frame-ack'] as const;
export type PressStage = (typeof PRESS_STAGES)[number];

export interface PressPathRecord {
  alarmId: string;
  deviceId?: string;
  /** The device event's sequence number, when it sent one. */
  seq?: number;
  receivedAt: number;
  decodedAt: number;
  committedAt: number;
  frameWrittenAt?: number;
  ackedAt?: number;
  /** Which receiver acknowledged (primary, secondary), and on which attempt. */
  receiver?: string;
  attempt?: number;
}

export type PressStageListener = (stage: PressStage, seconds: number) => void;

export class PressPathRecorder {
  /** Records by alarm id, oldest first (a Map keeps insertion order). */
  private readonly records = new Map<string, PressPathRecord>();
  private readonly listeners = new Set<PressStageListener>();

  constructor(readonly capacity = 1000) {}

  /** Hears every hop as it completes; the returned function stops it. */
  onStage(listener: PressStageListener): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /** A new alarm raised by a timed event was committed at `committedAt`. */
  committed(alarmId: string, arrival: ArrivalMarks & { deviceId?: string; seq?: number }, committedAt: number): void {
    const record: PressPathRecord = {
      alarmId,
      ...(arrival.deviceId !== undefined ? { deviceId: arrival.deviceId } : {}),
      ...(arrival.seq !== undefined ? { seq: arrival.seq } : {}),
      receivedAt: arrival.receivedAt,
      decodedAt: arrival.decodedAt,
      committedAt,
    };
    this.records.set(alarmId, record);
    if (this.records.size > this.capacity) this.records.delete(this.records.keys().next().value as string);
    this.stage('receive-decode', arrival.decodedAt - arrival.receivedAt);
    this.stage('decode-commit', committedAt - arrival.decodedAt);
  }

  /**
   * The alarm's report was acknowledged by the far end: its frame was written at `writtenAt`,
   * the ACK came at `answeredAt`. Only the first acknowledgement counts; an alarm not recorded
   * here (raised without marks, or long gone from the ring) is ignored. In cluster mode the node
   * holding the 110 link tells it for its own presses, and the alarm's `forward-acked` note
   * (which carries the marks) tells the node that took a press there.
   */
  delivered(alarmId: string, marks: { writtenAt: number; answeredAt?: number; receiver?: string; attempt?: number }): void {
    const record = this.records.get(alarmId);
    if (!record || record.frameWrittenAt !== undefined) return;
    record.frameWrittenAt = marks.writtenAt;
    if (marks.answeredAt !== undefined) record.ackedAt = marks.answeredAt;
    if (marks.receiver !== undefined) record.receiver = marks.receiver;
    if (marks.attempt !== undefined) record.attempt = marks.attempt;
    // Cluster mode: the frame may be written by another node (the lease holder), on its clock.
    this.stage('commit-frame', Math.max(0, marks.writtenAt - record.committedAt));
    if (marks.answeredAt !== undefined) this.stage('frame-ack', marks.answeredAt - marks.writtenAt);
  }

  /** The records kept, oldest first (copies). */
  recent(): PressPathRecord[] {
    return [...this.records.values()].map((r) => ({ ...r }));
  }

  private stage(stage: PressStage, ms: number): void {
    for (const listener of this.listeners) {
      try {
        listener(stage, ms / 1000);
      } catch {
        // A figure is never worth a press: a failing listener is skipped.
      }
    }
  }
}
