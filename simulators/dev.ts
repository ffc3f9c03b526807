/**
 * The dev entry (`npm start`, or `gateway/main.ts --simulate`, which loads this file at run
 * time): the far ends the configuration points at (110 receivers, SMS centre, Modbus
 * controllers, camera fleet), the gateway through its public build() with the simulator
 * control plugged into its port (/api/simulators), then the simulated district against it.
 * Simulators drive the gateway; the gateway never imports them.
 *
 *   tsx simulators/dev.ts [--config site.yaml]
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from '../gateway/app.js';
import { loadConfig } from '../gateway/config/load.js';
import { createLogger } from '../gateway/logger.js';
import { runProcess } from '../gateway/process.js';
import { SimulatorControl } from './control.js';
import { DistrictSimulator } from './district.js';
import { startFarEnds } from './far-ends.js';

export async function runDev(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      // Accepted so `gateway/main.ts --simulate …` can hand its arguments over as they are.
      simulate: { type: 'boolean', default: true },
      config: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write('Usage: tsx simulators/dev.ts [--config site.yaml]\n  the gateway with its simulated district and far ends (npm start)\n');
    return;
  }
  const env = { ...process.env, ...(values.config ? { GATEWAY_CONFIG: values.config } : {}) };
  await runProcess(async (run) => {
    let loaded = loadConfig({ env });
    // A person watching a terminal reads pretty lines unless LOG_FORMAT says otherwise.
    run.log = createLogger({ level: loaded.config.log.level, pretty: loaded.config.log.pretty || (!process.env.LOG_FORMAT && Boolean(process.stdout.isTTY)) });
    const log = run.log;
    // The simulated 110 centre must be listening before the gateway's link starts supervising it.
    const farEnds = await startFarEnds(loaded.config, log.child({ part: 'simulator' }));
    run.started(farEnds);
    // Far ends configured on port 0 took ephemeral ports: point the adapters at them.
    if (farEnds.rebound) loaded = loadConfig({ env, overrides: farEnds.overrides });
    // The tester's /api/simulators; the district is attached once it runs.
    const control = new SimulatorControl({ devices: loaded.devices, simulators: farEnds.simulators });
    const gateway = await build(loaded, { log, simulators: control });
    run.started({ stop: () => gateway.close() });
    run.onReload(() => gateway.reloadCertificates());
    const { httpPort, mqttPort, https } = await gateway.listen();
    log.info(
      { sources: loaded.sources, sites: loaded.sites.length, devices: loaded.devices.length, mqttPort, httpPort, https },
      `gateway listening: dashboard ${https ? 'https' : 'http'}://localhost:${httpPort}/  mqtt://localhost:${mqttPort}`,
    );
    // The gateway's own DC-09 panel receiver may sit on an ephemeral port (configured 0).
    const panel = gateway.adapters.get('panel-dc09');
    const panelPort = panel && 'port' in panel && typeof panel.port === 'number' ? panel.port : undefined;
    // So may its GB/T 28181 SIP server.
    const gb = gateway.adapters.get('camera-gb28181');
    const gbPort = gb && 'port' in gb && typeof gb.port === 'number' ? gb.port : undefined;
    const sim = new DistrictSimulator({
      url: `mqtt://127.0.0.1:${mqttPort}`,
      config: loaded.config,
      devices: loaded.devices,
      log: log.child({ part: 'simulator' }),
      ...(panelPort ? { panelPort } : {}),
      ...(gbPort ? { gbPort } : {}),
    });
    run.started(sim);
    control.attach(sim);
    let last = 0;
    await sim.start((done, total) => {
      if (done === total || done - last >= 50) {
        last = done;
        log.info(`simulated district: ${done}/${total} devices online`);
      }
    });
    log.info(`ready: open http://localhost:${httpPort}/ (Ctrl-C stops)`);
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await runDev(process.argv.slice(2));
