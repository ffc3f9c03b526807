/**
 * mqtt-packet, which parses and writes every MQTT packet for aedes, calls `debug` (debug 4.x)
 * at each step: ~20 calls a publish and its PUBACK. A `debug` function takes its arguments as
 * a rest parameter, so each call allocates an array before it finds it is disabled: 1,209 bytes
 * of garbage a message, the largest single share of the 12,140 the gateway allocated per
 * message under press-110's background load (a sampling heap profile, 2026-12-06), and ~1.7 %
 * of its main thread in the calls themselves.
 *
 * Before aedes loads mqtt-packet (broker.ts imports this first), the `debug` factory that
 * mqtt-packet will require is wrapped: a logger for an `mqtt-packet:*` namespace that is
 * disabled when it is made (DEBUG does not name it) is a function without parameters, which
 * allocates nothing. One that DEBUG enables is debug's own, so `DEBUG=mqtt-packet:*` traces
 * as before. What changes: enabling an mqtt-packet namespace later, at run time
 * (`debug.enable()`), does not reach loggers made quiet. Every other namespace is untouched.
 */
import { createRequire } from 'node:module';

type DebugFactory = ((namespace: string) => DebugLogger) & Record<string, unknown>;
type DebugLogger = ((...args: unknown[]) => void) & { enabled: boolean; namespace: string };

const QUIET = Symbol.for('campus-gateway.quiet-debug');

/** Wraps the `debug` that aedes's mqtt-packet resolves (false: not found, or already wrapped). */
export function quietMqttPacketDebug(): boolean {
  const require = createRequire(import.meta.url);
  let path: string;
  let factory: DebugFactory;
  try {
    const fromAedes = createRequire(require.resolve('aedes'));
    const fromPacket = createRequire(fromAedes.resolve('mqtt-packet'));
    path = fromPacket.resolve('debug');
    factory = fromPacket('debug') as DebugFactory;
  } catch {
    return false;
  }
  const cached = require.cache[path];
  if (!cached || (factory as { [QUIET]?: true })[QUIET]) return false;
  cached.exports = new Proxy(factory, {
    apply(target, thisArg, args: [string]) {
      const real = Reflect.apply(target, thisArg, args) as DebugLogger;
      if (real.enabled || typeof args[0] !== 'string' || !args[0].startsWith('mqtt-packet')) return real;
      const quiet = function quiet(): void {} as unknown as DebugLogger;
      Object.defineProperties(quiet, { enabled: { value: false, enumerable: true }, namespace: { value: real.namespace, enumerable: true } });
      return quiet;
    },
    get(target, key, receiver) {
      return key === QUIET ? true : Reflect.get(target, key, receiver);
    },
  });
  return true;
}

quietMqttPacketDebug();
