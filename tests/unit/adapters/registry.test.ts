import { readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ADAPTERS } from '../../../adapters/registry.js';

const SHARED = 'shared';

describe('adapter list', () => {
  it('lists every adapter folder exactly once, and each folder has a README', () => {
    const root = fileURLToPath(new URL('../../../adapters/', import.meta.url));
    // adapters/shared/ holds helpers several adapters use; it is not an adapter.
    const folders = readdirSync(root).filter((f) => statSync(root + f).isDirectory() && f !== SHARED);
    const listed = ADAPTERS.map((a) => a.type);
    expect(new Set(listed).size).toBe(listed.length);
    // A folder may hold a protocol library used by an adapter of another name (DC-09 → alarm-centre-dc09).
    for (const folder of folders) expect(listed.some((type) => type === folder || type.startsWith(folder))).toBe(true);
    for (const folder of [...folders, SHARED]) expect(readdirSync(root + folder)).toContain('README.md');
  });
});
