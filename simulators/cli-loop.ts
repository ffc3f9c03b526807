/**
 * The loop every simulator's command line runs: commands on stdin, one per line; a command
 * that fails is reported as an error line and the simulator keeps running; `quit` or `exit`,
 * SIGINT or SIGTERM (and, unless told otherwise, the end of stdin) stop it, once.
 */
import { createInterface } from 'node:readline';

export interface CommandLoop {
  /** Runs one command, its words split on whitespace (never empty). */
  run(words: [string, ...string[]]): Promise<void> | void;
  /** Reports a failed command in the simulator's own output format (a JSON line, a text line). */
  error(message: string): void;
  /** Stops the simulator; the process exits after it. */
  stop(): Promise<void>;
  /** One command at a time, in order (default), or each as it arrives (a slow one does not hold up the next). */
  concurrent?: boolean;
  /** Whether the end of stdin stops the simulator (default true; false keeps it running detached from a terminal). */
  stopAtEnd?: boolean;
  input?: NodeJS.ReadableStream;
}

export async function runCommandLoop(loop: CommandLoop): Promise<void> {
  const rl = createInterface({ input: loop.input ?? process.stdin, terminal: false });
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      rl.close();
      await loop.stop();
      process.exit(0);
    })();
    return stopping;
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
  const handle = async (line: string) => {
    const words = line.trim().split(/\s+/).filter(Boolean);
    const [cmd] = words;
    if (cmd === undefined) return;
    if (cmd === 'quit' || cmd === 'exit') return stop();
    try {
      await loop.run(words as [string, ...string[]]);
    } catch (err) {
      loop.error(err instanceof Error ? err.message : String(err));
    }
  };
  if (loop.concurrent) {
    rl.on('line', (line) => void handle(line));
    await new Promise<void>((resolve) => rl.once('close', resolve));
  } else {
    for await (const line of rl) await handle(line);
  }
  if (loop.stopAtEnd ?? true) await stop();
}
