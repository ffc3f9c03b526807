import { readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ADAPTER_TYPES, findAdapter, loadAllAdapters } from '../../../adapters/registry.js';

const SHARED = 'shared';

describe('adapter list', () => {
  it('lists every adapter folder exactly once, and each folder has a README', () => {
    const root = fileURLToPath(new URL('../../../adapters/', import.meta.url));
    // adapters/shared/ holds helpers several adapters use; it is not an adapter.
    const folders = readdirSync(root).filter((f) => statSync(root + f).isDirectory() && f !== SHARED);
    const listed = [...ADAPTER_TYPES];
    expect(new Set(listed).size).toBe(listed.length);
    // A folder may hold a protocol library used by an adapter of another name (DC-09 → alarm-centre-dc09).
    for (const folder of folders) expect(listed.some((type) => type === folder || type.startsWith(folder))).toBe(true);
    for (const folder of [...folders, SHARED]) expect(readdirSync(root + folder)).toContain('README.md');
  });

  it('loads each adapter under its own type, and nothing for an unknown type', async () => {
    expect((await loadAllAdapters()).map((a) => a.type)).toStrictEqual([...ADAPTER_TYPES]);
    expect((await findAdapter('panel-dc09'))?.type).toBe('panel-dc09');
    expect(await findAdapter('no-such-adapter')).toBeUndefined();
    expect(await findAdapter('toString')).toBeUndefined();
  });
});
