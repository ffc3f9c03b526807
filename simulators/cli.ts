/**
 * npm run simulate -- [options] [command]
 * Runs the simulated district against a gateway's broker and takes commands on stdin.
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../gateway/config/load.js';
import { createLogger } from '../gateway/logger.js';
import { DistrictSimulator } from './district.js';
import { runCommandLoop } from './cli-loop.js';
import { startFarEnds } from './far-ends.js';

const HELP = `Simulated district for the campus-safety gateway

Usage: npm run simulate -- [options]

Options:
  --url <mqtt-url>        broker to connect to (default mqtt://127.0.0.1:$MQTT_PORT or 1883)
  --config <file>         configuration laid over config/default.yaml (also GATEWAY_CONFIG)
  --heartbeat <seconds>   telemetry period (default simulation.heartbeatSeconds)
  --site <id>             only this school (repeatable)
  --press <device-id>     press this button once connected, then keep running
  --far-ends <bind-host>  also run the 110 receivers and the SMS centre the configuration
                          names, bound on this host (docker compose: 0.0.0.0)
  --panel-host <host>     the gateway's host for DC-09 panels (default 127.0.0.1)
  -h, --help              this text

Commands on stdin once running:
  list                    every simulated device with its state and faults
  press <id>              press a one-touch alarm button
  cancel <id>             send a cancel from a button
  test <id>               end-to-end test press
  drop <id>               cut the connection (power loss; the broker sends the will)
  restore <id>            bring a dropped or dead device back
  fault <id> <fault> on|off   put a button in a fault: ${'sim-suspended, fault, low-battery, tamper, sim-expiring'}
  malformed <id>          publish a payload that is not JSON
  quit                    stop every device and exit

Faults seeded at start come from simulation.faults in the configuration.`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      url: { type: 'string' },
      config: { type: 'string' },
      heartbeat: { type: 'string' },
      site: { type: 'string', multiple: true },
      press: { type: 'string' },
      'far-ends': { type: 'string' },
      'panel-host': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const env = { ...process.env, ...(values.config ? { GATEWAY_CONFIG: values.config } : {}) };
  const loaded = loadConfig({ env });
  const log = createLogger({ level: process.env.LOG_LEVEL ?? 'info', name: 'simulator' });
  const url = values.url ?? `mqtt://127.0.0.1:${loaded.config.mqtt.port}`;
  const farEnds = values['far-ends'] ? await startFarEnds(loaded.config, log, { bindHost: values['far-ends'] }) : undefined;
  const sim = new DistrictSimulator({
    url,
    config: loaded.config,
    devices: loaded.devices,
    log,
    ...(values.heartbeat ? { heartbeatMs: Number(values.heartbeat) * 1000 } : {}),
    ...(values.site ? { sites: values.site } : {}),
    ...(values['panel-host'] ? { panelHost: values['panel-host'] } : {}),
  });
  await sim.start();
  if (values.press) await sim.press(values.press);
  console.log(`simulating ${sim.list().length} devices against ${url}; type 'help' for commands`);

  // Each command as it arrives; in a container (no terminal, stdin closed) the district keeps running.
  await runCommandLoop({
    concurrent: true,
    stopAtEnd: false,
    run: async (words) => {
      const out = await runCommand(sim, words);
      if (out) console.log(out);
    },
    error: (message) => console.log(`error: ${message}`),
    stop: async () => {
      await sim.stop();
      await farEnds?.stop();
    },
  });
}

/** One district command (its words); what to print, if anything. Also the cluster script's stdin commands. */
export async function runCommand(sim: DistrictSimulator, [cmd, id, arg, onoff]: string[]): Promise<string | undefined> {
  switch (cmd) {
    case 'help':
      return HELP.slice(HELP.indexOf('Commands'));
    case 'list':
      return sim.list().map((d) => `${d.id}\t${d.kind}\t${d.state}\t${d.faults.join(',')}`).join('\n');
    case 'press':
      await sim.press(need(id));
      return `pressed ${id}`;
    case 'cancel':
      await sim.button(need(id)).cancel();
      return `cancel sent by ${id}`;
    case 'test':
      await sim.button(need(id)).testPress();
      return `test press sent by ${id}`;
    case 'drop':
      sim.drop(need(id));
      return `dropped ${id}`;
    case 'restore':
      await sim.restore(need(id));
      return `restored ${id}`;
    case 'fault':
      await sim.button(need(id)).setFault(need(arg), onoff !== 'off');
      return `${id}: ${arg} ${onoff === 'off' ? 'off' : 'on'}`;
    case 'malformed':
      await sim.malformed(need(id));
      return `malformed payload sent by ${id}`;
    default:
      return `unknown command '${cmd}' (type 'help')`;
  }
}

function need(v: string | undefined): string {
  if (!v) throw new Error('missing argument');
  return v;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err: unknown) => {
    console.error((err as Error).message);
    process.exit(1);
  });
}
