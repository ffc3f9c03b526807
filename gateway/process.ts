/**
 * The process around a running gateway (STYLE: process concerns live in the entries, not in
 * build()): stop cleanly on SIGINT/SIGTERM, parts in the reverse order they were started; a
 * second signal within a moment is the same request (Ctrl-C reaches npm, tsx and node alike),
 * a later one means "now"; a stop that hangs ends the process after 10 s; a failed start is
 * one fatal line (the code and every `path: message` of a coded error) and exit 1. SIGHUP
 * reloads what registered for it (the TLS certificates) without stopping anything; a reload
 * that fails is a log line, the gateway keeps running with what it had.
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
  /** Registers what SIGHUP reloads (gateway.reloadCertificates); reloads run one after another. */
  onReload(reload: () => Promise<unknown>): void;
}

const STOP_DEADLINE_MS = 10_000;
const SAME_SIGNAL_MS = 2000;

export async function runProcess(start: (run: ProcessRun) => Promise<void>): Promise<void> {
  const parts: Stoppable[] = [];
  const reloads: (() => Promise<unknown>)[] = [];
  const run: ProcessRun = { log: createLogger({ level: 'info' }), started: (p) => void parts.push(p), onReload: (r) => void reloads.push(r) };
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
  // One reload at a time: a second SIGHUP during a reload runs after it (and reads the files again).
  let reloading = Promise.resolve();
  const reload = () => {
    reloading = reloading.then(async () => {
      if (stoppingSince !== undefined) return;
      run.log.info({ signal: 'SIGHUP', parts: reloads.length }, 'reloading');
      for (const r of reloads) {
        await r().catch((err: unknown) => {
          if (isGatewayError(err)) run.log.warn({ code: err.code }, `reload failed: what could not be reloaded runs on as before: ${err.message}`);
          else run.log.warn({ err }, 'reload failed: what could not be reloaded runs on as before');
        });
      }
    });
  };
  // Without a listener Node's default for SIGHUP ends the process: a hangup is a reload here.
  process.on('SIGHUP', reload);
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
