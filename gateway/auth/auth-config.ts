/**
 * Operator accounts and sessions (`auth:` in the configuration). Passwords are stored only as
 * scrypt hashes in PHC string form (`$scrypt$ln=15,r=8,p=1$<salt>$<hash>`); make one with
 * `npm run hash-password`.
 */
import { Type, type Static } from '@sinclair/typebox';

export const ROLES = ['duty-officer', 'supervisor', 'technician', 'tester', 'school', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const OperatorSchema = Type.Object(
  {
    username: Type.String({ pattern: '^[a-zA-Z0-9][a-zA-Z0-9._-]{0,63}$' }),
    /** Shown on the board and written in the alarm timeline and the audit log (Chinese first). */
    displayName: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    role: Type.Union(ROLES.map((r) => Type.Literal(r))),
    passwordHash: Type.String({ pattern: '^\\$scrypt\\$' }),
    /** Required for (and only for) the `school` role: the site id of the user's school. */
    school: Type.Optional(Type.String({ minLength: 1 })),
    /** Districts this user may see; omitted = every district of this gateway. */
    districts: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
  },
  { additionalProperties: false },
);

export const AuthConfigSchema = Type.Object(
  {
    /** HMAC key for session tokens; omitted = a random key kept in <dataDir>/auth-token-key. */
    tokenSecret: Type.Optional(Type.String({ minLength: 32 })),
    /** A session (one login) lasts this long: one duty shift by default. */
    sessionTtlMinutes: Type.Integer({ minimum: 1, maximum: 7 * 24 * 60, default: 720 }),
    /**
     * After `maxFailures` wrong passwords for one username from one address within
     * `windowMinutes`, that address is locked out of that username for `lockMinutes`.
     * Keyed by username and address so a stranger cannot lock the duty officer out.
     */
    lockout: Type.Object(
      {
        maxFailures: Type.Integer({ minimum: 1, default: 5 }),
        windowMinutes: Type.Number({ minimum: 0.1, default: 15 }),
        lockMinutes: Type.Number({ minimum: 0.1, default: 15 }),
      },
      { additionalProperties: false, default: {} },
    ),
    /** Accounts defined in configuration (read-only in the API); admins may add more at runtime. */
    users: Type.Array(OperatorSchema, { default: [] }),
  },
  { additionalProperties: false, default: {} },
);

export type AuthConfig = Static<typeof AuthConfigSchema>;
export type OperatorConfig = Static<typeof OperatorSchema>;

/** Checks the schema cannot express: unique usernames, a school user's school exists. */
export function authConfigErrors(auth: AuthConfig, sites: readonly { id: string; kind: string; district: string }[]): string[] {
  const errors: string[] = [];
  const seen = new Set<string>();
  const schools = new Set(sites.filter((s) => s.kind === 'school').map((s) => s.id));
  const districts = new Set(sites.map((s) => s.district));
  const missing = auth.users.filter((u) => u.role === 'school' && u.school && !schools.has(u.school));
  if (missing.length > 3) {
    // Typically a site file replaced `sites` but kept the demo district's school accounts.
    errors.push(
      `/auth/users: ${missing.length} school accounts name schools that are not in sites (${missing.slice(0, 3).map((u) => u.school).join(', ')}, …): a file that replaces sites must also set auth.users (the demo accounts are for the simulated district only)`,
    );
  }
  auth.users.forEach((u, i) => {
    const path = `/auth/users/${i}`;
    if (seen.has(u.username)) errors.push(`${path}/username: duplicate '${u.username}'`);
    seen.add(u.username);
    if (u.role === 'school' && !u.school) errors.push(`${path}/school: required for role school`);
    if (u.role === 'school' && u.school && !schools.has(u.school) && missing.length <= 3) errors.push(`${path}/school: no school '${u.school}' in sites`);
    if (u.role !== 'school' && u.school) errors.push(`${path}/school: only role school has a school`);
    u.districts?.forEach((d, j) => {
      if (!districts.has(d)) errors.push(`${path}/districts/${j}: no site is in district '${d}'`);
    });
  });
  return errors;
}
