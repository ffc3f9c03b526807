/**
 * The chaos scenarios (issue 18 §6) in their short form, against a real in-process gateway, a
 * real influxd and the simulators: InfluxDB killed under district load, the SMS centre refusing
 * every submit, the 110 primary black-holing TCP. Each must meet its expectations and print its
 * figures. The full-length runs are commands of their own (scenarios/README.md).
 */
import { execFile } from 'node:child_process';
import { connect, createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../../gateway/config/load.js';
import { startBlackholeListener } from '../../../../simulators/blackhole-listener.js';
import { loadScenario } from '../../../../simulators/scenario/loader.js';
import { remoteProblems } from '../../../../simulators/scenario/remote.js';
import { formatReport } from '../../../../simulators/scenario/report.js';
import { runScenario, type ScenarioReport } from '../../../../simulators/scenario/runner.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const DIR = join(ROOT, 'scenarios');
const district = loadConfig({ env: {} });
const log = pino({ level: process.env.TEST_LOG ?? 'silent' });

const verdicts = (r: ScenarioReport): Record<string, string> => Object.fromEntries(r.expectations.map((e) => [e.label, e.verdict]));
const allPass = (r: ScenarioReport, except: string[] = []): Record<string, string> =>
  Object.fromEntries(r.expectations.map((e) => [e.label, except.includes(e.label) ? e.verdict : 'pass']));

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(join(ROOT, 'node_modules/.bin/tsx'), ['simulators/scenario/cli.ts', ...args], { cwd: ROOT, timeout: 90_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** Connects to host:port; resolves with what happened first: connected, refused (RST), or nothing within `ms`. */
function probeConnect(port: number, ms: number): Promise<'connected' | 'refused' | 'no answer'> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.setTimeout(ms);
    s.once('connect', () => {
      s.destroy();
      resolve('connected');
    });
    s.once('error', () => resolve('refused'));
    s.once('timeout', () => {
      s.destroy();
      resolve('no answer');
    });
  });
}

describe('black hole listener', () => {
  it('gives a new connection neither SYN-ACK nor RST while it runs, and frees the port when stopped', async () => {
    const free = createServer();
    await new Promise<void>((resolve) => free.listen(0, '127.0.0.1', resolve));
    const port = (free.address() as AddressInfo).port;
    await new Promise<void>((resolve) => free.close(() => resolve()));
    const hole = await startBlackholeListener('127.0.0.1', port);
    try {
      expect(await probeConnect(port, 1500)).toBe('no answer');
    } finally {
      await hole.stop();
    }
    expect(await probeConnect(port, 5000)).toBe('refused');
  }, 30_000);
});

describe('chaos scenarios (short form)', () => {
  it('are refused against a running gateway (--url): what they kill and measure is in process', () => {
    const problems = remoteProblems(loadScenario(join(DIR, 'chaos-influx-down.yaml'), district));
    expect(problems.filter((p) => /^\/(influx|probe|expect\/0\/figure):/.test(p))).toHaveLength(3);
  });

  it('chaos-influx-down: InfluxDB killed under district load; every acknowledged reading stored, no press lost', async () => {
    const scenario = loadScenario(join(DIR, 'chaos-influx-down.yaml'), district, {
      CHAOS_BEFORE_SECONDS: '4',
      CHAOS_INFLUX_DOWN_SECONDS: '6',
      CHAOS_AFTER_SECONDS: '3',
      CHAOS_PROBE_SECONDS: '0.5',
    });
    expect(scenario.steps.map((s) => [s.at, s.text])).toStrictEqual([
      [4, 'influx down'],
      [10, 'influx up'],
    ]);
    // Fewer schools than the full run: the same paths, a shorter setup.
    scenario.sites = ['psb-chengdong', 'sch-01', 'sch-02', 'sch-03', 'sch-04', 'sch-05'];
    const report = await runScenario(scenario, { log, drainTimeoutMs: 60_000 });
    const f = report.figures ?? {};
    // p99 during vs before is a speed figure (bench territory on a shared machine): judged and printed, not asserted here.
    const p99 = 'figure press110.during.p99Ms <= press110.before.p99Ms x 2 + 50';
    expect(verdicts(report)).toStrictEqual(allPass(report, [p99]));
    expect(f['telemetry.stored']).toBe(f['telemetry.acknowledged']);
    expect(f['telemetry.devices']).toBeGreaterThanOrEqual(5);
    expect(f['press110.during.presses']).toBeGreaterThan(0);
    for (const k of ['press110.before.p99Ms', 'press110.during.p99Ms', 'telemetry.maxSpooled', 'telemetry.lost']) expect(formatReport(report)).toContain(k);
    expect(report.steps.every((s) => s.error === undefined && s.finishedAt !== undefined)).toBe(true);
  }, 120_000);

  it('chaos-sms-refused (CLI, --set, --json): radio carries it, retries bounded, the failure reaches the board with its reason', async () => {
    const run = await cli(['scenarios/chaos-sms-refused.yaml', '--set', 'CHAOS_SMS_RETRY_BACKOFF_MS=200', '--json']);
    expect(run.stderr).toBe('');
    const report = JSON.parse(run.stdout) as ScenarioReport;
    expect(verdicts(report)).toStrictEqual(allPass(report));
    expect(run.code).toBe(0);
    const failed = report.expectations.find((e) => e.kind === 'broadcast-failed')?.fact;
    expect(failed).toMatchObject({ kind: 'broadcast-failed', channel: 'sms', group: 'school-contacts', reason: 'SUBMIT_REJECTED' });
    expect(failed?.kind === 'broadcast-failed' ? failed.detail : undefined).toMatch(/ESME_RSUBMITFAIL.*after 5 attempts/);
    expect(report.figures).toMatchObject({ 'sms.accepted': 0, 'sms.maxAttempts': 5, 'sms.maxSubmitsPerPart': 5, 'broadcast.failed.sms': 1 });
  }, 120_000);

  it('chaos-110-blackhole: the primary swallows everything; every press reaches the secondary within the reporting time', async () => {
    const scenario = loadScenario(join(DIR, 'chaos-110-blackhole.yaml'), district, { CHAOS_BLACKHOLE_SECONDS: '8' });
    const report = await runScenario(scenario, { log });
    expect(verdicts(report)).toStrictEqual(allPass(report));
    const f = report.figures ?? {};
    expect(f['link.reportingTimeMs']).toBe(11_000);
    expect(f['press110.blackhole.viaSecondary']).toBeGreaterThan(0);
    expect(formatReport(report)).toMatch(/press110\.blackhole\.maxMs\s+[\d,.]+/);
  }, 120_000);
});
