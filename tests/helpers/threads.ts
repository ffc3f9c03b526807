/**
 * Threads of this process by nice level (Linux: each thread is a task under /proc/self/task,
 * field 19 of its stat is its nice value), for tests of the store threads' priority.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** How many threads of this process run at `nice` now. */
export function threadsAtNice(nice: number): number {
  return readdirSync('/proc/self/task').filter((tid) => readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ')[16] === String(nice)).length;
}

/** Command lines of this process's live children (Linux: /proc/PID/stat, field 4 is the parent), zombies left out. */
export function childProcesses(): string[] {
  return readdirSync('/proc')
    .filter((pid) => /^\d+$/.test(pid))
    .flatMap((pid) => {
      try {
        const [state, ppid] = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
        if (Number(ppid) !== process.pid || state === 'Z') return [];
        return [readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim()];
      } catch {
        return []; // gone meanwhile
      }
    });
}
