/**
 * Runs every mqtt-native device of a configuration as a simulated device against a broker,
 * with the faults the configuration seeds, and takes commands: press a button, drop a
 * device, restore it, send a malformed payload.
 */
import type { Logger } from 'pino';
import type { GatewayConfig } from '../config/schema.js';
import type { Device } from '../gateway/core/types.js';
import { SimulatedButton } from './alarm-button.js';
import { SimulatedGenericDevice } from './generic-device.js';
import type { SimulatedMqttDevice } from './mqtt-device.js';

export interface DistrictOptions {
  url: string;
  config: GatewayConfig;
  devices: readonly Device[];
  log: Logger;
  /** Heartbeat period override in ms (default: simulation.heartbeatSeconds). */
  heartbeatMs?: number;
  /** Only these sites (default all). */
  sites?: string[];
  /** Connections opened at once while starting (a district does not all power up in the same ms). */
  connectConcurrency?: number;
}

export class DistrictSimulator {
  private readonly sims = new Map<string, SimulatedMqttDevice>();

  constructor(private readonly opts: DistrictOptions) {}

  async start(onProgress?: (done: number, total: number) => void): Promise<void> {
    const { config, devices } = this.opts;
    const heartbeatMs = this.opts.heartbeatMs ?? config.simulation.heartbeatSeconds * 1000;
    const chosen = devices.filter((d) => d.adapter === 'mqtt-native' && (!this.opts.sites || this.opts.sites.includes(d.siteId)));
    for (const device of chosen) {
      const faults = config.simulation.faults[device.id] ?? [];
      const opts = { url: this.opts.url, device, heartbeatMs, faults };
      this.sims.set(device.id, device.kind === 'alarm-button' ? new SimulatedButton(opts) : new SimulatedGenericDevice(opts));
    }
    const queue = [...this.sims.values()];
    let done = 0;
    const worker = async () => {
      for (let sim = queue.shift(); sim; sim = queue.shift()) {
        await sim.start();
        onProgress?.(++done, this.sims.size);
      }
    };
    await Promise.all(Array.from({ length: this.opts.connectConcurrency ?? 20 }, worker));
    this.opts.log.info({ devices: this.sims.size }, 'simulated district online');
  }

  device(id: string): SimulatedMqttDevice {
    const sim = this.sims.get(id);
    if (!sim) throw new Error(`no simulated device '${id}'`);
    return sim;
  }

  button(id: string): SimulatedButton {
    const sim = this.device(id);
    if (!(sim instanceof SimulatedButton)) throw new Error(`'${id}' is not an alarm button`);
    return sim;
  }

  list(): { id: string; kind: string; state: string; faults: string[] }[] {
    return [...this.sims.values()].map((s) => ({ id: s.id, kind: this.kindOf(s.id), state: s.state, faults: [...s.faults] }));
  }

  press(id: string): Promise<void> {
    return this.button(id).press();
  }

  drop(id: string): void {
    this.device(id).drop();
  }

  async restore(id: string): Promise<void> {
    const sim = this.device(id);
    sim.faults.delete('dead');
    await sim.stop();
    await sim.start();
  }

  /** Sends a payload no schema accepts: not JSON at all. */
  malformed(id: string): Promise<void> {
    return this.device(id).publishRaw('event', '{"type": "press", oops');
  }

  async stop(): Promise<void> {
    await Promise.all([...this.sims.values()].map((s) => s.stop()));
    this.sims.clear();
  }

  private kindOf(id: string): string {
    return this.opts.devices.find((d) => d.id === id)?.kind ?? 'unknown';
  }
}
