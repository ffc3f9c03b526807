/**
 * Command-line barrier controller simulator: `tsx simulators/barrier-modbus/cli.ts --help`.
 * Prints one JSON line per event/answer on stdout; takes scenario commands on stdin.
 */
import { parseArgs } from 'node:util';
import pino from 'pino';
import { BarrierControllerSimulator } from './simulator.js';
import { SIM_FAULTS, type SimFault } from './register-map.js';
import { runCommandLoop } from '../cli-loop.js';

const USAGE = `Simulated anti-collision barrier controller (Modbus TCP, register map "sim-rb1",
see adapters/barrier-modbus/README.md).

Usage: tsx simulators/barrier-modbus/cli.ts [options]

Options:
  --host <addr>        address to listen on (default 127.0.0.1)
  --port <n>           TCP port; 0 picks a free one, printed on start (default 1502)
  --units <list>       unit ids served, comma separated (default 1)
  --travel-ms <n>      raise/lower travel time in ms (default 3000)
  --initial <pos>      raised | lowered (default raised)
  --log-level <lvl>    pino level for logs on stderr (default warn)
  -h, --help           this text

Commands on stdin, one per line ([unit] defaults to the first unit):
  raise [unit]                 lower [unit]
  impact [unit] [count]        override on|off [unit]
  fault <name>[,<name>] [unit] stuck [unit]
  unreachable [drop|silent] [unit]
  restore [unit]               state [unit]
  quit
Fault names: ${SIM_FAULTS.join(', ')}
`;

function out(obj: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}

function unitArg(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new Error(`not a unit id: ${v}`);
  return n;
}

async function run(sim: BarrierControllerSimulator, [cmd, a, b]: string[]): Promise<void> {
  switch (cmd) {
    case 'raise':
      sim.raise(unitArg(a));
      break;
    case 'lower':
      sim.lower(unitArg(a));
      break;
    case 'impact':
      sim.impact(unitArg(a), b === undefined ? 1 : Number(b));
      break;
    case 'fault': {
      const names = (a ?? '').split(',').filter(Boolean);
      const bad = names.filter((n) => !(SIM_FAULTS as string[]).includes(n));
      if (names.length === 0 || bad.length > 0) throw new Error(`unknown fault ${bad.join(',') || '(none)'}; known: ${SIM_FAULTS.join(', ')}`);
      sim.setFault(names as SimFault[], unitArg(b));
      break;
    }
    case 'stuck':
      sim.stuck(unitArg(a));
      break;
    case 'override':
      if (a !== 'on' && a !== 'off') throw new Error('override on|off [unit]');
      sim.setManualOverride(a === 'on', unitArg(b));
      break;
    case 'unreachable':
      if (a === 'drop' || a === 'silent') await sim.unreachable(a, unitArg(b));
      else await sim.unreachable('drop');
      break;
    case 'restore':
      await sim.restore(unitArg(a));
      break;
    case 'state':
      break;
    default:
      throw new Error(`unknown command "${cmd}" (try --help)`);
  }
  const unit = cmd === 'fault' || cmd === 'override' || cmd === 'impact' || cmd === 'unreachable' ? unitArg(b) : unitArg(a);
  out({ event: 'state', ...sim.state(unit) });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '1502' },
      units: { type: 'string', default: '1' },
      'travel-ms': { type: 'string', default: '3000' },
      initial: { type: 'string', default: 'raised' },
      'log-level': { type: 'string', default: 'warn' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (values.initial !== 'raised' && values.initial !== 'lowered') throw new Error('--initial raised|lowered');
  const sim = new BarrierControllerSimulator({
    host: values.host,
    port: Number(values.port),
    units: values.units.split(',').map((u) => Number(u)),
    travelMs: Number(values['travel-ms']),
    initial: values.initial,
    log: pino({ level: values['log-level'] }, pino.destination(2)),
  });
  const { host, port } = await sim.start();
  out({ event: 'listening', host, port, units: sim.unitIds() });

  // Each command as it arrives; without a terminal the controller keeps serving.
  await runCommandLoop({
    concurrent: true,
    stopAtEnd: false,
    run: (words) => run(sim, words),
    error: (message) => out({ event: 'error', message }),
    stop: async () => {
      await sim.stop();
      out({ event: 'stopped' });
    },
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
