/**
 * A one-touch alarm button (一键报警) on MQTT: press, cancel, test; telemetry with battery,
 * RSSI, power and SIM status; faults on command like those the field sweeps find.
 */
import { SimulatedMqttDevice } from './mqtt-device.js';

/** Faults a simulated button can be put in. */
export const BUTTON_FAULTS = ['dead', 'sim-suspended', 'fault', 'low-battery', 'tamper', 'sim-expiring', 'no-link-test'] as const;

const day = 86_400_000;
const isoDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** What the button last heard about its press (the gateway's `ack` commands): its LEDs. */
export interface ButtonAck {
  stage: string;
  at: number;
  by?: string;
}

export class SimulatedButton extends SimulatedMqttDevice {
  /** The stages of its last press, as the button shows them (110 received it, an officer acknowledged it). */
  readonly acks: ButtonAck[] = [];

  protected override telemetry(): Record<string, unknown> {
    const n = Number(this.id.replace(/\D/g, '').slice(-6) || '0');
    return {
      battery: this.faults.has('low-battery') ? 12 : 80 + (n % 20),
      rssi: -60 - (n % 25),
      power: 'mains',
      sim: {
        status: this.faults.has('sim-suspended') ? 'suspended' : 'active',
        iccid: `898600${String(n).padStart(14, '0')}`,
        expires: isoDate(Date.now() + (this.faults.has('sim-expiring') ? 10 : 400) * day),
      },
    };
  }

  protected override async onlineEvents(): Promise<void> {
    if (this.faults.has('fault')) await this.event('fault', { code: 'E12-hardware' });
    if (this.faults.has('tamper')) await this.event('tamper', { detail: 'enclosure opened' });
    // Buttons run an automatic end-to-end test when they power up; one never linked to 110 does not.
    if (!this.faults.has('no-link-test')) await this.event('test');
  }

  protected override onCommand(_topic: string, payload: Buffer): void {
    let cmd: unknown;
    let body: { cmd?: unknown; stage?: unknown; by?: unknown };
    try {
      body = JSON.parse(payload.toString()) as typeof body;
      cmd = body.cmd;
    } catch {
      return;
    }
    if (cmd === 'ack' && typeof body.stage === 'string') {
      // A real button lights an LED per stage; the simulator keeps them for the control to show.
      if (body.stage === '110-received') this.acks.length = 0;
      this.acks.push({ stage: body.stage, at: Date.now(), ...(typeof body.by === 'string' ? { by: body.by } : {}) });
      if (this.acks.length > 8) this.acks.shift();
      return;
    }
    if (cmd === 'self-test' && !this.faults.has('no-link-test') && !this.faults.has('fault')) {
      this.event('test').catch(() => undefined);
    }
  }

  press(): Promise<void> {
    this.acks.length = 0;
    return this.event('press');
  }

  cancel(): Promise<void> {
    return this.event('cancel');
  }

  testPress(): Promise<void> {
    return this.event('test');
  }

  /** Puts the button in a fault (or clears it) and reports as the device would. */
  async setFault(fault: string, on: boolean): Promise<void> {
    if (on) this.faults.add(fault);
    else this.faults.delete(fault);
    if (!this.client?.connected) return;
    if (fault === 'fault') await this.event(on ? 'fault' : 'fault-cleared', on ? { code: 'E12-hardware' } : {});
    else if (fault === 'tamper') await this.event(on ? 'tamper' : 'tamper-cleared');
    else await this.heartbeat();
  }
}
