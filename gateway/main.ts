/**
 * CLI entry: load the configuration, build the gateway, listen, and stop cleanly on
 * SIGINT/SIGTERM. With --simulate, the configured district runs as simulated devices in
 * the same process (what `npm start` does).
 */
import { parseArgs } from 'node:util';
import type { Logger } from 'pino';
import { DistrictSimulator } from '../simulators/district.js';
import { startFarEnds, type FarEnds } from '../simulators/far-ends.js';
import { SimulatorControl } from '../simulators/control.js';
import { build, type Gateway } from './app.js';
import { loadConfig } from './config/load.js';
import { isGatewayError } from './contract/errors.js';
import { createLogger } from './logger.js';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      simulate: { type: 'boolean', default: false },
      config: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(
      'Usage: tsx gateway/main.ts [--config site.yaml] [--simulate]\n' +
        '  --config   a YAML file laid over config/default.yaml (or GATEWAY_CONFIG)\n' +
        '  --simulate run the configured district as simulated devices too (npm start)\n' +
        'Environment: HTTP_PORT, HTTP_HOST, MQTT_PORT, MQTT_HOST, DATA_DIR, INFLUX_URL, LOG_LEVEL, LOG_FORMAT (json|pretty), FFMPEG_PATH, GATEWAY_CONFIG\n',
    );
    return;
  }
  const env = { ...process.env, ...(values.config ? { GATEWAY_CONFIG: values.config } : {}) };
  let log: Logger = createLogger({ level: 'info' });
  let gateway: Gateway | undefined;
  let sim: DistrictSimulator | undefined;
  let farEnds: FarEnds | undefined;
  let stopping = false;

  let stoppingSince = 0;
  const stop = async (signal: string) => {
    if (stopping) {
      // Ctrl-C reaches npm, tsx and node alike, and tsx relays it too: a duplicate within a
      // moment is the same request. A later one means "now".
      if (Date.now() - stoppingSince < 2000) return;
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    stoppingSince = Date.now();
    // A close that hangs (a stuck socket) must not keep a stopped gateway alive.
    setTimeout(() => {
      log.error('clean stop took over 10 s: exiting');
      process.exit(1);
    }, 10_000).unref();
    log.info({ signal }, 'stopping');
    await sim?.stop();
    await gateway?.close();
    await farEnds?.stop();
    log.info('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  try {
    let loaded = loadConfig({ env });
    // JSON lines (pino) unless LOG_FORMAT=pretty; the simulated district at a terminal (npm start)
    // is a person watching, so it reads pretty unless LOG_FORMAT says otherwise.
    const pretty = loaded.config.log.pretty || (values.simulate && !process.env.LOG_FORMAT && Boolean(process.stdout.isTTY));
    log = createLogger({ level: loaded.config.log.level, pretty });
    // The simulated 110 centre must be listening before the gateway's link starts supervising it.
    let control: SimulatorControl | undefined;
    if (values.simulate) {
      farEnds = await startFarEnds(loaded.config, log.child({ part: 'simulator' }));
      // Far ends configured on port 0 took ephemeral ports: point the adapters at them.
      if (farEnds.rebound) loaded = loadConfig({ env, overrides: farEnds.overrides });
      // The tester's /api/simulators (only with --simulate); the district is attached once it runs.
      control = new SimulatorControl({ devices: loaded.devices, farEnds });
    }
    gateway = await build(loaded, { log, ...(control ? { simulators: control } : {}) });
    const { httpPort, mqttPort } = await gateway.listen();
    log.info(
      { sources: loaded.sources, sites: loaded.sites.length, devices: loaded.devices.length, mqttPort, httpPort },
      `gateway listening: dashboard http://localhost:${httpPort}/  mqtt://localhost:${mqttPort}`,
    );
    if (values.simulate) {
      // The gateway's own DC-09 panel receiver may sit on an ephemeral port (configured 0).
      const panel = gateway.adapters.get('panel-dc09');
      const panelPort = panel && 'port' in panel && typeof panel.port === 'number' ? panel.port : undefined;
      sim = new DistrictSimulator({
        url: `mqtt://127.0.0.1:${mqttPort}`,
        config: loaded.config,
        devices: loaded.devices,
        log: log.child({ part: 'simulator' }),
        ...(panelPort ? { panelPort } : {}),
      });
      control?.attach(sim);
      let last = 0;
      await sim.start((done, total) => {
        if (done === total || done - last >= 50) {
          last = done;
          log.info(`simulated district: ${done}/${total} devices online`);
        }
      });
      log.info(`ready: open http://localhost:${httpPort}/ (Ctrl-C stops)`);
    }
  } catch (err) {
    if (isGatewayError(err)) {
      log.fatal({ code: err.code, details: err.details.length ? err.details : undefined }, err.message);
    } else {
      log.fatal({ err }, 'gateway failed to start');
    }
    await sim?.stop().catch(() => undefined);
    await gateway?.close().catch(() => undefined);
    await farEnds?.stop().catch(() => undefined);
    process.exit(1);
  }
}

void main();
