/**
 * Command line for the simulated SMSC: `npx tsx simulators/sms-centre/cli.ts --help`.
 * Prints every record as one JSON line on stdout; reads commands from stdin.
 */
import { runCommandLoop } from '../cli-loop.js';
import { parseArgs } from 'node:util';
import { SmsCentreSimulator } from './sms-centre-simulator.js';

const HELP = `sms-centre: a simulated SMSC (SMPP 3.4 server) for the campus-safety gateway

Usage: npx tsx simulators/sms-centre/cli.ts [options]

Options:
  --host <addr>             listen address (default 127.0.0.1)
  --port <n>                listen port (default 2775; 0 = any free port)
  --system-id <id>          accepted system_id (default gateway)
  --password <pw>           accepted password (default secret)
  --receipt-delay-ms <n>    delay before delivery receipts (default 50)
  --service-number <n>      number phones reply to (default 10690110)
  --fail <n1,n2>            numbers whose receipts say UNDELIV
  --throttle-rate <n>       accept at most n submits per second (ESME_RTHROTTLED above)
  --fake-receipts           send DELIVRD instantly whatever happens
  -h, --help                this text

Commands on stdin, one per line:
  reply <from> <text…>      a phone sends <text> (MO deliver_sm; long text is concatenated)
  receipt <id> <to> [stat]  send a receipt for any message id
  fail <n1,n2|->            set (or clear with -) the numbers that fail with UNDELIV
  throttle <n>              answer the next n submits with ESME_RTHROTTLED
  rate <n>                  accept at most n submits per second (0 = no limit)
  refuse on|off             refuse binds with ESME_RBINDFAIL
  fake on|off               fake instant DELIVRD receipts
  down | up                 close the listener and all connections / listen again
  messages | mode           print logical messages / the current mode
  quit                      stop and exit
`;

function out(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '2775' },
      'system-id': { type: 'string', default: 'gateway' },
      password: { type: 'string', default: 'secret' },
      'receipt-delay-ms': { type: 'string', default: '50' },
      'service-number': { type: 'string', default: '10690110' },
      fail: { type: 'string' },
      'throttle-rate': { type: 'string' },
      'fake-receipts': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const sim = new SmsCentreSimulator();
  sim.onRecord((r) => out(r));
  sim.setMode({
    failNumbers: values.fail ? values.fail.split(',') : [],
    throttleRate: Number(values['throttle-rate'] ?? 0),
    fakeInstantReceipts: values['fake-receipts'],
  });
  await sim.start({
    host: values.host,
    port: Number(values.port),
    systemId: values['system-id'],
    password: values.password,
    receiptDelayMs: Number(values['receipt-delay-ms']),
    serviceNumber: values['service-number'],
  });
  // A command that fails (the port taken again on `up`, …) is reported, never the end of the simulator.
  await runCommandLoop({
    run: async ([cmd, ...args]) => {
      switch (cmd) {
        case 'reply':
          sim.reply(args[0] ?? '', args.slice(1).join(' '));
          break;
        case 'receipt':
          sim.sendReceipt(args[0] ?? '', args[1] ?? '', args[2] ?? 'DELIVRD');
          break;
        case 'fail':
          sim.setMode({ failNumbers: args[0] && args[0] !== '-' ? args[0].split(',') : [] });
          break;
        case 'throttle':
          sim.setMode({ throttleNext: Number(args[0] ?? 0) });
          break;
        case 'rate':
          sim.setMode({ throttleRate: Number(args[0] ?? 0) });
          break;
        case 'refuse':
          sim.setMode({ refuseBinds: args[0] === 'on' });
          break;
        case 'fake':
          sim.setMode({ fakeInstantReceipts: args[0] === 'on' });
          break;
        case 'down':
          await sim.goDown();
          break;
        case 'up':
          await sim.comeUp();
          break;
        case 'messages':
          out(sim.messages());
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
  process.stderr.write(`sms-centre: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
