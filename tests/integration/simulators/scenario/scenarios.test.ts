/**
 * Every field scenario in scenarios/ played against a real in-process gateway with its
 * simulators (one `it` per file), one scenario that must fail, and the CLI's exit codes.
 */
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../../gateway/config/load.js';
import { loadScenario, parseScenario } from '../../../../simulators/scenario/loader.js';
import { runScenario, type ScenarioReport } from '../../../../simulators/scenario/runner.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const DIR = join(ROOT, 'scenarios');
// The chaos scenarios run in their short form in chaos.test.ts (the InfluxDB one lasts 12 minutes in full).
const FILES = readdirSync(DIR).filter((f) => f.endsWith('.yaml') && !f.startsWith('chaos-')).sort();
const district = loadConfig({ env: {} });
const log = pino({ level: process.env.TEST_LOG ?? 'silent' });

const verdicts = (r: ScenarioReport): Record<string, string> => Object.fromEntries(r.expectations.map((e) => [e.label, e.verdict]));

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(join(ROOT, 'node_modules/.bin/tsx'), ['simulators/scenario/cli.ts', ...args], { cwd: ROOT, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('field scenarios', () => {
  it('has the seven field scenarios', () => {
    expect(FILES).toStrictEqual([
      'barrier-down-at-rush.yaml',
      'covered-and-frozen-cameras.yaml',
      'dead-buttons-sweep.yaml',
      'flood-while-pressing.yaml',
      'panic-at-exit.yaml',
      'primary-110-down.yaml',
      'sms-outage-during-panic.yaml',
    ]);
  });

  for (const file of FILES) {
    it(file, async () => {
      const scenario = loadScenario(join(DIR, file), district);
      const report = await runScenario(scenario, { log });
      expect(verdicts(report)).toStrictEqual(Object.fromEntries(scenario.expect.map((e) => [e.label, 'pass'])));
      expect(report.steps.map((s) => [s.do, s.error ?? null, s.finishedAt !== undefined])).toStrictEqual(scenario.steps.map((s) => [s.text, null, true]));
      expect(report.passed).toBe(true);
    }, 60_000);
  }

  it('fails, with what it measured, when the gateway cannot meet an expectation', async () => {
    const scenario = parseScenario(
      [
        'name: both-receivers-down',
        'description: both 110 receivers are down, so nothing can be ACKed',
        'sites: [sch-04]',
        'steps:',
        '  - { at: 0, do: centre primary down }',
        '  - { at: 0, do: centre secondary down }',
        '  - { at: 0.5, do: press sch-04-btn-1 }',
        'expect:',
        '  - alarm: { type: panic, device: sch-04-btn-1, after: 0.5, within: 2 }',
        '  - forwarded-to-110: { device: sch-04-btn-1, after: 0.5, within: 2 }',
        '  - no-alarm: { type: panic, site: sch-04, during: 3 }',
      ].join('\n'),
      'inline',
      district,
    );
    const report = await runScenario(scenario, { log });
    expect(verdicts(report)).toStrictEqual({
      'alarm panic sch-04-btn-1 within 2s after 0.5s': 'pass',
      'forwarded-to-110 sch-04-btn-1 within 2s after 0.5s': 'fail',
      'no-alarm panic sch-04 during 3s': 'fail',
    });
    const [raised, forwarded, none] = report.expectations;
    expect(forwarded?.detail).toBe('not seen within 2s');
    // The no-alarm window caught the same alarm the first expectation saw, at the same second.
    expect(none?.fact).toStrictEqual(raised?.fact);
    expect(report.passed).toBe(false);
  }, 60_000);

  it('CLI: exit 2 with every path: message for an invalid file or configuration override, exit 0 and a JSON report for a passing one', async () => {
    const bad = await cli([join(ROOT, 'tests/unit/simulators/scenario/fixtures/bad.yaml')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('/steps/0/do: unknown action \'pres\'');
    expect(bad.stderr).toContain('/expect/0/alarm/within: Expected required property');
    const badConfig = await cli([join(ROOT, 'tests/unit/simulators/scenario/fixtures/bad-config.yaml')]);
    expect(badConfig.code).toBe(2);
    expect(badConfig.stderr).toContain('/config/barriers/downInWindowGraceSeconds: Expected number');
    const good = await cli(['scenarios/primary-110-down.yaml', '--json']);
    expect(good.code).toBe(0);
    const report = JSON.parse(good.stdout) as ScenarioReport;
    expect([report.name, report.passed, report.expectations.map((e) => e.verdict)]).toStrictEqual(['primary-110-down', true, ['pass', 'pass', 'pass']]);
  }, 90_000);
});
