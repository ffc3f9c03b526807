/**
 * Command line for the simulated ONVIF cameras:
 *   npx tsx simulators/camera-onvif/cli.ts --cameras 130
 * prints each camera's gateway device options (JSON lines), then reads commands on stdin:
 *   fault <camera> <kind> [seconds]   restore <camera> [kind]   state <camera>   list   quit
 */
import { runCommandLoop } from '../cli-loop.js';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { CameraFleetSimulator } from './fleet.js';
import { FAULT_KINDS, type CameraFault, type CameraFaultKind } from './sim-camera.js';

const USAGE = `Simulated ONVIF cameras (device, media and event services, RTSP, snapshots).

Usage: npx tsx simulators/camera-onvif/cli.ts [options]

Options:
  --cameras <n>        number of cameras, ids cam-001… (default 1)
  --single             one camera at the root paths (/onvif/device_service, /stream1)
  --host <addr>        address to bind and advertise (default 127.0.0.1)
  --http-port <port>   ONVIF/snapshot HTTP port (default: any free port)
  --rtsp-port <port>   RTSP port (default: any free port)
  --size <WxH>         picture size (default 320x240)
  --fps <n>            frame rate (default 5)
  --username <name>    camera user (default admin)
  --password <pass>    camera password (default camera-sim)
  --site <id>          site id for the printed gateway devices (default site-sim)
  --log-level <level>  pino level (default warn)
  -h, --help           this text

Commands on stdin:
  fault <camera> <kind> [seconds]  kinds: ${FAULT_KINDS.join(', ')}
                                   (seconds: clock-skew offset, default 3600)
  restore <camera> [kind]          clear one fault, or all
  state <camera>                   show the camera's faults
  list                             list cameras
  quit                             stop and exit
`;

function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

function parseFault(kind: string, seconds: string | undefined): CameraFault | undefined {
  if (!(FAULT_KINDS as readonly string[]).includes(kind)) return undefined;
  if (kind === 'clock-skew' && seconds !== undefined) return { kind: 'clock-skew', seconds: Number(seconds) };
  return kind as CameraFaultKind;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      cameras: { type: 'string', default: '1' },
      single: { type: 'boolean', default: false },
      host: { type: 'string', default: '127.0.0.1' },
      'http-port': { type: 'string', default: '0' },
      'rtsp-port': { type: 'string', default: '0' },
      size: { type: 'string', default: '320x240' },
      fps: { type: 'string', default: '5' },
      username: { type: 'string' },
      password: { type: 'string' },
      site: { type: 'string', default: 'site-sim' },
      'log-level': { type: 'string', default: 'warn' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    out(USAGE);
    return;
  }
  const [width, height] = values.size.split('x').map(Number);
  const fleet = new CameraFleetSimulator({
    cameras: values.single ? 1 : Number(values.cameras),
    layout: values.single ? 'single' : 'fleet',
    host: values.host,
    httpPort: Number(values['http-port']),
    rtspPort: Number(values['rtsp-port']),
    width: width ?? 320,
    height: height ?? 240,
    fps: Number(values.fps),
    ...(values.username ? { username: values.username } : {}),
    ...(values.password ? { password: values.password } : {}),
    log: pino({ level: values['log-level'] }, pino.destination(2)),
  });
  await fleet.start();
  out(`# ONVIF http://${fleet.host}:${fleet.httpPort}  RTSP rtsp://${fleet.host}:${fleet.rtspPort}  (${fleet.ids().length} cameras)`);
  for (const device of fleet.devices(values.site)) out(JSON.stringify(device));

  // Runs until `quit`, the end of stdin, or a signal.
  await runCommandLoop({
    run: async ([cmd, id = '', arg, arg2]) => {
      if (cmd === 'list') out(fleet.ids().join(' '));
      else if (cmd === 'state') out(JSON.stringify(fleet.state(id)));
      else if (cmd === 'fault') {
        const fault = arg ? parseFault(arg, arg2) : undefined;
        if (!fault) out(`unknown fault; one of: ${FAULT_KINDS.join(', ')}`);
        else {
          await fleet.setFault(id, fault);
          out(`${id}: ${JSON.stringify(fleet.state(id))}`);
        }
      } else if (cmd === 'restore') {
        await fleet.restore(id, arg && (FAULT_KINDS as readonly string[]).includes(arg) ? (arg as CameraFaultKind) : undefined);
        out(`${id}: ${JSON.stringify(fleet.state(id))}`);
      } else out('commands: fault, restore, state, list, quit');
    },
    error: (message) => out(`error: ${message}`),
    stop: () => fleet.stop(),
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
