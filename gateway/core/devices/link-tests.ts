/**
 * `not-linked-110`: a button counts as linked to the 110 centre only while its last
 * end-to-end test (a test press, or a self-test the gateway asked for, carried to the centre
 * as a DC-09 test report and ACKed) is younger than the configured age. Field sweeps found
 * buttons that had never been linked at all; this is how the gateway finds them.
 */
import type { DeviceRegistry } from '../../contract/adapter.js';
import type { Clock, Timer } from '../../contract/clock.js';
import type { HealthTracker } from './health.js';
import type { DeviceStateRepository } from './state.js';

export interface LinkTest {
  at: number;
  latencyMs: number;
  receiver?: string;
}

/** Where the last test of each button is kept (the state store's device state). */
export type LinkTestRepository = DeviceStateRepository;

const DAY = 86_400_000;
const KEY = 'linkTest';

export class LinkTestMonitor {
  private tests = new Map<string, LinkTest>();
  private timer?: Timer;

  constructor(
    private readonly registry: DeviceRegistry,
    private readonly health: HealthTracker,
    private readonly repo: LinkTestRepository,
    private readonly clock: Clock,
    private readonly maxAgeDays: number,
  ) {}

  async start(): Promise<void> {
    this.tests = await this.repo.deviceStates<LinkTest>(KEY);
    this.evaluate();
    // Ages cross the limit at any time of day: look again every ten minutes.
    this.timer = this.clock.setInterval(() => this.evaluate(), 10 * 60_000);
  }

  stop(): void {
    if (this.timer) this.clock.clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Counts at once (the button is linked); resolves once the test is kept for the next start. */
  async record(deviceId: string, test: LinkTest): Promise<void> {
    this.tests.set(deviceId, test);
    this.health.setCondition(deviceId, 'not-linked-110', false);
    await this.repo.setDeviceState(deviceId, KEY, test);
  }

  last(deviceId: string): LinkTest | undefined {
    return this.tests.get(deviceId);
  }

  evaluate(): void {
    const now = this.clock.now();
    for (const button of this.registry.list({ kind: 'alarm-button' })) {
      const last = this.tests.get(button.id);
      if (!last) this.health.setCondition(button.id, 'not-linked-110', true, 'no end-to-end 110 test on record');
      else if (now - last.at > this.maxAgeDays * DAY) {
        this.health.setCondition(button.id, 'not-linked-110', true, `last end-to-end 110 test ${new Date(last.at).toISOString().slice(0, 10)}`);
      } else this.health.setCondition(button.id, 'not-linked-110', false);
    }
  }
}
