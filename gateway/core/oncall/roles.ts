/** Roles someone is on call for; escalation steps and broadcast groups name them. */
export const ONCALL_ROLES = ['duty-officer', 'supervisor', 'station-chief', 'technician'] as const;
export type OnCallRole = (typeof ONCALL_ROLES)[number];

export function isOnCallRole(s: string): s is OnCallRole {
  return (ONCALL_ROLES as readonly string[]).includes(s);
}
