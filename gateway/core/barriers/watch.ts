/**
 * Wires the pure barrier rule to the gateway: barrier positions from any adapter (Modbus
 * polling or MQTT-native barriers) go in; `barrier-down-in-window` alarms (and the health
 * reason of the same name) come out, raised after the grace period inside a school's
 * protection window and cleared when the barrier is raised or the window ends.
 */
import type { Logger } from 'pino';
import type { DeviceRegistry } from '../../contract/adapter.js';
import { errorMessage } from '../../contract/errors.js';
import type { AlarmService } from '../alarms/service.js';
import { BarrierRule, type BarrierDecision } from './rule.js';
import { BARRIER_POSITIONS, type BarrierPosition } from '../../contract/vocabulary.js';
import { ALARM_TYPE_CATALOGUE } from '../../contract/alarm-types.js';
import type { Clock, Timer } from '../../contract/clock.js';
import type { HealthTracker } from '../devices/health.js';
import type { DeviceEvent } from '../../contract/types.js';

/** A barrier's position: its data.position, else an event named after one (`lowered`…). */
const POSITIONS: ReadonlySet<string> = new Set(BARRIER_POSITIONS);
/** setTimeout cannot wait longer than 2^31 ms; a summer holiday can. */
const MAX_WAIT_MS = 3_600_000;

export class BarrierWatch {
  private readonly rule: BarrierRule;
  private timer?: Timer;

  constructor(
    private readonly registry: DeviceRegistry,
    private readonly alarms: AlarmService,
    private readonly health: HealthTracker,
    private readonly clock: Clock,
    graceSeconds: number,
    private readonly log?: Logger,
  ) {
    this.rule = new BarrierRule({
      graceMs: graceSeconds * 1000,
      siteOf: (id) => {
        const device = registry.get(id);
        return device ? registry.site(device.siteId) : undefined;
      },
    });
  }

  onEvent(e: DeviceEvent): void {
    const device = this.registry.get(e.deviceId);
    if (device?.kind !== 'barrier') return;
    const position = typeof e.data.position === 'string' ? e.data.position : POSITIONS.has(e.type) ? e.type : undefined;
    if (!position || !POSITIONS.has(position)) return;
    this.apply(this.rule.position(device.id, position as BarrierPosition, e.receivedAt));
  }

  stop(): void {
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private apply(decisions: BarrierDecision[]): void {
    for (const d of decisions) {
      if ('raise' in d) {
        // Impacts are raised from the impact event itself (rules.ts); the window is ours.
        if (d.raise !== 'barrier-down-in-window') continue;
        const device = this.registry.get(d.deviceId);
        const site = this.registry.site(d.siteId);
        this.health.setCondition(d.deviceId, 'barrier-down-in-window', true, d.detail);
        this.background(this.alarms.raise({
          type: 'barrier-down-in-window',
          severity: ALARM_TYPE_CATALOGUE['barrier-down-in-window'].severity,
          siteId: d.siteId,
          deviceId: d.deviceId,
          summary: `${site?.name ?? d.siteId} · ${device?.name ?? d.deviceId} · ${ALARM_TYPE_CATALOGUE['barrier-down-in-window'].zh}`,
          by: 'system',
          data: { detail: d.detail },
          at: d.at,
        }), d.deviceId);
      } else {
        this.health.setCondition(d.deviceId, 'barrier-down-in-window', false);
        this.background(this.alarms.clear('barrier-down-in-window', d.siteId, d.deviceId, d.reason === 'raised' ? '已升起 / raised' : '防护时段结束 / window ended'), d.deviceId);
      }
    }
    this.arm();
  }

  /** Window alarms come from positions and timers nobody waits on: a failed commit is logged. */
  private background(p: Promise<unknown>, deviceId: string): void {
    p.catch((err: unknown) => this.log?.error({ err: errorMessage(err), deviceId }, 'barrier window alarm could not be committed'));
  }

  private arm(): void {
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    const now = this.clock.now();
    const next = this.rule.nextDeadline(now);
    if (next === undefined || !Number.isFinite(next)) return;
    this.timer = this.clock.setTimeout(() => this.apply(this.rule.tick(this.clock.now())), Math.max(0, Math.min(next - now, MAX_WAIT_MS)));
  }
}
