/**
 * The lean load client (bench/lib/lean-load.ts) as a worker process, speaking the client
 * workers' IPC protocol (bench/lib/worker-protocol.ts): `connect` connects the devices
 * [from, to) and then offers (to − from) × 1000 ÷ heartbeatMs messages/s over them, `stats`
 * and `disconnect` as bench/client-worker.ts. Exits when its parent goes away.
 */
import { LeanLoad } from './lib/lean-load.js';
import type { WorkerCommand, WorkerMessage } from './lib/worker-protocol.js';

/** Unacknowledged publishes per connection unless the command says otherwise. */
const DEFAULT_WINDOW = 16;

function main(): void {
  const send = (m: WorkerMessage) => process.send?.(m);
  if (!process.send) {
    process.stderr.write('lean-client: run by a benchmark (needs an IPC channel)\n');
    process.exit(2);
  }
  let load: LeanLoad | undefined;
  const onCommand = async (c: WorkerCommand): Promise<void> => {
    if (c.cmd === 'connect') {
      if (load) await load.close(0);
      load = new LeanLoad({
        url: c.url,
        from: c.from,
        to: c.to,
        perSite: c.perSite,
        ratePerSecond: ((c.to - c.from) * 1000) / c.heartbeatMs,
        window: c.window ?? DEFAULT_WINDOW,
        batch: c.batch ?? 1,
        inflight: c.inflight,
        connectTimeoutMs: c.connectTimeoutMs,
        keepaliveSeconds: c.keepaliveSeconds,
      });
      const { connectMs, errors } = await load.connect();
      load.start();
      send({ type: 'connect-done', stats: { ...load.stats }, connectMs, errors });
    } else if (c.cmd === 'stats') {
      const stats = load ? { ...load.stats } : { connected: 0, failed: 0, dropped: 0, telemetryAcked: 0, telemetryFailed: 0, devicesWithRound: 0 };
      send({ type: 'stats', stats, ...(c.latencies ? { pubackMs: load?.takeLatencies() ?? [] } : {}) });
    } else if (c.cmd === 'disconnect') {
      await load?.close(c.drainMs ?? 10_000);
      send({ type: 'disconnected' });
    }
  };
  process.on('message', (m: WorkerCommand) => {
    onCommand(m).catch((err: unknown) => {
      process.stderr.write(`lean-client: ${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    });
  });
  // The benchmark is gone (finished, killed, Ctrl-C): nothing of ours may stay behind.
  process.on('disconnect', () => process.exit(0));
}

main();
