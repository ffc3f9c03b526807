/**
 * The far ends a simulated district talks to, started where the configuration points the
 * adapters, by every simulator of the registry (simulators/registry.ts): the 110 receivers,
 * the SMS centre, the Modbus barrier controllers, the ONVIF camera fleet… A port configured as 0
 * is taken from the system (ephemeral): `overrides` then points the gateway at the bound ports,
 * so several simulated gateways run side by side (tests, CI) without colliding.
 */
import type { Logger } from 'pino';
import type { GatewayConfig } from '../gateway/config/schema.js';
import type { FarEndContext, RunningSimulator } from './plugin.js';
import { SIMULATORS } from './registry.js';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

export interface FarEnds {
  /** What each simulator started (none for an adapter whose far end is elsewhere or absent). */
  simulators: RunningSimulator[];
  /** Configuration layer with the bound ports of every far end started (lay it over the configuration). */
  overrides: Record<string, unknown>;
  /** Some configured port was 0: the gateway must use `overrides`. */
  rebound: boolean;
  stop(): Promise<void>;
}

/**
 * Starts the far ends the configuration points at on loopback; with `bindHost` (a separate
 * simulators container), starts them whatever host is configured and binds there.
 */
export async function startFarEnds(config: GatewayConfig, log: Logger, opts: { bindHost?: string } = {}): Promise<FarEnds> {
  let rebound = false;
  const adapters: Record<string, Record<string, unknown>> = {};
  const ctx: FarEndContext = {
    log,
    ...(opts.bindHost !== undefined ? { bindHost: opts.bindHost } : {}),
    wanted: (host) => opts.bindHost !== undefined || LOOPBACK.has(host),
    bound: (adapter, path, host, configured, port) => {
      if (configured === 0) rebound = true;
      let node = (adapters[adapter] ??= {});
      for (const key of path) node = (node[key] ??= {}) as Record<string, unknown>;
      Object.assign(node, { host, port });
    },
  };
  const simulators: RunningSimulator[] = [];
  const stop = async () => void (await Promise.all(simulators.map((s) => s.stop())));
  try {
    for (const plugin of SIMULATORS) {
      const running = await plugin.start(config, ctx);
      if (running) simulators.push(running);
    }
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
  return { simulators, overrides: { adapters }, rebound, stop };
}
