/**
 * Prints the mosquitto 2.x `$7$` hash of a device secret or MQTT user password, for
 * `secretHash` (sites[].devices[]) and `passwordHash` (mqtt.users[]) in the configuration.
 * The same hash works in a mosquitto password_file (`--user <name>` prints that line).
 *
 *   npm run hash-device-secret -- <secret>
 *   printf '%s' "$SECRET" | npm run hash-device-secret -- -        # keeps it out of shell history
 *   npm run hash-device-secret -- --generate --user sch-01-btn-1  # a random 128-bit secret + its line
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { DEFAULT_ITERATIONS, MAX_ITERATIONS, hashSecret } from '../gateway/broker/password-hash.js';

const USAGE = `usage: hash-device-secret [options] <secret | ->
  -                   read the secret from stdin (a trailing newline is dropped)
  --generate          make a random secret (128 bits, base64url), print it, then its hash
  --user <name>       print a mosquitto password_file line: <name>:<hash>
  --iterations <n>    PBKDF2 iterations (default ${DEFAULT_ITERATIONS}, as mosquitto_passwd)
`;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      generate: { type: 'boolean', default: false },
      user: { type: 'string' },
      iterations: { type: 'string', default: String(DEFAULT_ITERATIONS) },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const iterations = Number(values.iterations);
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > MAX_ITERATIONS) {
    process.stderr.write(`--iterations: an integer from 1 to ${MAX_ITERATIONS}\n`);
    return 2;
  }
  let secret: string;
  if (values.generate) {
    if (positionals.length > 0) {
      process.stderr.write(USAGE);
      return 2;
    }
    secret = randomBytes(16).toString('base64url');
    process.stdout.write(`secret: ${secret}\n`);
  } else if (positionals.length === 1) {
    secret = positionals[0] === '-' ? await readStdin() : (positionals[0] as string);
  } else {
    process.stderr.write(USAGE);
    return 2;
  }
  if (secret.length < 8) {
    process.stderr.write('the secret must be at least 8 characters\n');
    return 2;
  }
  const hash = await hashSecret(secret, { iterations });
  process.stdout.write(values.user ? `${values.user}:${hash}\n` : `${hash}\n`);
  return 0;
}

process.exitCode = await main();
