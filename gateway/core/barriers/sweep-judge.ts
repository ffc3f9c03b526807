/**
 * The barrier window rule in a health sweep: a barrier whose check read it lowered (its
 * evidence `position`, BarrierEvidence in the contract) inside a protection window of its
 * site is reported `barrier-down-in-window`. Adapters report the position; this decides.
 */
import type { Device, Site } from '../../contract/types.js';
import type { SweepJudge } from '../sweeps/check.js';
import { downInWindowNow } from './rule.js';

export function barrierWindowJudge(siteOf: (siteId: string) => Site | undefined, onError?: (err: unknown, device: Device) => void): SweepJudge {
  return {
    kinds: ['barrier'],
    judge(device, check, at) {
      const site = siteOf(device.siteId);
      if (!site) return [];
      try {
        const detail = downInWindowNow(site, check.evidence.position, at);
        return detail ? [{ code: 'barrier-down-in-window', detail }] : [];
      } catch (err) {
        // A site whose windows cannot be evaluated (bad time zone) is a configuration problem, not a barrier's.
        onError?.(err, device);
        return [];
      }
    },
  };
}
