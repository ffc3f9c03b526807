/**
 * npx tsx gateway/scenario/cli.ts scenarios/<name>.yaml [more.yaml…] [--json] [--verbose]
 * Runs each scenario against an in-process gateway with its simulators; prints the report;
 * exit 0 when every scenario passed, 1 when one failed, 2 when a file is invalid.
 */
import { parseArgs } from 'node:util';
import pino from 'pino';
import { loadConfig } from '../config.js';
import { isGatewayError } from '../errors.js';
import { loadScenario, ScenarioError, type DistrictView } from './loader.js';
import { formatReport, reportJson } from './report.js';
import { runScenario, type ScenarioReport } from './runner.js';

const USAGE =
  'Usage: tsx gateway/scenario/cli.ts <scenario.yaml>… [--json] [--verbose]\n' +
  '  --json     print a machine-readable report (an object; an array for several files)\n' +
  '  --verbose  gateway and simulator logs on stderr (level info)\n' +
  'Exit status: 0 all passed, 1 an expectation failed, 2 a scenario file is invalid.\n' +
  'The format is documented in scenarios/README.md.\n';

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { json: { type: 'boolean', default: false }, verbose: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help || positionals.length === 0) {
    process.stdout.write(USAGE);
    return values.help ? 0 : 2;
  }
  const log = pino({ level: values.verbose ? 'info' : 'silent' }, pino.destination(2));
  const district: DistrictView = loadConfig({ env: {} });
  const reports: ScenarioReport[] = [];
  for (const file of positionals) {
    let scenario;
    try {
      scenario = loadScenario(file, district);
    } catch (err) {
      if (!(err instanceof ScenarioError)) throw err;
      process.stderr.write(`${err.message}\n`);
      return 2;
    }
    try {
      // The overrides must make a valid configuration; say so before starting anything.
      loadConfig({ env: {}, overrides: scenario.config });
    } catch (err) {
      if (!isGatewayError(err)) throw err;
      const lines = err.details.length > 0 ? err.details : [`/: ${err.message}`];
      process.stderr.write(`configuration overrides are invalid: ${file}\n${lines.map((d) => `  /config${d}\n`).join('')}`);
      return 2;
    }
    const report = await runScenario(scenario, { log });
    reports.push(report);
    if (!values.json) process.stdout.write(formatReport(report));
  }
  if (values.json) process.stdout.write(reportJson(reports.length === 1 ? (reports[0] as ScenarioReport) : reports));
  return reports.every((r) => r.passed) ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`scenario runner failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
