/**
 * `npm install` on a fresh machine runs dependencies' install scripts only where package.json's
 * `allowScripts` says so: npm 11.16+ lists every unreviewed one after each install, and npm 12
 * skips them. Skipped, better-sqlite3 has no native binding (the embedded stores do not load) and
 * the bundled ffmpeg is not executable: the README's first command would fail. So every package
 * of the lockfile that has an install script is reviewed here (true: runs, false: denied), and
 * nothing else is named.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { allowScripts?: Record<string, boolean> };
const lock = JSON.parse(readFileSync(`${root}package-lock.json`, 'utf8')) as { packages: Record<string, { hasInstallScript?: boolean }> };

/** `node_modules/a/node_modules/@s/b` → `@s/b`. */
const nameOf = (path: string): string => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
const withScripts = [...new Set(Object.entries(lock.packages).filter(([path, p]) => path !== '' && p.hasInstallScript).map(([path]) => nameOf(path)))].sort();
const allowed = pkg.allowScripts ?? {};

describe('package.json allowScripts', () => {
  it('reviews every dependency in the lockfile that has an install script', () => {
    expect(withScripts.length).toBeGreaterThan(0);
    expect(withScripts.filter((name) => !(name in allowed))).toStrictEqual([]);
  });

  it('names no package the lockfile does not install with a script', () => {
    expect(Object.keys(allowed).filter((name) => !withScripts.includes(name))).toStrictEqual([]);
  });

  it('lets run what the gateway needs at run time: the SQLite binding, LevelDB, and the bundled ffmpeg on every platform', () => {
    const needed = ['better-sqlite3', 'classic-level', ...withScripts.filter((n) => n.startsWith('@ffmpeg-installer/'))];
    expect(needed.filter((name) => allowed[name] !== true)).toStrictEqual([]);
  });
});
