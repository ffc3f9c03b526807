/**
 * A store thread yields the CPU to the event loop that handles alarms: on Linux a thread is a
 * task of its own (/proc/thread-self names its id) and takes a lower priority without any
 * privilege. Elsewhere (no /proc) the thread keeps the process's priority.
 */
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';

/** Sets the calling thread's nice level (Linux); a no-op where threads cannot be told apart. */
export function lowerThreadPriority(nice: number): void {
  try {
    setPriority(Number(readlinkSync('/proc/thread-self').split('/').pop()), nice);
  } catch {
    // Not Linux, or no /proc: the same priority as the event loop.
  }
}
