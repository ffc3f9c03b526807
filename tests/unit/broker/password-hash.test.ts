import { pbkdf2Sync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_ITERATIONS,
  derivedSalt,
  formatMosquittoHash,
  hashProblem,
  hashSecret,
  hashSecretSync,
  parseMosquittoHash,
  verifySecret,
} from '../../../gateway/broker/password-hash.js';
import { CredentialVerifier } from '../../../gateway/broker/credential-verifier.js';
import { Counters } from '../../../gateway/core/counters.js';

const SALT = Buffer.from('000102030405060708090a0b', 'hex');

describe('mosquitto $7$ password hashes', () => {
  it('encodes PBKDF2-HMAC-SHA512 over the password bytes with a 12-byte salt, as mosquitto_passwd does', async () => {
    const encoded = await hashSecret('demo-pass-sch-01-btn-1', { salt: SALT });
    const expected = pbkdf2Sync(Buffer.from('demo-pass-sch-01-btn-1'), SALT, 101, 64, 'sha512');
    expect(encoded).toBe(`$7$101$${SALT.toString('base64')}$${expected.toString('base64')}`);
    expect(parseMosquittoHash(encoded)).toStrictEqual({ iterations: DEFAULT_ITERATIONS, salt: SALT, hash: expected });
    expect(hashSecretSync('demo-pass-sch-01-btn-1', { salt: SALT })).toBe(encoded);
    expect(formatMosquittoHash(parseMosquittoHash(encoded)!)).toBe(encoded);
  });

  it('verifies the right password only, including non-ASCII and with another iteration count', async () => {
    const encoded = await hashSecret('校门-secret-1', { iterations: 7 });
    expect(encoded.startsWith('$7$7$')).toBe(true);
    expect(await verifySecret('校门-secret-1', encoded)).toBe(true);
    expect(await verifySecret(Buffer.from('校门-secret-1'), encoded)).toBe(true);
    expect(await verifySecret('校门-secret-2', encoded)).toBe(false);
    expect(await verifySecret('', encoded)).toBe(false);
    expect(await verifySecret('校门-secret-1', 'not-a-hash')).toBe(false);
  });

  it('refuses what mosquitto 2.x would refuse, with a message that says why', async () => {
    const good = await hashSecret('abcdefgh', { salt: SALT });
    const [, , iter, salt, hash] = good.split('$') as string[];
    expect(hashProblem(good)).toBeUndefined();
    expect(hashProblem(`$6$${salt}$${hash}`)).toMatch(/unstretched SHA-512/);
    expect(hashProblem(`$7$${iter}$${Buffer.alloc(16).toString('base64')}$${hash}`)).toMatch(/12-byte salt/);
    expect(hashProblem(`$7$${iter}$${salt}$${Buffer.alloc(32).toString('base64')}`)).toMatch(/64-byte/);
    expect(hashProblem(`$7$0$${salt}$${hash}`)).toMatch(/mosquitto 2.x hash/);
    expect(hashProblem(`$7$9999999$${salt}$${hash}`)).toBe('iterations above 1000000');
    expect(hashProblem('demo-pass-sch-01-btn-1')).toMatch(/mosquitto 2.x hash/);
    expect(parseMosquittoHash(`$7$9999999$${salt}$${hash}`)).toBeUndefined();
    await expect(hashSecret('abcdefgh', { salt: Buffer.alloc(16) })).rejects.toThrow(/12 bytes/);
  });

  it('derives a stable 12-byte demo salt per id', () => {
    expect(derivedSalt('sch-01-btn-1')).toStrictEqual(derivedSalt('sch-01-btn-1'));
    expect(derivedSalt('sch-01-btn-1').length).toBe(12);
    expect(derivedSalt('sch-01-btn-1').equals(derivedSalt('sch-01-btn-2'))).toBe(false);
  });
});

describe('CredentialVerifier', () => {
  it('remembers a success per account so a reconnect skips PBKDF2, never a failure', async () => {
    const counters = new Counters();
    const v = new CredentialVerifier(counters);
    const hash = await hashSecret('right-secret');
    expect(await v.verify('dev-1', Buffer.from('wrong-secret'), hash)).toBe(false);
    expect(await v.verify('dev-1', Buffer.from('wrong-secret'), hash)).toBe(false);
    expect(await v.verify('dev-1', Buffer.from('right-secret'), hash)).toBe(true);
    expect(await v.verify('dev-1', Buffer.from('right-secret'), hash)).toBe(true);
    expect(await v.verify('dev-1', Buffer.from('wrong-secret'), hash)).toBe(false);
    expect(v.stats()).toStrictEqual({ hashed: 4, cached: 1, shed: 0, running: 0, queued: 0 });
    expect(counters.snapshot('mqtt.auth')).toStrictEqual({ 'mqtt.auth.verify.cached': 1, 'mqtt.auth.verify.hashed': 4 });
  });

  it('does not carry a remembered success over to another account or a changed hash', async () => {
    const v = new CredentialVerifier();
    const h1 = await hashSecret('shared-secret');
    const h2 = await hashSecret('shared-secret');
    expect(await v.verify('dev-1', Buffer.from('shared-secret'), h1)).toBe(true);
    expect(await v.verify('dev-2', Buffer.from('shared-secret'), h1)).toBe(true);
    expect(await v.verify('dev-1', Buffer.from('shared-secret'), h2)).toBe(true);
    expect(v.stats()).toStrictEqual({ hashed: 3, cached: 0, shed: 0, running: 0, queued: 0 });
    v.forget('dev-1');
    expect(await v.verify('dev-1', Buffer.from('shared-secret'), h2)).toBe(true);
    expect(v.stats().hashed).toBe(4);
  });

  it('runs at most `concurrency` PBKDF2 jobs at once and queues the rest in order', async () => {
    const v = new CredentialVerifier(undefined, 2);
    const hash = await hashSecret('right-secret', { iterations: 1000 });
    const results = Array.from({ length: 5 }, (_, i) => v.verify(`dev-${i}`, Buffer.from(i === 3 ? 'nope-nope' : 'right-secret'), hash));
    expect(v.stats()).toStrictEqual({ hashed: 0, cached: 0, shed: 0, running: 2, queued: 3 });
    expect(await Promise.all(results)).toStrictEqual([true, true, true, false, true]);
    expect(v.stats()).toStrictEqual({ hashed: 5, cached: 0, shed: 0, running: 0, queued: 0 });
  });

  it('gives one address a bounded share of the slots, refuses it beyond its queue, and serves addresses in turn', async () => {
    const v = new CredentialVerifier(undefined, 2, { slotsPerAddress: 1, queuePerAddress: 2 });
    const hash = await hashSecret('right-secret', { iterations: 1000 });
    const order: string[] = [];
    const check = (who: string, addr: string) => v.verify(who, Buffer.from('wrong-one'), hash, addr).then((ok) => (order.push(who), ok));
    // The flooder: one running, two waiting, the fourth refused at once without hashing.
    const flood = [check('f1', '10.0.0.2'), check('f2', '10.0.0.2'), check('f3', '10.0.0.2')];
    await expect(v.verify('f4', Buffer.from('x'), hash, '10.0.0.2')).rejects.toMatchObject({ code: 'GW_ERR_MQTT_HASH_SHARE' });
    // The other slot is free for another address at once.
    const device = check('d1', '10.0.0.1');
    // d1 holds the second slot without waiting (running 2), the flood's two still wait (queued 2).
    // Which of the running jobs finishes first is up to the thread pool, so no finish order here.
    expect(v.stats()).toMatchObject({ shed: 1, running: 2, queued: 2 });
    await Promise.all([...flood, device]);
    expect(order.sort()).toStrictEqual(['d1', 'f1', 'f2', 'f3']);
    expect(v.stats()).toMatchObject({ hashed: 4, shed: 1, running: 0, queued: 0 });
  });

  it('serves waiting addresses in turn, not first come first served', async () => {
    // One slot: the finish order is the start order, so the dispatch order is observable.
    const v = new CredentialVerifier(undefined, 1, { slotsPerAddress: 1, queuePerAddress: 5 });
    const hash = await hashSecret('right-secret', { iterations: 1000 });
    const order: string[] = [];
    const check = (who: string, addr: string) => v.verify(who, Buffer.from('wrong-one'), hash, addr).then(() => order.push(who));
    const all = [check('a1', '10.0.0.2'), check('a2', '10.0.0.2'), check('a3', '10.0.0.2'), check('b1', '10.0.0.1'), check('b2', '10.0.0.1')];
    expect(v.stats()).toMatchObject({ running: 1, queued: 4 });
    await Promise.all(all);
    expect(order).toStrictEqual(['a1', 'a2', 'b1', 'a3', 'b2']);
  });
});
