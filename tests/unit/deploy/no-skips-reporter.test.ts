/**
 * The suite's own rule, checked: a run with a skipped test exits non-zero and names the test.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));

describe('no-skips reporter', () => {
  it('fails a run that skipped a test, naming it', () => {
    const run = spawnSync(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', '--config', 'tests/fixtures/no-skips/vitest.config.ts'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, CI: '1', NO_COLOR: '1' },
    });
    expect({ status: run.status, named: run.stderr.includes('probe.fixture.ts > is skipped on purpose') }).toStrictEqual({ status: 1, named: true });
  });

  it('lets a run narrowed with -t pass', () => {
    const run = spawnSync(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', '--config', 'tests/fixtures/no-skips/vitest.config.ts', '-t', 'runs'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, CI: '1', NO_COLOR: '1' },
    });
    expect(run.status).toBe(0);
  });
});
