/**
 * A real Redis for integration tests (scripts/lib/redis-engine.ts): loopback, a free port, a
 * temp folder. `halt()`/`start()` is an outage on the same port with the data kept;
 * `pause()`/`resume()` a hung server.
 */
import { startRedis, type RedisEngine } from '../../scripts/lib/redis-engine.js';

export type TestRedis = RedisEngine;

export function startTestRedis(): Promise<TestRedis> {
  return startRedis();
}
