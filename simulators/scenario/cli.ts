/**
 * npx tsx simulators/scenario/cli.ts scenarios/<name>.yaml [more.yaml…] [--json] [--verbose]
 *                                 [--set NAME=value…] [--url http://host:port [--user tester]]
 * Runs each scenario against an in-process gateway with its simulators, or with --url against
 * a running gateway started with --simulate (password in $GATEWAY_PASSWORD); prints the report;
 * exit 0 when every scenario passed, 1 when one failed, 2 when one cannot be run.
 */
import { parseArgs } from 'node:util';
import pino from 'pino';
import { loadConfig } from '../../gateway/config/load.js';
import { isGatewayError } from '../../gateway/contract/errors.js';
import { loadScenario, type DistrictView, type ScenarioVars } from './loader.js';
import { remoteProblems, remoteRefusal, runScenarioRemote } from './remote.js';
import { formatReport, reportJson } from './report.js';
import { runScenario, type ScenarioReport } from './runner.js';
import type { Scenario } from './schema.js';

const USAGE =
  'Usage: tsx simulators/scenario/cli.ts <scenario.yaml>… [--json] [--verbose] [--url <gateway> [--user <name>]]\n' +
  '  --json     print a machine-readable report (an object; an array for several files)\n' +
  '  --verbose  gateway and simulator logs on stderr (level info)\n' +
  '  --set      NAME=value for ${NAME:-default} in the files (else the environment), e.g.\n' +
  '             --set CHAOS_INFLUX_DOWN_SECONDS=60 (repeatable)\n' +
  '  --url      play against a running gateway started with --simulate (e.g. http://127.0.0.1:8080)\n' +
  '             instead of starting one; the password of --user is read from $GATEWAY_PASSWORD\n' +
  '  --user     who to log in as with --url (default tester; broadcast expectations need broadcasts:read)\n' +
  'Exit status: 0 all passed, 1 an expectation failed, 2 a scenario cannot be run (invalid file, or\n' +
  'with --url: a feature that needs the in-process mode, refused login or permission, no --simulate).\n' +
  'The format is documented in scenarios/README.md.\n';

/** Why a file cannot run (exit 2), or the scenario. */
function load(file: string, district: DistrictView, remote: boolean, vars: ScenarioVars): Scenario | string {
  let scenario: Scenario;
  try {
    scenario = loadScenario(file, district, vars);
  } catch (err) {
    if (!isGatewayError(err, 'GW_ERR_SCENARIO_INVALID')) throw err;
    return err.message;
  }
  if (remote) {
    const problems = remoteProblems(scenario);
    return problems.length > 0 ? remoteRefusal(file, problems).message : scenario;
  }
  try {
    // The overrides must make a valid configuration; say so before starting anything.
    loadConfig({ env: {}, overrides: scenario.config });
  } catch (err) {
    if (!isGatewayError(err)) throw err;
    const lines = err.details.length > 0 ? err.details : [`/: ${err.message}`];
    return `configuration overrides are invalid: ${file}\n${lines.map((d) => `  /config${d}`).join('\n')}`;
  }
  return scenario;
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      verbose: { type: 'boolean', default: false },
      url: { type: 'string' },
      user: { type: 'string', default: 'tester' },
      set: { type: 'string', multiple: true, default: [] },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || positionals.length === 0) {
    process.stdout.write(USAGE);
    return values.help ? 0 : 2;
  }
  const log = pino({ level: values.verbose ? 'info' : 'silent' }, pino.destination(2));
  const url = values.url;
  const password = process.env.GATEWAY_PASSWORD;
  if (url !== undefined) {
    try {
      new URL(url);
    } catch {
      process.stderr.write(`--url is not a URL: '${url}'\n`);
      return 2;
    }
    if (!password) {
      // Never guessed: a wrong guess counts towards the account's lockout on a real gateway.
      process.stderr.write(`--url needs the password of '${values.user}' in $GATEWAY_PASSWORD (the simulated district's demo password is demo-pass-${values.user})\n`);
      return 2;
    }
  }
  // With --url, GATEWAY_CONFIG (as the gateway was started with) gives the same district view.
  const district: DistrictView = loadConfig(url !== undefined ? { env: { GATEWAY_CONFIG: process.env.GATEWAY_CONFIG } } : { env: {} });
  const vars: Record<string, string | undefined> = { ...process.env };
  for (const pair of values.set ?? []) {
    const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(pair);
    if (!m) {
      process.stderr.write(`--set takes NAME=value (NAME in capitals), got '${pair}'\n`);
      return 2;
    }
    vars[m[1] as string] = m[2];
  }
  // Every file is checked before anything runs.
  const scenarios: Scenario[] = [];
  for (const file of positionals) {
    const loaded = load(file, district, url !== undefined, vars);
    if (typeof loaded === 'string') {
      process.stderr.write(`${loaded}\n`);
      return 2;
    }
    scenarios.push(loaded);
  }
  const reports: ScenarioReport[] = [];
  for (const scenario of scenarios) {
    let report: ScenarioReport;
    if (url !== undefined && password) {
      try {
        report = await runScenarioRemote(scenario, { url, user: values.user, password, log, district });
      } catch (err) {
        if (!isGatewayError(err, 'GW_ERR_SCENARIO_REMOTE_REFUSED')) throw err;
        process.stderr.write(`${err.message}\n`);
        return 2;
      }
    } else {
      report = await runScenario(scenario, { log });
    }
    reports.push(report);
    if (!values.json) process.stdout.write(formatReport(report));
  }
  if (values.json) process.stdout.write(reportJson(reports.length === 1 ? (reports[0] as ScenarioReport) : reports));
  return reports.every((r) => r.passed) ? 0 : 1;
}

/**
 * The report is out: the process should end by itself now. If something the run started is still
 * open after a few seconds (seen once after a 12-minute InfluxDB run), say what and end anyway:
 * a tester's terminal must not hang on a finished run.
 */
function exitSoon(code: number): void {
  process.exitCode = code;
  setTimeout(() => {
    const open = process.getActiveResourcesInfo().filter((r) => r !== 'Timeout');
    process.stderr.write(`scenario runner: still open after the report (${open.join(', ') || 'timers'}); exiting\n`);
    process.exit(code);
  }, 5000).unref();
}

main().then(exitSoon, (err: unknown) => {
  process.stderr.write(`scenario runner failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  exitSoon(1);
});
