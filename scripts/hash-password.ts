/**
 * `npm run hash-password`: reads an operator password from stdin (so it stays out of shell
 * history) and prints the scrypt PHC string for `auth.users[].passwordHash`.
 *   printf '%s' 'the password' | npm run -s hash-password
 */
import { text } from 'node:stream/consumers';
import { hashPassword } from '../gateway/auth/passwords.js';

const password = (await text(process.stdin)).replace(/\r?\n$/, '');
if (password.length < 10) {
  process.stderr.write('hash-password: a password needs at least 10 characters\n');
  process.exit(2);
}
process.stdout.write(`${await hashPassword(password)}\n`);
