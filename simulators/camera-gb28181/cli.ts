/**
 * A simulated GB/T 28181 NVR from the command line, against any platform:
 *
 *   npx tsx simulators/camera-gb28181/cli.ts --server 127.0.0.1:15060 --id 34020000001180000600 \
 *     --password demo-pass-gb-06 --channels 4 [--transport udp|tcp] [--keepalive 60]
 *
 * Commands on stdin: status, register, unregister, fault <wrong-password|silent|refuse-invite|
 * clock-skew> on|off, channel <n|id> on|off, alarm <n|id> <method> <type>, quit.
 */
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { findFfmpeg } from '../../adapters/shared/ffmpeg-binary.js';
import { GB_NVR_FAULTS, GbNvrSimulator, type GbNvrFault } from './nvr-simulator.js';

const HELP = `Simulated GB/T 28181 NVR

Options:
  --server <host:port>   the platform's SIP address (default 127.0.0.1:5060)
  --server-id <id>       the platform's id (default 34020000002000000001)
  --id <id>              the NVR's 20-digit id (default 34020000001180000001)
  --password <p>         digest password
  --channels <n>         channels (ids: the NVR's centre code, type 131, serial 1..n)
  --transport udp|tcp    SIP transport (default udp)
  --keepalive <s>        keepalive period in seconds (default 60)
  --expires <s>          registration Expires (default 3600)

Commands: status | register | unregister | fault <${GB_NVR_FAULTS.join('|')}> on|off |
          channel <n|id> on|off | alarm <n|id> <method> <type> | quit`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      server: { type: 'string', default: '127.0.0.1:5060' },
      'server-id': { type: 'string', default: '34020000002000000001' },
      id: { type: 'string', default: '34020000001180000001' },
      password: { type: 'string', default: '' },
      channels: { type: 'string', default: '4' },
      transport: { type: 'string', default: 'udp' },
      keepalive: { type: 'string', default: '60' },
      expires: { type: 'string', default: '3600' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  const [host, port] = values.server.split(':');
  const id = values.id;
  const channels = Array.from({ length: Number(values.channels) }, (_, i) => ({ id: `${id.slice(0, 10)}131${String(i + 1).padStart(7, '0')}`, name: `通道 ${i + 1}` }));
  const ffmpegPath = findFfmpeg()?.path;
  const sim = new GbNvrSimulator({
    id,
    channels,
    server: { host: host ?? '127.0.0.1', port: Number(port ?? 5060), id: values['server-id'] },
    password: values.password,
    transport: values.transport === 'tcp' ? 'tcp' : 'udp',
    keepaliveMs: Number(values.keepalive) * 1000,
    expiresSeconds: Number(values.expires),
    ...(ffmpegPath ? { ffmpegPath } : {}),
  });
  const out = (line: string) => process.stdout.write(`${line}\n`);
  out(`REGISTER: ${await sim.start()}`);
  const channel = (x: string | undefined) => (x && /^\d{1,3}$/.test(x) ? channels[Number(x) - 1]?.id : x) ?? '';
  const stop = async () => {
    await sim.stop({ unregister: true });
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
  const rl = createInterface({ input: process.stdin, terminal: false });
  for await (const line of rl) {
    const [cmd, a, b, c] = line.trim().split(/\s+/);
    try {
      if (!cmd) continue;
      if (cmd === 'quit' || cmd === 'exit') return stop();
      if (cmd === 'status') out(JSON.stringify({ registered: sim.registered, lastRegister: sim.lastRegisterStatus, keepalives: sim.keepalivesSent, faults: sim.activeFaults(), channels: sim.channelStates(), streams: sim.streaming() }));
      else if (cmd === 'register') out(`REGISTER: ${await sim.register()}`);
      else if (cmd === 'unregister') out(`REGISTER (Expires: 0): ${await sim.register(0)}`);
      else if (cmd === 'fault' && GB_NVR_FAULTS.includes(a as GbNvrFault)) {
        sim.setFault(a as GbNvrFault, b !== 'off');
        out(`${a} ${b === 'off' ? 'off' : 'on'}`);
      } else if (cmd === 'channel') {
        await sim.setChannel(channel(a), b !== 'off');
        out(`channel ${channel(a)} ${b === 'off' ? 'off' : 'on'}`);
      } else if (cmd === 'alarm') out(`alarm: ${await sim.alarm(channel(a), { method: Number(b ?? 5), type: Number(c ?? 2) })}`);
      else out(`error: unknown command '${cmd}'`);
    } catch (err) {
      out(`error: ${(err as Error).message}`);
    }
  }
  await stop();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err: unknown) => {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(1);
  });
}
