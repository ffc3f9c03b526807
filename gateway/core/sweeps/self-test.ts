/**
 * Optional sweep extra for alarm buttons (`extras: ['button-self-test']`, off by default):
 * instead of trusting the last recorded end-to-end test, ask the button for a fresh one over
 * its command topic and wait until the 110 centre has acknowledged a test from it. The wiring
 * (the broker's publish, the link-test record) is injected; the lead fills it in app.ts.
 */
import type { Clock } from '../../contract/clock.js';
import type { HealthView, SweepExtra, SweepExtraOutcome } from './check.js';
import type { Device, Scalar } from '../../contract/types.js';

export const BUTTON_SELF_TEST = 'button-self-test';

export interface ButtonSelfTestDeps {
  /** Publishes to the gateway's broker (MqttBus.publish, QoS 1). */
  publish(topic: string, payload: string): Promise<void>;
  /** The button's last end-to-end test the centre acknowledged, gateway time (LinkTestMonitor.last). */
  lastLinkTest(deviceId: string): { at: number; latencyMs: number; receiver?: string } | undefined;
  health: HealthView;
  clock: Clock;
  /** How long the button and the 110 link have (default 10 s; the sweep's per-check deadline still applies). */
  waitMs?: number;
  /** How often to look for the acknowledgement (default 200 ms). */
  pollMs?: number;
  /**
   * Whether the button takes commands on its cmd topic (default: MQTT buttons). A DC-09 panel's
   * button cannot be asked: it is judged by its own automatic test reports (not-linked-110 by age).
   */
  commandable?: (device: Device) => boolean;
}

/** Gateway-to-device command topic of the v1 contract (DESIGN.md "MQTT topics"). */
export const commandTopic = (siteId: string, deviceId: string) => `campus/v1/${siteId}/${deviceId}/cmd`;

export function createButtonSelfTest(deps: ButtonSelfTestDeps): SweepExtra {
  const waitMs = deps.waitMs ?? 10_000;
  const pollMs = deps.pollMs ?? 200;
  return {
    kinds: ['alarm-button'],
    async run(device, _base, signal): Promise<SweepExtraOutcome> {
      if (!(deps.commandable ?? ((d: Device) => d.adapter === 'mqtt-native'))(device)) return { evidence: { selfTest: 'not-commandable' } };
      const sentAt = deps.clock.now();
      const acked = () => {
        const t = deps.lastLinkTest(device.id);
        return t && t.at >= sentAt ? t : undefined;
      };
      await deps.publish(commandTopic(device.siteId, device.id), JSON.stringify({ cmd: 'self-test', at: sentAt }));
      let poll: ReturnType<Clock['setInterval']> | undefined;
      let deadline: ReturnType<Clock['setTimeout']> | undefined;
      let onAbort: () => void = () => undefined;
      try {
        const test = await new Promise<ReturnType<typeof acked>>((resolve, reject) => {
          onAbort = () => reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
          if (signal.aborted) return onAbort();
          signal.addEventListener('abort', onAbort, { once: true });
          poll = deps.clock.setInterval(() => {
            const t = acked();
            if (t) resolve(t);
          }, pollMs);
          deadline = deps.clock.setTimeout(() => resolve(acked()), waitMs);
        });
        const evidence: Record<string, Scalar> = { selfTestMs: deps.clock.now() - sentAt };
        if (test) {
          evidence.selfTest = 'passed';
          evidence.linkTestLatencyMs = test.latencyMs;
          if (test.receiver) evidence.linkTestReceiver = test.receiver;
          return { clear: ['not-linked-110'], evidence };
        }
        const lastSeen = deps.health.get(device.id)?.lastSeen;
        const silent = lastSeen === undefined || lastSeen < sentAt ? '; the button sent nothing since' : '';
        evidence.selfTest = 'no-ack';
        return { reasons: [{ code: 'not-linked-110', detail: `no 110-acknowledged test within ${waitMs} ms of the self-test command${silent}` }], evidence };
      } finally {
        if (poll !== undefined) deps.clock.clearInterval(poll);
        if (deadline !== undefined) deps.clock.clearTimeout(deadline);
        signal.removeEventListener('abort', onAbort);
      }
    },
  };
}
