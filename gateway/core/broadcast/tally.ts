/**
 * The roll-call count of a broadcast, shared by the gateway and the dashboard (which counts the
 * recipients it holds as their changes arrive). Pure, no imports but types: the dashboard
 * bundles it as it is.
 */
import type { RecipientState, Tally } from './types.js';

/** sent and delivered count people who reached at least that state (confirmed counts as delivered). */
export function tally(recipients: Iterable<{ state: RecipientState }>): Tally {
  const t: Tally = { total: 0, sent: 0, delivered: 0, confirmed: 0, failed: 0 };
  for (const r of recipients) {
    t.total++;
    if (r.state === 'failed') t.failed++;
    else if (r.state !== 'queued') {
      t.sent++;
      if (r.state !== 'sent') t.delivered++;
      if (r.state === 'confirmed') t.confirmed++;
    }
  }
  return t;
}
