/**
 * `not-linked-110`: a button counts as linked to the 110 centre only while its last
 * end-to-end test (a test press, or a self-test the gateway asked for, carried to the centre
 * as a DC-09 test report and ACKed) is younger than the configured age. Field sweeps found
 * buttons that had never been linked at all; this is how the gateway finds them.
 */
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { DeviceRegistry } from '../../contract/adapter.js';
import type { Clock, Timer } from '../../contract/clock.js';
import type { HealthTracker } from './health.js';
import type { DeviceStateRepository } from './state.js';

/** A button's last end-to-end test: when, how long the centre took to answer, which receiver. */
export type LinkTest = Static<typeof LinkTestSchema>;

/** Where the last test of each button is kept (the state store's device state). */
export type LinkTestRepository = DeviceStateRepository;

const DAY = 86_400_000;
const KEY = 'linkTest';

/** A button's last end-to-end test as the API shows it (GET /api/devices `linkTest`). */
export const LinkTestSchema = Type.Object({ at: Type.Number(), latencyMs: Type.Number(), receiver: Type.Optional(Type.String()) });

/** A test as the node that recorded it announces it (cluster mode: NOTIFY link_test). */
const announced = TypeCompiler.Compile(Type.Composite([Type.Object({ deviceId: Type.String({ minLength: 1 }) }), LinkTestSchema]));

/** A link test as another node announced it (JSON `{deviceId, at, latencyMs, receiver?}`), or undefined when it is not one. */
export function parseAnnouncedTest(payload: string): { deviceId: string; test: LinkTest } | undefined {
  let v: unknown;
  try {
    v = JSON.parse(payload);
  } catch {
    return undefined;
  }
  if (!announced.Check(v)) return undefined;
  return { deviceId: v.deviceId, test: { at: v.at, latencyMs: v.latencyMs, ...(v.receiver !== undefined ? { receiver: v.receiver } : {}) } };
}

export class LinkTestMonitor {
  private readonly tests = new Map<string, LinkTest>();
  private timer?: Timer;
  private announce?: (deviceId: string, test: LinkTest) => void;

  constructor(
    private readonly registry: DeviceRegistry,
    private readonly health: HealthTracker,
    private readonly repo: LinkTestRepository,
    private readonly clock: Clock,
    private readonly maxAgeDays: number,
  ) {}

  async start(): Promise<void> {
    await this.load();
    this.evaluate();
    // Ages cross the limit at any time of day: look again every ten minutes.
    this.timer = this.clock.setInterval(() => this.evaluate(), 10 * 60_000);
  }

  stop(): void {
    if (this.timer) this.clock.clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * The tests on record, merged into what this node holds (the newer of two wins, so a test
   * adopted while the store was being read is not undone by the older row).
   */
  async load(): Promise<void> {
    for (const [deviceId, test] of await this.repo.deviceStates<LinkTest>(KEY)) this.adopt(deviceId, test);
  }

  /** Counts at once (the button is linked); resolves once the test is kept for the next start (then announced, if set). */
  async record(deviceId: string, test: LinkTest): Promise<void> {
    this.tests.set(deviceId, test);
    this.health.setCondition(deviceId, 'not-linked-110', false);
    await this.repo.setDeviceState(deviceId, KEY, test);
    this.announce?.(deviceId, test);
  }

  /**
   * Cluster mode: `announce` is told of every test this node records, once it is kept (the node
   * holding the 110 link records them; the others adopt what it announces).
   */
  announceWith(announce: (deviceId: string, test: LinkTest) => void): void {
    this.announce = announce;
  }

  /**
   * A test another node recorded (cluster mode): shown as this button's last test unless the one
   * held is newer. Health is not touched: `not-linked-110` is judged by the node that records.
   */
  adopt(deviceId: string, test: LinkTest): void {
    const held = this.tests.get(deviceId);
    if (held === undefined || held.at <= test.at) this.tests.set(deviceId, test);
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
