/**
 * The simulated Modbus barrier controllers where the barrier-modbus adapter's `controllers`
 * point, one unit per barrier that names the controller; each barrier is a thing the control
 * can lower, raise, hit, fault, make unreachable and restore.
 */
import type { SimActionName } from '../../gateway/contract/simulator-port.js';
import type { Device } from '../../gateway/contract/types.js';
import { configuredDevices, deviceView, type ControlTarget, type SimControls, type SimulatorPlugin } from '../plugin.js';
import { SIM_FAULTS, type SimFault } from './register-map.js';
import { BarrierControllerSimulator } from './simulator.js';

const ADAPTER = 'barrier-modbus';
const ACTIONS: SimActionName[] = ['lower', 'raise', 'impact', 'fault', 'drop', 'restore'];

function unitTarget(device: Device, plc: BarrierControllerSimulator, unit: number): ControlTarget {
  return {
    view: () => {
      const st = plc.state(unit);
      return { ...deviceView(device, 'modbus-barrier', st.silent ? 'unreachable' : 'online', st.faults, ACTIONS, SIM_FAULTS), barrier: { position: st.position, impactCount: st.impactCount } };
    },
    act: async ({ action, fault, on = true }) => {
      switch (action) {
        case 'lower':
          return plc.lower(unit);
        case 'raise':
          return plc.raise(unit);
        case 'impact':
          return plc.impact(unit, 1);
        case 'drop':
          // The unit stops answering while its controller stays reachable (a dead unit behind a gateway).
          return plc.unreachable('silent', unit);
        case 'restore':
          return plc.restore(unit);
        case 'fault': {
          if (on) return plc.setFault(fault as SimFault, unit);
          // The controller clears faults all at once: clear, then set the others again.
          const others = plc.state(unit).faults.filter((f) => f !== fault);
          await plc.restore(unit);
          if (others.length > 0) plc.setFault(others, unit);
          return;
        }
        default:
          throw new Error(`'${action}' does not apply to a Modbus barrier`);
      }
    },
  };
}

/** The control's view of running controllers, by the controller name barriers' `options.controller` gives (also for tests and scenarios). */
export function controllerControls(plcs: readonly { name: string; sim: BarrierControllerSimulator }[]): SimControls {
  return {
    device: (device) => {
      if (device.adapter !== ADAPTER) return undefined;
      const plc = plcs.find((p) => p.name === String(device.options.controller ?? ''))?.sim;
      const unit = Number(device.options.unitId ?? 1);
      return plc?.unitIds().includes(unit) ? unitTarget(device, plc, unit) : undefined;
    },
  };
}

export const barrierModbusSimulator: SimulatorPlugin = {
  adapter: ADAPTER,
  async start(config, ctx) {
    const cfg = config.adapters[ADAPTER] as { controllers?: Record<string, { host: string; port: number }> } | undefined;
    const plcs: { name: string; sim: BarrierControllerSimulator }[] = [];
    for (const [name, ep] of Object.entries(cfg?.controllers ?? {})) {
      if (!ctx.wanted(ep.host)) continue;
      const units = configuredDevices(config, ADAPTER).filter((d) => d.options?.controller === name).map((d) => Number(d.options?.unitId ?? 1));
      const plc = new BarrierControllerSimulator({ host: ctx.bindHost ?? ep.host, port: ep.port, units, travelMs: 3000, initial: 'raised', log: ctx.log.child({ sim: name }) });
      const started = await plc.start();
      seedUnits(plc, configuredDevices(config, ADAPTER).filter((d) => d.options?.controller === name), config.simulation.faults);
      plcs.push({ name, sim: plc });
      ctx.bound(ADAPTER, ['controllers', name], ep.host, ep.port, started.port);
      ctx.log.info({ controller: name, port: started.port, units: units.length }, 'Modbus barrier controller simulator listening');
    }
    if (plcs.length === 0) return undefined;
    return { adapter: ADAPTER, ...controllerControls(plcs), stop: async () => void (await Promise.all(plcs.map((p) => p.sim.stop()))) };
  },
};

/**
 * The configuration's seeded barrier faults on a running controller: `lowered` (a barrier left
 * down) or any of the controller's fault bits (`motor-overload`, `hydraulic-low`…) per unit.
 */
export function seedUnits(plc: BarrierControllerSimulator, devices: readonly { id: string; options?: Record<string, unknown> }[], faults: Readonly<Record<string, readonly string[]>>): void {
  for (const d of devices) {
    const unit = Number(d.options?.unitId ?? 1);
    if (!plc.unitIds().includes(unit)) continue;
    for (const seed of faults[d.id] ?? []) {
      if (seed === 'lowered') plc.lower(unit);
      else if ((SIM_FAULTS as readonly string[]).includes(seed)) plc.setFault(seed as SimFault, unit);
    }
  }
}
