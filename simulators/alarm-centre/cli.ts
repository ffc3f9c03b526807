/**
 * Command line for the simulated 110 alarm-receiving centre:
 *   npx tsx simulators/alarm-centre/cli.ts --port 9200 --http-port 9201 --key 1234=<32 hex>
 * Prints one JSON line with the bound ports, logs as JSON lines (pino), stops on SIGINT/SIGTERM.
 */
import { parseArgs } from 'node:util';
import pino from 'pino';
import { keyFromHex } from '../../adapters/shared/dc09/dc09-crypto.js';
import { AlarmCentreSimulator } from './alarm-centre-simulator.js';

const USAGE = `Simulated 110 alarm-receiving centre (SIA DC-09 receiver over TCP and UDP).

Usage: npx tsx simulators/alarm-centre/cli.ts [options]

  --host <addr>        bind address for DC-09 and HTTP (default 127.0.0.1)
  --port <n>           DC-09 port, TCP and UDP (default 0: any free port)
  --http-port <n>      HTTP control API port (default 0: any free port)
  --key <[acct=]hex>   AES key as 32/48/64 hex digits, for one account (acct=hex)
                       or for every account (hex alone); repeatable
  --log-level <lvl>    pino level (default info)
  -h, --help           show this help

HTTP API: GET /messages[?account=], DELETE /messages, GET /status,
          POST /mode {"mode":"normal|down|nak|delay|drop","delayMs":n}
`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '0' },
      'http-port': { type: 'string', default: '0' },
      key: { type: 'string', multiple: true, default: [] },
      'log-level': { type: 'string', default: 'info' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const port = Number(values.port);
  const httpPort = Number(values['http-port']);
  if (!Number.isInteger(port) || port < 0 || port > 65535 || !Number.isInteger(httpPort) || httpPort < 0 || httpPort > 65535) {
    process.stderr.write(`invalid port\n\n${USAGE}`);
    return 2;
  }
  const keys: Record<string, Uint8Array> = {};
  for (const k of values.key) {
    const [acct, hex] = k.includes('=') ? (k.split('=', 2) as [string, string]) : ['*', k];
    keys[acct.toUpperCase()] = keyFromHex(hex);
  }
  const log = pino({ level: values['log-level'] });
  const sim = new AlarmCentreSimulator({ log });
  const bound = await sim.start({ host: values.host, port, httpHost: values.host, httpPort, keys });
  process.stdout.write(`${JSON.stringify({ dc09: { host: values.host, ...bound } })}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await sim.stop();
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
