/**
 * Supervision of the radio gateways (availability 'active': the adapter, not the core's passive
 * timer, owns it). Any message from a gateway counts as a sign of life; `missed` heartbeat
 * periods of silence set `unreachable`, the next message clears it. The gateway's own report
 * of its radio side (`radio: "down"` in the heartbeat) sets `channel-unbound`: MQTT is alive
 * but nothing can be announced. Conditions are reported only when they change.
 */
import type { Clock, Timer } from '../../gateway/contract/clock.js';
import type { HealthReasonCode } from '../../gateway/contract/vocabulary.js';

export interface SupervisorDeps {
  clock: Clock;
  intervalMs: number;
  missed: number;
  setCondition(deviceId: string, code: HealthReasonCode, active: boolean, detail?: string): void;
}

interface LinkState {
  lastSeen?: number;
  unreachable: boolean;
  channelDown: boolean;
}

export class LinkSupervisor {
  private readonly links = new Map<string, LinkState>();
  private since = 0;
  private timer?: Timer;

  constructor(
    private readonly deps: SupervisorDeps,
    radioIds: readonly string[],
  ) {
    for (const id of radioIds) this.links.set(id, { unreachable: false, channelDown: false });
  }

  start(): void {
    this.since = this.deps.clock.now();
    const tick = Math.max(10, Math.min(1000, Math.floor(this.deps.intervalMs / 4)));
    if (this.links.size > 0) this.timer = this.deps.clock.setInterval(() => this.supervise(), tick);
  }

  stop(): void {
    if (this.timer !== undefined) this.deps.clock.clearInterval(this.timer);
    this.timer = undefined;
  }

  /** A message from the gateway arrived. */
  seen(radioId: string): void {
    const s = this.links.get(radioId);
    if (!s) return;
    s.lastSeen = this.deps.clock.now();
    if (s.unreachable) {
      s.unreachable = false;
      this.deps.setCondition(radioId, 'unreachable', false);
    }
  }

  /** The gateway's report of its radio side. */
  radioSide(radioId: string, up: boolean): void {
    const s = this.links.get(radioId);
    if (!s || s.channelDown === !up) return;
    s.channelDown = !up;
    this.deps.setCondition(radioId, 'channel-unbound', !up, up ? undefined : 'radio gateway reports its radio link down');
  }

  /** A check() found the gateway silent: no need to wait for the heartbeat timer. */
  markUnreachable(radioId: string, detail: string): void {
    const s = this.links.get(radioId);
    if (!s || s.unreachable) return;
    s.unreachable = true;
    this.deps.setCondition(radioId, 'unreachable', true, detail);
  }

  isReachable(radioId: string): boolean {
    return this.links.get(radioId)?.unreachable === false;
  }

  isChannelUp(radioId: string): boolean {
    return this.links.get(radioId)?.channelDown === false;
  }

  lastSeen(radioId: string): number | undefined {
    return this.links.get(radioId)?.lastSeen;
  }

  private supervise(): void {
    const { clock, intervalMs, missed } = this.deps;
    const now = clock.now();
    for (const [id, s] of this.links) {
      if (s.unreachable) continue;
      if (now < (s.lastSeen ?? this.since) + intervalMs * missed) continue;
      const detail =
        s.lastSeen === undefined
          ? `never heard from since the adapter started (${missed} heartbeat periods of ${intervalMs} ms)`
          : `silent for ${now - s.lastSeen} ms (${missed} heartbeats of ${intervalMs} ms missed)`;
      this.markUnreachable(id, detail);
    }
  }
}
