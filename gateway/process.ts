/**
 * The process around a running gateway (STYLE: process concerns live in the entries, not in
 * build()): stop cleanly on SIGINT/SIGTERM, parts in the reverse order they were started; a
 * second signal within a moment is the same request (Ctrl-C reaches npm, tsx and node alike),
 * a later one means "now"; a stop that hangs ends the process after 10 s; a failed start is
 * one fatal line (the code and every `path: message` of a coded error) and exit 1.
 * Used by the production entry (main.ts) and the dev entry (simulators/dev.ts).
 */
import type { Logger } from 'pino';
import { isGatewayError } from './contract/errors.js';
import { createLogger } from './logger.js';

export interface Stoppable {
  stop(): Promise<void>;
}

export interface ProcessRun {
  /** The process's logger; an entry replaces it once the configuration says how to log. */
  log: Logger;
  /** Registers a part to stop (on a signal or a failed start); stopped last-first. */
  started(part: Stoppable): void;
}

const STOP_DEADLINE_MS = 10_000;
const SAME_SIGNAL_MS = 2000;

export async function runProcess(start: (run: ProcessRun) => Promise<void>): Promise<void> {
  const parts: Stoppable[] = [];
  const run: ProcessRun = { log: createLogger({ level: 'info' }), started: (p) => void parts.push(p) };
  const stopAll = async (quiet: boolean) => {
    for (const p of [...parts].reverse()) {
      await p.stop().catch((err: unknown) => {
        if (!quiet) run.log.error({ err }, 'stop failed');
      });
    }
  };
  let stoppingSince: number | undefined;
  const stop = async (signal: string) => {
    if (stoppingSince !== undefined) {
      if (Date.now() - stoppingSince < SAME_SIGNAL_MS) return;
      run.log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stoppingSince = Date.now();
    // A close that hangs (a stuck socket) must not keep a stopped gateway alive.
    setTimeout(() => {
      run.log.error('clean stop took over 10 s: exiting');
      process.exit(1);
    }, STOP_DEADLINE_MS).unref();
    run.log.info({ signal }, 'stopping');
    await stopAll(false);
    run.log.info('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  try {
    await start(run);
  } catch (err) {
    if (isGatewayError(err)) run.log.fatal({ code: err.code, details: err.details.length ? err.details : undefined }, err.message);
    else run.log.fatal({ err }, 'gateway failed to start');
    await stopAll(true);
    process.exit(1);
  }
}
