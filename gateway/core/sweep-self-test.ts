/**
 * Optional sweep extra for alarm buttons (`extras: ['button-self-test']`, off by default):
 * ask the button for a fresh self-test over its command topic and wait for fresh evidence
 * from it, instead of trusting the last heartbeat. The wiring (which bus publishes, which
 * health changes count) is injected; the lead fills it in app.ts.
 */
import type { Clock } from './clock.js';
import type { HealthView, SweepExtra, SweepExtraOutcome } from './sweep-check.js';
import type { Health } from './types.js';

export const BUTTON_SELF_TEST = 'button-self-test';

export interface ButtonSelfTestDeps {
  /** Publishes to the gateway's broker (MqttBus.publish). */
  publish(topic: string, payload: string): Promise<void>;
  health: HealthView;
  /** Calls back on every health change of one device; returns the unsubscribe. */
  watch(deviceId: string, onChange: (h: Health) => void): () => void;
  clock: Clock;
  /** How long a button has to answer (default 10 s; the sweep's per-check deadline still applies). */
  waitMs?: number;
}

/** Gateway-to-device command topic of the v1 contract (DESIGN.md "MQTT topics"). */
export const commandTopic = (siteId: string, deviceId: string) => `campus/v1/${siteId}/${deviceId}/cmd`;

const linked = (h: Health | undefined) => !h?.reasons.some((r) => r.code === 'not-linked-110');
const fresh = (h: Health | undefined, since: number) => h?.lastSeen !== undefined && h.lastSeen >= since;

export function createButtonSelfTest(deps: ButtonSelfTestDeps): SweepExtra {
  const waitMs = deps.waitMs ?? 10_000;
  return {
    kinds: ['alarm-button'],
    async run(device, _base, signal): Promise<SweepExtraOutcome> {
      const sentAt = deps.clock.now();
      let unwatch: () => void = () => undefined;
      let timer: ReturnType<Clock['setTimeout']> | undefined;
      let onAbort: () => void = () => undefined;
      const answered = new Promise<boolean>((resolve, reject) => {
        const judge = (h: Health | undefined) => {
          if (fresh(h, sentAt) && linked(h)) resolve(true);
        };
        unwatch = deps.watch(device.id, judge);
        timer = deps.clock.setTimeout(() => resolve(false), waitMs);
        onAbort = () => reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
        if (signal.aborted) onAbort();
        else signal.addEventListener('abort', onAbort, { once: true });
      });
      // An abort during publish must not leave a rejection nobody is listening to yet.
      answered.catch(() => undefined);
      try {
        await deps.publish(commandTopic(device.siteId, device.id), JSON.stringify({ cmd: 'self-test', at: sentAt }));
        const ok = await answered;
        const h = deps.health.get(device.id);
        const evidence = { selfTestMs: deps.clock.now() - sentAt };
        if (ok) return { clear: ['not-linked-110'], evidence: { ...evidence, selfTest: 'passed' } };
        if (fresh(h, sentAt)) {
          const detail = h?.reasons.find((r) => r.code === 'not-linked-110')?.detail ?? 'self-test answered, 110 link not confirmed';
          return { reasons: [{ code: 'not-linked-110', detail }], evidence: { ...evidence, selfTest: 'failed' } };
        }
        return { reasons: [{ code: 'not-linked-110', detail: `no answer to self-test within ${waitMs} ms` }], evidence: { ...evidence, selfTest: 'no-answer' } };
      } finally {
        unwatch();
        if (timer !== undefined) deps.clock.clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
      }
    },
  };
}
