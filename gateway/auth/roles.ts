/**
 * What each role may do. Every HTTP route names one permission (or is explicitly public);
 * gateway/auth/access.ts refuses a route that names neither, so a new route is closed until
 * someone decides who may use it.
 */
import type { Role } from './auth-config.js';

export const PERMISSIONS = [
  'alarms:read',
  'alarms:act',
  'broadcasts:read',
  'broadcasts:send',
  'devices:read',
  'devices:command',
  'devices:self-test',
  'telemetry:read',
  'sites:read',
  'sweeps:read',
  'sweeps:run',
  'drills:read',
  'drills:run',
  'oncall:read',
  'oncall:manage',
  'simulators:control',
  'users:manage',
  'audit:read',
  'config:read',
  'metrics:read',
  'cluster:read',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const READ_PLACES: Permission[] = ['sites:read', 'devices:read', 'telemetry:read'];

export const ROLE_PERMISSIONS: Readonly<Record<Role, ReadonlySet<Permission>>> = {
  // The police duty desk: the alarm board, broadcasts, drills; sees device health, runs no sweeps.
  'duty-officer': new Set<Permission>([...READ_PLACES, 'alarms:read', 'alarms:act', 'broadcasts:read', 'broadcasts:send', 'drills:read', 'drills:run', 'sweeps:read', 'oncall:read', 'cluster:read']),
  // The supervisor on duty (带班领导): everything the duty desk does, and who is on call (overrides).
  supervisor: new Set<Permission>([...READ_PLACES, 'alarms:read', 'alarms:act', 'broadcasts:read', 'broadcasts:send', 'drills:read', 'drills:run', 'sweeps:read', 'oncall:read', 'oncall:manage', 'cluster:read']),
  // Maintenance: devices, barrier commands, self-tests, sweeps; reads alarms (faults arrive as alarms).
  technician: new Set<Permission>([...READ_PLACES, 'devices:command', 'devices:self-test', 'sweeps:read', 'sweeps:run', 'alarms:read', 'metrics:read', 'oncall:read', 'cluster:read']),
  // Acceptance testers: the simulators, drills and test presses; they read broadcasts (a scenario
  // checks who was told) but never send one or act on real alarms.
  tester: new Set<Permission>([...READ_PLACES, 'simulators:control', 'drills:read', 'drills:run', 'alarms:read', 'broadcasts:read', 'devices:self-test', 'sweeps:read', 'oncall:read']),
  // A school's security office: its own school only (scope), its alarms, a test press, its drills.
  school: new Set<Permission>([...READ_PLACES, 'alarms:read', 'devices:self-test', 'drills:read', 'drills:run']),
  admin: new Set<Permission>(PERMISSIONS),
};

export function can(role: Role, permission: Permission): boolean {
  return ROLE_PERMISSIONS[role].has(permission);
}
