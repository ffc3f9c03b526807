/**
 * The engines cluster mode runs on, launched from the machine's packages on loopback: used by
 * `npm run cluster` and wrapped by the test helpers (tests/helpers/postgres.ts, redis.ts,
 * haproxy.ts).
 */
export { EngineError, canConnect } from './engine-process.js';
export { startPostgres, postgresBinDir, type PostgresEngine, type PostgresOptions } from './postgres-engine.js';
export { startRedis, redisCommand, type RedisEngine, type RedisOptions } from './redis-engine.js';
export { startHaproxy, renderHaproxyConfig, type HaproxyEngine, type HaproxyFrontend, type HaproxyOptions, type HaproxyServer } from './haproxy-engine.js';
