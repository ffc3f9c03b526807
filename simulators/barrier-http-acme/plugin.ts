/**
 * The simulated GateKeeper controllers where the barrier-http-acme adapter's `controllers`
 * point, one unit per barrier that names the controller; each barrier is a thing the control
 * can lower, raise, hit, fault, drop and restore.
 */
import type { SimActionName } from '../../gateway/contract/simulator-port.js';
import type { Device } from '../../gateway/contract/types.js';
import { configuredDevices, deviceView, type ControlTarget, type SimControls, type SimulatorPlugin } from '../plugin.js';
import { GATEKEEPER_ALARMS, GateKeeperSimulator } from './simulator.js';

const ADAPTER = 'barrier-http-acme';
const ACTIONS: SimActionName[] = ['lower', 'raise', 'impact', 'fault', 'drop', 'restore'];
const POSITION = { UP: 'raised', DOWN: 'lowered', MOVING: 'moving', ERROR: 'fault' } as const;

function unitTarget(device: Device, sim: GateKeeperSimulator, unit: number): ControlTarget {
  return {
    view: () => {
      const st = sim.state(unit);
      return { ...deviceView(device, 'acme-gatekeeper', st.silent ? 'unreachable' : 'online', st.alarms, ACTIONS, GATEKEEPER_ALARMS), barrier: { position: POSITION[st.state], impactCount: st.hits } };
    },
    act: async ({ action, fault, on = true }) => {
      if (action === 'lower' || action === 'raise') sim.move(unit, action === 'raise' ? 'UP' : 'DOWN');
      else if (action === 'impact') sim.impact(unit);
      else if (action === 'fault') sim.setAlarm(unit, fault ?? '', on);
      else if (action === 'drop' || action === 'restore') sim.silence(unit, action === 'drop');
      else throw new Error(`'${action}' does not apply to a GateKeeper barrier`);
    },
  };
}

export function gateKeeperControls(controllers: readonly { name: string; sim: GateKeeperSimulator }[]): SimControls {
  return {
    device: (device) => {
      if (device.adapter !== ADAPTER) return undefined;
      const sim = controllers.find((c) => c.name === String(device.options.controller ?? ''))?.sim;
      const unit = Number(device.options.unit ?? 1);
      return sim?.unitIds().includes(unit) ? unitTarget(device, sim, unit) : undefined;
    },
  };
}

export const acmeGateKeeperSimulator: SimulatorPlugin = {
  adapter: ADAPTER,
  async start(config, ctx) {
    const cfg = config.adapters[ADAPTER] as { controllers?: Record<string, { host: string; port: number; apiKey: string }> } | undefined;
    const controllers: { name: string; sim: GateKeeperSimulator }[] = [];
    for (const [name, c] of Object.entries(cfg?.controllers ?? {})) {
      if (!ctx.wanted(c.host)) continue;
      const units = configuredDevices(config, ADAPTER).filter((d) => d.options?.controller === name).map((d) => Number(d.options?.unit ?? 1));
      const sim = new GateKeeperSimulator({ host: ctx.bindHost ?? c.host, port: c.port, apiKey: c.apiKey, units });
      const started = await sim.start();
      controllers.push({ name, sim });
      ctx.bound(ADAPTER, ['controllers', name], c.host, c.port, started.port);
      ctx.log.info({ controller: name, port: started.port, units: units.length }, 'GateKeeper controller simulator listening');
    }
    if (controllers.length === 0) return undefined;
    return { adapter: ADAPTER, ...gateKeeperControls(controllers), stop: async () => void (await Promise.all(controllers.map((c) => c.sim.stop()))) };
  },
};
