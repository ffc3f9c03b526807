/**
 * A store thread (the embedded store's writer, InfluxDB's sender) yields the CPU to the event
 * loop that handles alarms: on Linux a thread is a task of its own (/proc/thread-self names its
 * id) and takes a lower priority without any privilege. Elsewhere (no /proc) the thread keeps
 * the process's priority.
 */
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';

/**
 * The store threads' nice level (Linux): below the event loop, which wins 3 to 1 when both want
 * a core (CFS weights 1024 and 335), but not so far below that a thread starves. It was 10
 * (weight 110): with the benchmark's clients and V8's GC threads busy on the two cores, the
 * embedded store's writer got too little CPU, the store's admission filled, readings waited in
 * the heap, young-generation collections grew (9-10 MB surviving each) and ingest collapsed:
 * 36,000 readings/s offered gave 25,403-28,990/s acknowledged (PUBACK p99 686-842 ms). At 5 (and
 * at 0) the same level is sustained: 35,597/s, PUBACK p99 239 ms, and the gateway used less CPU
 * (125 % of a core against 131-133 %). press-110 at 10,000 devices at 5: p99 6.3 and 8.9 ms.
 */
export const STORE_THREAD_NICE = 5;

/** Sets the calling thread's nice level to STORE_THREAD_NICE (Linux); a no-op where threads cannot be told apart. */
export function lowerThreadPriority(): void {
  try {
    setPriority(Number(readlinkSync('/proc/thread-self').split('/').pop()), STORE_THREAD_NICE);
  } catch {
    // Not Linux, or no /proc: the same priority as the event loop.
  }
}
