import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: integration files each start real servers; keep parallelism modest.
    maxWorkers: 2,
    pool: 'forks',
    globalSetup: ['tests/global-setup.ts'],
    // A focused test left behind would silently skip the rest of the suite.
    allowOnly: false,
    reporters: ['default', './tests/reporters/no-skips.ts'],
  },
});
