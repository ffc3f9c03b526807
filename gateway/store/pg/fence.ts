/**
 * SQL condition that is true only while `$token` is the current, unexpired token of lease
 * `$name` (table `leases`, gateway/cluster/lease.ts): a fenced write is
 * `UPDATE … WHERE … AND ${fenceCondition('$7', '$8')}`. A write by a holder that lost the lease
 * (paused, partitioned, too slow) then changes nothing. SQL of the PostgreSQL store, so it lives
 * here; the lease re-exports it.
 */
export function fenceCondition(nameParam: string, tokenParam: string): string {
  return `EXISTS (SELECT 1 FROM leases WHERE leases.name = ${nameParam} AND leases.token = ${tokenParam} AND leases.until > clock_timestamp())`;
}
