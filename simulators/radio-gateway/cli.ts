/**
 * Command line for the simulated radio dispatch gateway:
 * `npx tsx simulators/radio-gateway/cli.ts --help`. Prints every record as one JSON line on
 * stdout; reads commands from stdin.
 */
import { runCommandLoop } from '../cli-loop.js';
import { parseArgs } from 'node:util';
import { demoSecret } from '../demo-secret.js';
import { RadioGatewaySimulator } from './radio-gateway-simulator.js';

const HELP = `radio-gateway: a simulated radio dispatch gateway (对讲调度网关) for the campus-safety gateway

Connects to the gateway's MQTT broker as a device of kind 'radio' (username = device id,
password = its secret), heartbeats, announces broadcasts once per talkgroup and acks them.

Usage: npx tsx simulators/radio-gateway/cli.ts [options]

Options:
  --url <mqtt-url>          broker (default mqtt://127.0.0.1:1883)
  --device-id <id>          radio gateway device id (default radio-01)
  --site-id <id>            its site id (default police-station)
  --password <secret>       its MQTT password (default demo-pass-<device-id>)
  --talkgroups <a,b>        talkgroups it carries; others fail with unknown-talkgroup (default: all)
  --heartbeat-ms <n>        heartbeat period (default 30000)
  --ack-delay-ms <n>        delay before each tx-ack (default 20)
  --fail <a,b>              talkgroups whose transmissions fail (channel-busy)
  --units <u1,u2>           units that confirm every roll-call broadcast
  -h, --help                this text

Commands on stdin, one per line:
  call <talkgroup> <unit>   a school handset places an emergency call
  cancel <talkgroup> <unit> the handset cancels its emergency
  rollcall <ref> <unit>     a unit confirms broadcast <ref>
  silent on|off             hang (no heartbeat, ack or pong) / recover
  fail <a,b|->              set (or clear with -) the failing talkgroups
  radio up|down             the radio link reported in heartbeats
  lose-acks <n>             announce but lose the next n acks
  delay <ms>                ack delay
  units <u1,u2|->           roll-call units
  drop | restore            cut the connection (the broker sends the will) / connect again
  list | mode               print unique announcements / the current mode
  quit                      stop and exit
`;

function out(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

const list = (v: string | undefined): string[] => (v && v !== '-' ? v.split(',').filter(Boolean) : []);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      url: { type: 'string', default: 'mqtt://127.0.0.1:1883' },
      'device-id': { type: 'string', default: 'radio-01' },
      'site-id': { type: 'string', default: 'police-station' },
      password: { type: 'string' },
      talkgroups: { type: 'string' },
      'heartbeat-ms': { type: 'string', default: '30000' },
      'ack-delay-ms': { type: 'string', default: '20' },
      fail: { type: 'string' },
      units: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const deviceId = values['device-id'];
  const sim = new RadioGatewaySimulator();
  sim.onRecord((r) => out(r));
  sim.setMode({ ackDelayMs: Number(values['ack-delay-ms']), failTalkgroups: list(values.fail), rollCallUnits: list(values.units) });
  await sim.start({
    url: values.url,
    deviceId,
    siteId: values['site-id'],
    password: values.password ?? demoSecret(deviceId),
    talkgroups: list(values.talkgroups),
    heartbeatMs: Number(values['heartbeat-ms']),
  });
  await runCommandLoop({
    run: async ([cmd, a, b]) => {
      switch (cmd) {
        case 'call':
          await sim.emergencyCall(a ?? '', b ?? '');
          break;
        case 'cancel':
          await sim.emergencyCancel(a ?? '', b ?? '');
          break;
        case 'rollcall':
          await sim.rollCall(a ?? '', b ?? '');
          break;
        case 'silent':
          sim.setMode({ silent: a === 'on' });
          break;
        case 'fail':
          sim.setMode({ failTalkgroups: list(a) });
          break;
        case 'radio':
          sim.setMode({ radioLink: a === 'down' ? 'down' : 'up' });
          break;
        case 'lose-acks':
          sim.setMode({ loseAcks: Number(a ?? 0) });
          break;
        case 'delay':
          sim.setMode({ ackDelayMs: Number(a ?? 0) });
          break;
        case 'units':
          sim.setMode({ rollCallUnits: list(a) });
          break;
        case 'drop':
          sim.drop();
          break;
        case 'restore':
          await sim.restore();
          break;
        case 'list':
          out(sim.transmissions());
          break;
        case 'mode':
          out(sim.mode());
          break;
        default:
          out({ error: `unknown command '${cmd}' (see --help)` });
      }
    },
    error: (message) => out({ error: message }),
    stop: () => sim.stop(),
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`radio-gateway: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
