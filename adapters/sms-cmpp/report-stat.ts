/**
 * A status report's Stat (CMPP 2.0 §7.4.5.1, 3.0 §8.4.5.1 table 1) → what it means for the
 * recipient. Pure.
 *
 * - DELIVRD: delivered.
 * - ACCEPTD: pending. Table 1 note 1 says it is an intermediate state an ISMG should drop; one
 *   that forwards it anyway has not shown the phone got anything.
 * - EXPIRED, DELETED, UNDELIV, UNKNOWN, REJECTD: failed, with that word as the reason.
 * - The ISMG's own codes (MA:xxxx … IC:xxxx: an SMSC, SCP, DSMP, SP or next ISMG gave no or an
 *   error answer) and any word outside the table: failed as UNDELIV, the code kept in the
 *   detail. For an emergency broadcast a report that does not say delivered must reach a
 *   person as a failure rather than sit as pending.
 */
export const FAILURE_REASONS = ['EXPIRED', 'UNDELIV', 'REJECTD', 'DELETED', 'UNKNOWN', 'SUBMIT_REJECTED', 'NOT_SENT'] as const;
export type FailureReason = (typeof FAILURE_REASONS)[number];

export type StatOutcome = { outcome: 'delivered' } | { outcome: 'pending' } | { outcome: 'failed'; reason: FailureReason };

const FINAL_FAILURES: ReadonlySet<string> = new Set(['EXPIRED', 'DELETED', 'UNDELIV', 'UNKNOWN', 'REJECTD']);

export function classifyStat(raw: string): StatOutcome {
  const stat = raw.trim().toUpperCase();
  if (stat === 'DELIVRD') return { outcome: 'delivered' };
  if (stat === 'ACCEPTD') return { outcome: 'pending' };
  if (FINAL_FAILURES.has(stat)) return { outcome: 'failed', reason: stat as FailureReason };
  return { outcome: 'failed', reason: 'UNDELIV' };
}
