/**
 * Command line for the simulated CMPP ISMG: `npx tsx simulators/sms-cmpp/cli.ts --help`.
 * Prints every record as one JSON line on stdout; reads commands from stdin.
 */
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { CmppIsmgSimulator } from './ismg-simulator.js';

const HELP = `sms-cmpp: a simulated China Mobile ISMG (CMPP 2.0 / 3.0 server) for the campus-safety gateway

Usage: npx tsx simulators/sms-cmpp/cli.ts [options]

Options:
  --host <addr>             listen address (default 127.0.0.1)
  --port <n>                listen port (default 7890; 0 = any free port)
  --sp-id <id>              accepted SP_Id / Source_Addr (default 901234)
  --secret <s>              shared secret (default secret)
  --max-version <2.0|3.0>   highest version spoken; 3.0 CONNECTs to a 2.0 ISMG get Status 4 (default 3.0)
  --report-delay-ms <n>     delay before status reports (default 50)
  --service-number <n>      Dest_Id of replies from phones (default 1065710001)
  --active-test-ms <n>      send ACTIVE_TEST every n ms (default 0: never)
  --fail <n1,n2>            numbers whose reports say UNDELIV
  --throttle-rate <n>       accept at most n SUBMITs per second (Result 8 above)
  -h, --help                this text

Commands on stdin, one per line:
  reply <from> <text…>      a phone sends <text> (CMPP_DELIVER; long text with a UDH)
  report <msgId> <to> [stat] send a status report for any Msg_Id (16 hex digits)
  fail <n1,n2|-> [stat]     set (or clear with -) the numbers whose reports fail
  throttle <n>              answer the next n SUBMITs with Result 8 (flow control)
  rate <n>                  accept at most n SUBMITs per second (0 = no limit)
  refuse on|off             refuse every CONNECT (Status 5)
  hold on|off               keep status reports until 'hold off' (then send them)
  silent on|off             stop / resume answering the SP's ACTIVE_TEST
  activetest                send ACTIVE_TEST to every session now
  terminate                 end every session with CMPP_TERMINATE
  down | up                 close the listener and all connections / listen again
  messages | mode           print logical messages / the current mode
  quit                      stop and exit
`;

function out(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString(16) : v))}\n`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '7890' },
      'sp-id': { type: 'string', default: '901234' },
      secret: { type: 'string', default: 'secret' },
      'max-version': { type: 'string', default: '3.0' },
      'report-delay-ms': { type: 'string', default: '50' },
      'service-number': { type: 'string', default: '1065710001' },
      'active-test-ms': { type: 'string', default: '0' },
      fail: { type: 'string' },
      'throttle-rate': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const maxVersion = values['max-version'];
  if (maxVersion !== '2.0' && maxVersion !== '3.0') throw new Error(`--max-version must be 2.0 or 3.0, got ${maxVersion}`);
  const sim = new CmppIsmgSimulator();
  sim.onRecord((r) => out(r));
  sim.setMode({ failNumbers: values.fail ? values.fail.split(',') : [], throttleRate: Number(values['throttle-rate'] ?? 0) });
  await sim.start({
    host: values.host,
    port: Number(values.port),
    spId: values['sp-id'],
    sharedSecret: values.secret,
    maxVersion,
    reportDelayMs: Number(values['report-delay-ms']),
    serviceNumber: values['service-number'],
    activeTestMs: Number(values['active-test-ms']),
  });
  const stop = async (): Promise<void> => {
    await sim.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
  const rl = createInterface({ input: process.stdin });
  rl.on('close', () => void stop());
  for await (const line of rl) {
    const [cmd = '', ...args] = line.trim().split(/\s+/);
    // A command that fails (the port taken again on `up`, a bad Msg_Id…) is reported, never the end of the simulator.
    try {
      switch (cmd) {
        case 'reply':
          sim.reply(args[0] ?? '', args.slice(1).join(' '));
          break;
        case 'report':
          sim.sendReport(args[0] ?? '', args[1] ?? '', args[2] ?? 'DELIVRD');
          break;
        case 'fail':
          sim.setMode({ failNumbers: args[0] && args[0] !== '-' ? args[0].split(',') : [], ...(args[1] ? { failStat: args[1] } : {}) });
          break;
        case 'throttle':
          sim.setMode({ throttleNext: Number(args[0] ?? 0) });
          break;
        case 'rate':
          sim.setMode({ throttleRate: Number(args[0] ?? 0) });
          break;
        case 'refuse':
          sim.setMode({ refuseAll: args[0] === 'on' });
          break;
        case 'hold':
          if (args[0] === 'on') sim.setMode({ holdReports: true });
          else out({ released: sim.releaseReports() });
          break;
        case 'silent':
          sim.setMode({ answerActiveTest: args[0] !== 'on' });
          break;
        case 'activetest':
          out({ answered: await sim.activeTest() });
          break;
        case 'terminate':
          await sim.terminate();
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
        case 'quit':
          rl.close();
          break;
        case '':
          break;
        default:
          out({ error: `unknown command '${cmd}' (see --help)` });
      }
    } catch (err) {
      out({ error: err instanceof Error ? err.message : String(err) });
    }
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`sms-cmpp: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
