import { execFile } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckResult } from '../../../gateway/contract/adapter.js';
import type { CheckCapable } from '../../../gateway/core/sweeps/check.js';
import { EXIT_ERROR, EXIT_FAULTS, EXIT_OK, runSweepCli, type CliIo } from '../../../gateway/sweep-cli.js';
import { startGateway, tempDir, type TestGateway } from '../../helpers/gateway.js';
import { startSweepApi, type SweepApi } from './harness.js';

const run = promisify(execFile);

function io(): CliIo & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s), isTTY: false },
    env: {},
    fetch: globalThis.fetch,
    writeFile: async (path, data) => {
      const { writeFile } = await import('node:fs/promises');
      await writeFile(path, data, 'utf8');
    },
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    out: () => out,
    err: () => err,
  };
}

describe('npm run sweep (CLI)', () => {
  let t: TestGateway;
  let api: SweepApi;
  const dir = tempDir('sweep-cli-');
  // sch-05's first button has a fault; everything else is fine.
  const adapter: CheckCapable = {
    check: async (d): Promise<CheckResult> =>
      d.id === 'sch-05-btn-1' ? { status: 'degraded', reasons: [{ code: 'sim-suspended', detail: 'arrears' }], evidence: {} } : { status: 'ok', reasons: [], evidence: { latencyMs: 3 } },
  };

  beforeAll(async () => {
    t = await startGateway();
    api = await startSweepApi(t, { adapters: new Map([['mqtt-native', adapter]]) });
  });
  afterAll(async () => {
    await api?.close();
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('exits 0 when every device is ok, printing progress lines (not a TTY) and the summary', async () => {
    const x = io();
    expect(await runSweepCli(['--school', 'sch-04', '--kind', 'alarm-button', '--url', api.baseUrl], x)).toBe(EXIT_OK);
    expect(x.err()).toMatch(/^sweep sw-\S+: 2 devices\n(progress \d\/2\n)+$/);
    expect(x.out()).toContain('设备 Devices: 2/2 checked, 2 ok, 0 failing');
  });

  it("logs in to the gateway itself as the operator from $GATEWAY_USER / $GATEWAY_PASSWORD, and exits 2 without a login", async () => {
    const anonymous = io();
    expect(await runSweepCli(['--device', 'sch-04-btn-1', '--url', t.baseUrl], anonymous)).toBe(EXIT_ERROR);
    expect(anonymous.err()).toMatch(/starting the sweep failed \(HTTP 401\) GW_ERR_UNAUTHENTICATED/);
    const tech = { ...io(), env: { GATEWAY_USER: 'tech', GATEWAY_PASSWORD: 'demo-pass-tech' } };
    const code = await runSweepCli(['--device', 'sch-04-btn-1', '--url', t.baseUrl], tech);
    // Logged in, the sweep runs; the button is not connected in this test, so it is reported faulty.
    expect([code, tech.err()]).toStrictEqual([EXIT_FAULTS, expect.stringMatching(/^sweep sw-\S+: 1 devices\n/)]);
    expect((await t.gw.store.auditEntries({ action: 'sweep.start' })).at(-1)?.actor).toBe('tech');
  });

  it('exits 1 when faults are found, writes the CSV report (with BOM) to --out and the table to stdout', async () => {
    const x = io();
    const out = join(dir, 'r.csv');
    expect(await runSweepCli(['-s', 'sch-05,sch-06', '-k', 'alarm-button', '-u', api.baseUrl, '-f', 'csv', '-o', out], x)).toBe(EXIT_FAULTS);
    const csv = readFileSync(out);
    expect([...csv.subarray(0, 3)]).toStrictEqual([0xef, 0xbb, 0xbf]);
    expect(csv.toString('utf8')).toContain('sim-suspended SIM 卡停机（欠费）: arrears');
    expect(x.out()).toContain('学校 Schools: 1 of 2 with faults');
    expect(x.out()).toMatch(/sch-05-btn-1\s+sch-05\s+degraded\s+sim-suspended \(arrears\)/);
  });

  it('exits 2 on errors: unknown school, bad arguments, gateway unreachable; --help exits 0', async () => {
    const unknown = io();
    expect(await runSweepCli(['--school', 'sch-99', '--url', api.baseUrl], unknown)).toBe(EXIT_ERROR);
    expect(unknown.err()).toContain("starting the sweep failed (HTTP 400) GW_ERR_SWEEP_SELECTION: sweep selection is invalid: unknown site 'sch-99'");
    const badFormat = io();
    expect(await runSweepCli(['--format', 'pdf'], badFormat)).toBe(EXIT_ERROR);
    expect(badFormat.err()).toContain('--format must be one of table, json, csv, html');
    const badKind = io();
    expect(await runSweepCli(['--kind', 'toaster'], badKind)).toBe(EXIT_ERROR);
    const unknownFlag = io();
    expect(await runSweepCli(['--schol', 'sch-01'], unknownFlag)).toBe(EXIT_ERROR);
    const down = io();
    expect(await runSweepCli(['--url', 'http://127.0.0.1:9'], down)).toBe(EXIT_ERROR);
    expect(down.err()).toContain('cannot reach the gateway at http://127.0.0.1:9');
    const help = io();
    expect(await runSweepCli(['--help'], help)).toBe(EXIT_OK);
    expect(help.out()).toContain('用法 Usage: npm run sweep -- [options]');
  });

  it('runs as a command: the process exit code is the verdict', async () => {
    const tsx = join(process.cwd(), 'node_modules', '.bin', 'tsx');
    const ok = await run(tsx, ['gateway/sweep-cli.ts', '--device', 'sch-07-btn-2', '--url', api.baseUrl, '--format', 'json']);
    expect(JSON.parse(ok.stdout)).toMatchObject({ version: 1, sweep: { state: 'done', trigger: 'cli', summary: { ok: 1 } } });
    const faulty = await run(tsx, ['gateway/sweep-cli.ts', '--device', 'sch-05-btn-1', '--url', api.baseUrl]).catch((e: { code: number; stdout: string }) => e);
    expect('code' in faulty ? faulty.code : 0).toBe(EXIT_FAULTS);
  });
});
