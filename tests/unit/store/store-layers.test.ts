/**
 * The store ports' layering (docs/architecture.md, "State store"): the core and the operator
 * service own the repository interfaces and never reach for a store or a database driver; the
 * stores implement them and know nothing of HTTP, the broker or the composition root.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

function files(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = join(dir, name);
    return statSync(join(ROOT, path)).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** Every module a file imports (static, dynamic, type-only), resolved against the repository. */
function imports(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const specs = [...text.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)].map((m) => m[1] as string);
  return specs.map((s) => (s.startsWith('.') ? relative(ROOT, join(ROOT, file, '..', s)) : s));
}

function offending(dirs: string[], refused: (spec: string) => boolean): string[] {
  return dirs.flatMap(files).flatMap((f) => imports(f).filter(refused).map((s) => `${f} → ${s}`));
}

describe('state store layering', () => {
  it('the core and the operator service never import a store or a database driver', () => {
    const refused = (s: string) => s.startsWith('gateway/store/') || s === 'better-sqlite3' || s === 'pg' || s.startsWith('pg/');
    expect(offending(['gateway/core', 'gateway/auth'], refused)).toStrictEqual([]);
  });

  it('the stores never import HTTP, the broker, the cluster wiring or the composition root', () => {
    const refused = (s: string) => /^gateway\/(http|broker|cluster)\//.test(s) || s === 'gateway/app.js' || s.startsWith('adapters/');
    expect(offending(['gateway/store'], refused)).toStrictEqual([]);
  });

  it('every repository the core needs is an interface in its own feature folder', () => {
    const declared = (file: string, name: string) => new RegExp(`export interface ${name}\\b`).test(readFileSync(join(ROOT, file), 'utf8'));
    expect(
      [
        ['gateway/core/alarms/repository.ts', 'AlarmRepository'],
        ['gateway/core/alarms/outbox.ts', 'Outbox'],
        ['gateway/core/audit/log.ts', 'AuditLog'],
        ['gateway/core/devices/state.ts', 'DeviceStateRepository'],
        ['gateway/core/broadcast/types.ts', 'BroadcastRepository'],
        ['gateway/core/sweeps/types.ts', 'SweepRepository'],
        ['gateway/core/drills/types.ts', 'DrillRepository'],
        ['gateway/auth/repository.ts', 'AuthRepository'],
      ].filter(([file, name]) => !declared(file as string, name as string)),
    ).toStrictEqual([]);
  });
});
