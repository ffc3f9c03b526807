/**
 * The gateway as its own process for benchmarks: exactly what gateway/main.ts builds
 * (loadConfig → build → listen), but from one complete configuration file instead of
 * config/default.yaml + GATEWAY_CONFIG. An overlay cannot replace the district here: objects
 * merge key by key, so default.yaml's `simulation.faults` (naming the demo devices) survives
 * and fails validation once `sites` is replaced. Speaks bench/lib/broker-control.ts on stdio.
 *
 * Environment: BENCH_GATEWAY_CONFIG (required), plus the gateway's own (MQTT_PORT, DATA_DIR…).
 */
import { build } from '../gateway/app.js';
import { loadConfig } from '../gateway/config/load.js';
import { createLogger } from '../gateway/logger.js';
import { serveControl } from './lib/broker-control.js';

async function main(): Promise<void> {
  const file = process.env.BENCH_GATEWAY_CONFIG;
  if (!file) throw new Error('BENCH_ERR_CONFIG: BENCH_GATEWAY_CONFIG is not set');
  const loaded = loadConfig({ files: [file] });
  const log = createLogger({ level: loaded.config.log.level });
  const gateway = await build(loaded, { log });
  const { httpPort, mqttPort } = await gateway.listen();
  serveControl({ ready: { mqttPort, httpPort, devices: loaded.devices.length }, close: () => gateway.close() });
}

main().catch((err: unknown) => {
  process.stderr.write(`gateway-entry: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
