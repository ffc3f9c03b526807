/**
 * `not-linked-110`: a button counts as linked to the 110 centre only while its last
 * end-to-end test (a test press, or a self-test the gateway asked for, carried to the centre
 * as a DC-09 test report and ACKed) is younger than the configured age. Field sweeps found
 * buttons that had never been linked at all; this is how the gateway finds them.
 */
import type { DeviceRegistry } from '../../contract/adapter.js';
import type { Clock, Timer } from '../../contract/clock.js';
import type { HealthTracker } from './health.js';

export interface LinkTest {
  at: number;
  latencyMs: number;
  receiver?: string;
}

export interface LinkTestRepository {
  setDeviceState(deviceId: string, key: string, value: unknown): void;
  deviceStates<T>(key: string): Map<string, T>;
}

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

  start(): void {
    this.tests = this.repo.deviceStates<LinkTest>(KEY);
    this.evaluate();
    // Ages cross the limit at any time of day: look again every ten minutes.
    this.timer = this.clock.setInterval(() => this.evaluate(), 10 * 60_000);
  }

  stop(): void {
    if (this.timer) this.clock.clearInterval(this.timer);
    this.timer = undefined;
  }

  record(deviceId: string, test: LinkTest): void {
    this.tests.set(deviceId, test);
    this.repo.setDeviceState(deviceId, KEY, test);
    this.health.setCondition(deviceId, 'not-linked-110', false);
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
