import { describe, expect, it } from 'vitest';
import { hashPassword, isPasswordHash, verifyPassword } from '../../../gateway/auth/passwords.js';
import { PERMISSIONS, ROLE_PERMISSIONS } from '../../../gateway/auth/roles.js';

const CHEAP = { ln: 10, r: 8, p: 1 };

describe('operator passwords (scrypt, PHC strings)', () => {
  it('verifies the right password only, with a fresh salt per hash', async () => {
    const a = await hashPassword('correct horse battery', CHEAP);
    const b = await hashPassword('correct horse battery', CHEAP);
    expect(a).toMatch(/^\$scrypt\$ln=10,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(a).not.toBe(b);
    expect([await verifyPassword('correct horse battery', a), await verifyPassword('correct horse batterY', a), await verifyPassword('', a)]).toStrictEqual([true, false, false]);
  });

  it('answers false, never throws, for malformed or out-of-range hashes', async () => {
    const good = await hashPassword('pw', CHEAP);
    const bad = ['', 'plain-text', '$scrypt$ln=99,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$' + 'A'.repeat(43), good.replace('ln=10', 'ln=9'), good.slice(0, -5), '$argon2id$v=19$m=65536,t=3,p=4$abc$def'];
    for (const h of bad) {
      expect(isPasswordHash(h)).toBe(false);
      expect(await verifyPassword('pw', h)).toBe(false);
    }
  });

  it('verifies the demo hashes in config/default.yaml format (ln=15)', async () => {
    const h = await hashPassword('demo-pass-duty');
    expect(h.startsWith('$scrypt$ln=15,r=8,p=1$')).toBe(true);
    expect(await verifyPassword('demo-pass-duty', h)).toBe(true);
  });
});

describe('roles', () => {
  it('gives admins every permission and nobody else users, audit or config', () => {
    expect([...ROLE_PERMISSIONS.admin].sort()).toStrictEqual([...PERMISSIONS].sort());
    const others = Object.entries(ROLE_PERMISSIONS).filter(([r]) => r !== 'admin');
    for (const [, perms] of others) for (const p of ['users:manage', 'audit:read', 'config:read'] as const) expect(perms.has(p)).toBe(false);
  });
});
