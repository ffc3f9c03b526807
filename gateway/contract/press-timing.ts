/**
 * Timing marks along the alarm path (issue 19): where the milliseconds of a press go, from the
 * publish reaching the broker to the 110 centre's ACK. A mark is `preciseNow()`: wall-clock ms
 * with µs precision (performance.timeOrigin + performance.now()), so marks taken in different
 * processes on one machine (a benchmark's device and receiver, the gateway) can be compared.
 * Within one process the marks never go backwards (performance.now() is monotonic).
 *
 * The marks are taken where each hop happens (the broker, the device adapter, the alarm
 * service, the forwarding link) and kept by the core's PressPathRecorder
 * (gateway/core/alarms/press-path.ts) per alarm id. Telemetry carries at most one number
 * (the broker's mark) and never reaches the recorder.
 */
import { performance } from 'node:perf_hooks';

/** Wall-clock milliseconds with µs precision (comparable across processes on one machine). */
export function preciseNow(): number {
  return performance.timeOrigin + performance.now();
}

/** When a device's message reached the gateway's broker, and when its adapter had decoded it (preciseNow()). */
export interface ArrivalMarks {
  receivedAt: number;
  decodedAt: number;
}
