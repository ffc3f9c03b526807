/**
 * Threads of this process by nice level (Linux: each thread is a task under /proc/self/task,
 * field 19 of its stat is its nice value), for tests of the store threads' priority.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** How many threads of this process run at `nice` now. */
export function threadsAtNice(nice: number): number {
  return readdirSync('/proc/self/task').filter((tid) => readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ')[16] === String(nice)).length;
}
