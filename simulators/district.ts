/**
 * Runs every mqtt-native device of a configuration as a simulated device against a broker,
 * with the faults the configuration seeds, and takes commands: press a button, drop a
 * device, restore it, send a malformed payload.
 */
import type { Logger } from 'pino';
import type { GatewayConfig } from '../gateway/config/schema.js';
import type { Device } from '../gateway/contract/types.js';
import { SimulatedButton } from './alarm-button.js';
import { demoSecret } from './demo-secret.js';
import { SimulatedGenericDevice } from './generic-device.js';
import type { SimulatedMqttDevice } from './mqtt-device.js';
import { Dc09PanelSimulator } from './alarm-centre/panel.js';
import { RadioGatewaySimulator } from './radio-gateway/radio-gateway-simulator.js';
import { startDistrictNvrs } from './camera-gb28181/district-nvrs.js';
import type { GbNvrSimulator } from './camera-gb28181/nvr-simulator.js';

/** Heartbeats between a simulated panel's automatic test reports. */
const PANEL_TEST_EVERY = 10;

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
  /** The gateway's DC-09 receiver port, when not the configured one (tests on ephemeral ports). */
  panelPort?: number;
  /** The gateway's host for DC-09 panels (default 127.0.0.1). */
  panelHost?: string;
  /** The gateway's GB/T 28181 SIP port, when not the configured one (tests on ephemeral ports). */
  gbPort?: number;
}

function chosenSites(opts: DistrictOptions): (id: string) => boolean {
  return (id) => !opts.sites || opts.sites.includes(id);
}

export class DistrictSimulator {
  private readonly sims = new Map<string, SimulatedMqttDevice>();
  private readonly radios = new Map<string, RadioGatewaySimulator>();
  private readonly panels = new Map<string, Dc09PanelSimulator>();
  private gbNvrs = new Map<string, GbNvrSimulator>();
  private panelTimer?: ReturnType<typeof setInterval>;

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
    await this.startRadios(chosenSites(this.opts));
    await this.startPanels(chosenSites(this.opts), heartbeatMs);
    this.gbNvrs = await startDistrictNvrs({ config, devices, sites: chosenSites(this.opts), log: this.opts.log, ...(this.opts.gbPort ? { port: this.opts.gbPort } : {}) });
    this.opts.log.info({ devices: this.sims.size, radios: this.radios.size, panels: this.panels.size, gbNvrs: this.gbNvrs.size }, 'simulated district online');
  }

  /** The radio dispatch box(es): MQTT clients of their own that ack transmissions per talkgroup. */
  private async startRadios(sites: (id: string) => boolean): Promise<void> {
    for (const d of this.opts.devices.filter((x) => x.adapter === 'radio' && sites(x.siteId))) {
      const sim = new RadioGatewaySimulator();
      // The patrol, each school's, and the on-call roster's (the command talkgroup escalation calls on).
      const oncall = Object.values(this.opts.config.oncall.people).flatMap((p) => (p.radio ? [p.radio.talkgroup] : []));
      const tgs = [...new Set(['tg-patrol', ...this.schoolTalkgroups(), ...oncall])];
      await sim.start({ url: this.opts.url, deviceId: d.id, siteId: d.siteId, password: demoSecret(d.id), talkgroups: tgs, heartbeatMs: Math.min(30_000, this.opts.heartbeatMs ?? 30_000) });
      this.radios.set(d.id, sim);
    }
  }

  private schoolTalkgroups(): string[] {
    return this.opts.config.sites.flatMap((s) => s.contacts.map((c) => c.radio).filter((r): r is string => Boolean(r)));
  }

  /** Vendor DC-09 panels: a power-up test, then NULL link tests as their heartbeat. */
  private async startPanels(sites: (id: string) => boolean, heartbeatMs: number): Promise<void> {
    const cfg = this.opts.config.adapters['panel-dc09'] as { port?: number } | undefined;
    const port = this.opts.panelPort ?? cfg?.port;
    if (!port) return;
    for (const d of this.opts.devices.filter((x) => x.adapter === 'panel-dc09' && sites(x.siteId))) {
      const sim = new Dc09PanelSimulator({ host: this.opts.panelHost ?? '127.0.0.1', port, account: String(d.options.account ?? '0'), persistent: true });
      await sim.start();
      this.panels.set(d.id, sim);
      if (!(this.opts.config.simulation.faults[d.id] ?? []).includes('no-link-test')) await sim.test('manual').catch(() => undefined);
    }
    if (this.panels.size > 0) {
      // NULL link tests as heartbeat; every tenth beat an automatic test report (SIA RP), as
      // real panels send one daily, so a working panel stays linked to 110. A panel seeded
      // with `no-link-test` never tests.
      let beats = 0;
      this.panelTimer = setInterval(() => {
        beats++;
        for (const [id, p] of this.panels) {
          const tests = !(this.opts.config.simulation.faults[id] ?? []).includes('no-link-test');
          (tests && beats % PANEL_TEST_EVERY === 0 ? p.test('periodic') : p.linkTest()).catch(() => undefined);
        }
      }, heartbeatMs);
    }
  }

  radio(id: string): RadioGatewaySimulator {
    const sim = this.radios.get(id);
    if (!sim) throw new Error(`no simulated radio box '${id}'`);
    return sim;
  }

  panel(id: string): Dc09PanelSimulator {
    const sim = this.panels.get(id);
    if (!sim) throw new Error(`no simulated DC-09 panel '${id}'`);
    return sim;
  }

  /** The simulated GB/T 28181 NVR playing an `nvr` device. */
  gbNvr(id: string): GbNvrSimulator {
    const sim = this.gbNvrs.get(id);
    if (!sim) throw new Error(`no simulated GB/T 28181 NVR '${id}'`);
    return sim;
  }

  /** The simulated GB/T 28181 NVRs by their device id. */
  gbNvrList(): ReadonlyMap<string, GbNvrSimulator> {
    return this.gbNvrs;
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

  /** Which simulator plays `id` in this district, if any. */
  simulates(id: string): 'mqtt' | 'radio' | 'panel' | undefined {
    if (this.sims.has(id)) return 'mqtt';
    if (this.radios.has(id)) return 'radio';
    if (this.panels.has(id)) return 'panel';
    return undefined;
  }

  /** A hung device: connected, silent. */
  freeze(id: string): void {
    this.device(id).freeze();
  }

  /** The simulated MQTT devices running now (each counts the telemetry the broker acknowledged). */
  mqttDevices(): SimulatedMqttDevice[] {
    return [...this.sims.values()];
  }

  list(): { id: string; kind: string; state: string; faults: string[] }[] {
    return [...this.sims.values()].map((s) => ({ id: s.id, kind: this.kindOf(s.id), state: s.state, faults: [...s.faults] }));
  }

  async press(id: string): Promise<void> {
    const panel = this.panels.get(id);
    if (panel) {
      const zone = Number(this.opts.devices.find((d) => d.id === id)?.options.zone ?? 1);
      await panel.panic(zone);
      return;
    }
    await this.button(id).press();
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
    if (this.panelTimer) clearInterval(this.panelTimer);
    this.panelTimer = undefined;
    await Promise.all([...this.sims.values()].map((s) => s.stop()));
    await Promise.all([...this.radios.values()].map((s) => s.stop()));
    await Promise.all([...this.panels.values()].map((s) => s.stop()));
    await Promise.all([...this.gbNvrs.values()].map((s) => s.stop()));
    this.gbNvrs.clear();
    this.sims.clear();
    this.radios.clear();
    this.panels.clear();
  }

  private kindOf(id: string): string {
    return this.opts.devices.find((d) => d.id === id)?.kind ?? 'unknown';
  }
}
