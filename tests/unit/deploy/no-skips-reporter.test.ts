/**
 * The suite's own rule, checked: a run with a skipped test exits non-zero and names the test.
 * The probe (one passing test, one skipped) is written to a temporary folder at run time and run
 * through its own vitest config with the suite's reporter, so no file of the tree holds a
 * skipped test.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const reporter = join(root, 'tests', 'reporters', 'no-skips.ts');
/** The vitest modifier under test, named once here. */
const SKIP = 'skip';

describe('no-skips reporter', () => {
  let dir: string;
  beforeAll(() => {
    // Inside the project (node_modules/.cache, ignored by git) so the probe resolves vitest.
    const cache = join(root, 'node_modules', '.cache');
    mkdirSync(cache, { recursive: true });
    dir = mkdtempSync(join(cache, 'no-skips-'));
    writeFileSync(join(dir, 'probe.fixture.ts'), `import { expect, it } from 'vitest';\nit('runs', () => expect(1).toBe(1));\nit.${SKIP}('is skipped on purpose', () => expect(1).toBe(1));\n`);
    writeFileSync(
      join(dir, 'vitest.config.ts'),
      `import { defineConfig } from 'vitest/config';\nexport default defineConfig({ test: { root: ${JSON.stringify(dir)}, include: ['*.fixture.ts'], reporters: [${JSON.stringify(reporter)}] } });\n`,
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const vitest = (...args: string[]) =>
    spawnSync(process.execPath, [join(root, 'node_modules/vitest/vitest.mjs'), 'run', '--config', join(dir, 'vitest.config.ts'), ...args], {
      cwd: root,
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, CI: '1', NO_COLOR: '1' },
    });

  it('fails a run that skipped a test, naming it', () => {
    const run = vitest();
    expect({ status: run.status, named: run.stderr.includes('probe.fixture.ts > is skipped on purpose') }).toStrictEqual({ status: 1, named: true });
  });

  it('lets a run narrowed with -t pass', () => {
    expect(vitest('-t', 'runs').status).toBe(0);
  });
});
