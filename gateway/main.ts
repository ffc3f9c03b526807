/**
 * The production CLI entry: load the configuration, build the gateway, listen, stop cleanly on
 * SIGINT/SIGTERM and reload the TLS certificates on SIGHUP (gateway/process.ts).
 *
 * With --simulate it hands over to the dev entry (simulators/dev.ts: far ends, gateway,
 * simulated district, simulator control), loaded at run time from beside this build: the
 * gateway never imports a simulator, and a build without simulators says so in one line.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from './app.js';
import { loadConfig } from './config/load.js';
import { createLogger } from './logger.js';
import { runProcess } from './process.js';

/** What the dev entry offers the --simulate hand-over. */
export interface DevEntry {
  runDev(argv: string[]): Promise<void>;
}

const USAGE =
  'Usage: tsx gateway/main.ts [--config site.yaml] [--simulate]   (compiled: node dist/gateway/main.js …)\n' +
  '  --config   a YAML file laid over config/default.yaml (or GATEWAY_CONFIG)\n' +
  '  --simulate run the configured district as simulated devices too (npm start; needs the simulators)\n' +
  'Environment: HTTP_PORT, HTTP_HOST, MQTT_PORT, MQTT_HOST, DATA_DIR, INFLUX_URL, LOG_LEVEL, LOG_FORMAT (json|pretty), FFMPEG_PATH, GATEWAY_CONFIG\n';

/** The dev entry beside this file: simulators/dev.ts from sources (tsx), dev.js from a build. */
function devEntryUrl(): URL {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`../simulators/dev${ext}`, import.meta.url);
}

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      simulate: { type: 'boolean', default: false },
      config: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (values.simulate) {
    const url = devEntryUrl();
    if (!existsSync(fileURLToPath(url))) {
      process.stderr.write('--simulate needs the simulators, which this build does not include\n');
      process.exit(1);
    }
    const dev = (await import(url.href)) as DevEntry;
    await dev.runDev(argv);
    return;
  }
  const env = { ...process.env, ...(values.config ? { GATEWAY_CONFIG: values.config } : {}) };
  await runProcess(async (run) => {
    const loaded = loadConfig({ env });
    // JSON lines (pino) unless LOG_FORMAT=pretty.
    run.log = createLogger({ level: loaded.config.log.level, pretty: loaded.config.log.pretty });
    const gateway = await build(loaded, { log: run.log });
    run.started({ stop: () => gateway.close() });
    // SIGHUP: new certificates from the configured files, connections kept (gateway/process.ts).
    run.onReload(() => gateway.reloadCertificates());
    const { httpPort, mqttPort, mqttTlsPort, https } = await gateway.listen();
    run.log.info(
      { sources: loaded.sources, sites: loaded.sites.length, devices: loaded.devices.length, mqttPort, httpPort, https, ...(mqttTlsPort !== undefined ? { mqttTlsPort } : {}) },
      `gateway listening: dashboard ${https ? 'https' : 'http'}://localhost:${httpPort}/  mqtt://localhost:${mqttPort}`,
    );
  });
}

void main(process.argv.slice(2));
