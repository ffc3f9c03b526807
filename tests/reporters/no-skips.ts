/**
 * A skipped test is a failing test: in CI and on a newcomer's machine, a test that skips
 * because something is missing hides exactly what the suite exists to find. This reporter
 * fails the run when any test was skipped (`it.skip`, `it.todo`, `ctx.skip()`, or tests that
 * never ran because their file's setup failed), and names them.
 *
 * A run narrowed on purpose with `-t <pattern>` skips the rest by design: not enforced then.
 */
import type { Reporter, TestModule, Vitest } from 'vitest/node';

export default class NoSkipsReporter implements Reporter {
  private narrowed = false;

  onInit(vitest: Vitest): void {
    this.narrowed = Boolean(vitest.config.testNamePattern);
  }

  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    if (this.narrowed) return;
    const skipped: string[] = [];
    for (const mod of modules) {
      for (const test of mod.children.allTests()) {
        if (test.result().state === 'skipped') skipped.push(`${mod.moduleId.replace(`${process.cwd()}/`, '')} > ${test.fullName}`);
      }
    }
    if (skipped.length === 0) return;
    process.stderr.write(`\n${skipped.length} test(s) skipped — a skipped test is a failing test:\n${skipped.map((s) => `  - ${s}`).join('\n')}\n`);
    process.exitCode = 1;
  }
}
