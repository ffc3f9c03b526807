/**
 * `npm run sweep -- --school sch-01 [--kind alarm-button] [--url http://127.0.0.1:8080]
 *  [--format table|json|csv|html] [--out file]`: asks a running gateway for a health sweep,
 * shows its progress, prints the summary. Exit code 0: every device ok; 1: faults found;
 * 2: the sweep could not be run (bad arguments, gateway unreachable, cancelled).
 */
import { writeFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { GatewayError, isGatewayError } from './contract/errors.js';
import { DEVICE_KINDS } from './contract/vocabulary.js';
import type { SweepView } from './core/sweeps/schemas.js';
import type { SweepReport } from './reports/report-model.js';
import { renderTable } from './reports/report-table.js';

export const EXIT_OK = 0;
export const EXIT_FAULTS = 1;
export const EXIT_ERROR = 2;

export interface CliOutput {
  write(text: string): unknown;
  isTTY?: boolean;
}

export interface CliIo {
  stdout: CliOutput;
  stderr: CliOutput;
  env: Record<string, string | undefined>;
  fetch: typeof fetch;
  writeFile(path: string, data: string): Promise<void>;
  sleep(ms: number): Promise<void>;
  /** Aborted on Ctrl-C: the CLI cancels the sweep on the gateway and exits 2. */
  interrupt?: AbortSignal;
}

export const HELP = `用法 Usage: npm run sweep -- [options]

巡检一组设备并输出报告 / Run a health sweep on a running gateway and report.

选择 Selection (every given filter must hold; none = every device):
  -s, --school <id>     school (site) id; repeat or comma-separate: --school sch-01,sch-02
  -k, --kind <kind>     ${DEVICE_KINDS.join(' | ')}; repeatable
  -d, --device <id>     device id; repeatable
      --district <id>   district id

Options:
  -u, --url <url>       gateway base URL (default $GATEWAY_URL or http://127.0.0.1:8080)
  -f, --format <f>      table | json | csv | html (default table)
  -o, --out <file>      write the report there (the summary table still goes to stdout)
      --concurrency <n> checks at once (gateway default 16)
      --timeout <ms>    per-check deadline (gateway default 15000)
      --extra <name>    optional extra check, e.g. button-self-test; repeatable
      --name <text>     label shown in the report
      --user <name>     operator to log in as (default $GATEWAY_USER; password from $GATEWAY_PASSWORD)
  -h, --help            this text

Exit: 0 all ok · 1 faults found · 2 error (bad arguments, gateway unreachable, cancelled)
`;

const FORMATS = ['table', 'json', 'csv', 'html'] as const;
type Format = (typeof FORMATS)[number];

const list = (values: string[] | undefined) => (values ?? []).flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);

function parse(argv: string[], env: CliIo['env']) {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      school: { type: 'string', short: 's', multiple: true },
      kind: { type: 'string', short: 'k', multiple: true },
      device: { type: 'string', short: 'd', multiple: true },
      district: { type: 'string' },
      url: { type: 'string', short: 'u' },
      format: { type: 'string', short: 'f', default: 'table' },
      out: { type: 'string', short: 'o' },
      concurrency: { type: 'string' },
      timeout: { type: 'string' },
      extra: { type: 'string', multiple: true },
      name: { type: 'string' },
      user: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const format = values.format as Format;
  if (!FORMATS.includes(format)) throw new GatewayError('GW_ERR_CLI_USAGE', `--format must be one of ${FORMATS.join(', ')}`);
  const kinds = list(values.kind);
  const badKind = kinds.find((k) => !(DEVICE_KINDS as readonly string[]).includes(k));
  if (badKind) throw new GatewayError('GW_ERR_CLI_USAGE', `unknown kind '${badKind}' (${DEVICE_KINDS.join(', ')})`);
  const int = (name: string, v: string | undefined) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new GatewayError('GW_ERR_CLI_USAGE', `--${name} must be a positive integer`);
    return n;
  };
  const body: Record<string, unknown> = { trigger: 'cli' };
  const sites = list(values.school);
  const devices = list(values.device);
  const extras = list(values.extra);
  if (sites.length) body.sites = sites;
  if (kinds.length) body.kinds = kinds;
  if (devices.length) body.devices = devices;
  if (extras.length) body.extras = extras;
  if (values.district) body.district = values.district;
  if (values.name) body.name = values.name;
  const concurrency = int('concurrency', values.concurrency);
  const timeoutMs = int('timeout', values.timeout);
  if (concurrency !== undefined) body.concurrency = concurrency;
  if (timeoutMs !== undefined) body.timeoutMs = timeoutMs;
  const url = (values.url ?? env.GATEWAY_URL ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
  const user = values.user ?? env.GATEWAY_USER;
  const password = env.GATEWAY_PASSWORD;
  if (user && !password) throw new GatewayError('GW_ERR_CLI_USAGE', 'set GATEWAY_PASSWORD for the operator (never on the command line)');
  return { help: values.help === true, url, format, out: values.out, body, ...(user && password ? { login: { username: user, password } } : {}) };
}

function progressBar(done: number, total: number, width = 30): string {
  const share = total > 0 ? done / total : 0;
  const full = Math.round(share * width);
  return `[${'#'.repeat(full)}${'.'.repeat(width - full)}] ${done}/${total} ${Math.floor(share * 100)}%`;
}

export async function runSweepCli(argv: string[], io: CliIo): Promise<number> {
  let opts;
  try {
    opts = parse(argv, io.env);
  } catch (err) {
    io.stderr.write(`sweep: ${(err as Error).message}\n\n${HELP}`);
    return EXIT_ERROR;
  }
  if (opts.help) {
    io.stdout.write(HELP);
    return EXIT_OK;
  }
  let token: string | undefined;
  const api = async (method: 'GET' | 'POST', path: string, body?: unknown): Promise<Response> => {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (token) headers.authorization = `Bearer ${token}`;
    try {
      return await io.fetch(`${opts.url}${path}`, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new GatewayError('GW_ERR_CLI_REQUEST', `cannot reach the gateway at ${opts.url}: ${cause?.code ?? cause?.message ?? (err as Error).message}`);
    }
  };
  const failWith = async (res: Response, what: string) => {
    const text = await res.text();
    let message = text.slice(0, 500);
    try {
      const j = JSON.parse(text) as { code?: string; message?: string };
      message = `${j.code ?? res.status}: ${j.message ?? text}`;
    } catch {
      // not JSON: show the text as it came
    }
    return new GatewayError('GW_ERR_CLI_REQUEST', `${what} failed (HTTP ${res.status}) ${message}`);
  };

  let sweepId: string | undefined;
  let cancelled = false;
  const onInterrupt = () => {
    cancelled = true;
    if (sweepId) void api('POST', `/api/sweeps/${sweepId}/cancel`, {}).catch(() => undefined);
  };
  io.interrupt?.addEventListener('abort', onInterrupt, { once: true });
  try {
    if (opts.login) {
      const res = await api('POST', '/api/auth/login', opts.login);
      if (res.status !== 200) throw await failWith(res, `logging in as ${opts.login.username}`);
      token = ((await res.json()) as { token: string }).token;
    }
    const started = await api('POST', '/api/sweeps', opts.body);
    if (started.status !== 202) throw await failWith(started, 'starting the sweep');
    const { id, total } = (await started.json()) as { id: string; total: number };
    sweepId = id;
    if (cancelled) onInterrupt();
    io.stderr.write(`sweep ${id}: ${total} devices\n`);
    const tty = io.stderr.isTTY === true;
    let lastDone = -1;
    let view: SweepView;
    for (;;) {
      const res = await api('GET', `/api/sweeps/${id}?results=none`);
      if (res.status !== 200) throw await failWith(res, 'reading the sweep');
      view = (await res.json()) as SweepView;
      if (view.progress.done !== lastDone) {
        lastDone = view.progress.done;
        io.stderr.write(tty ? `\r${progressBar(view.progress.done, view.progress.total)}` : `progress ${view.progress.done}/${view.progress.total}\n`);
      }
      if (view.state !== 'running') break;
      await io.sleep(250);
    }
    if (tty) io.stderr.write('\n');

    const reportRes = await api('GET', `/api/sweeps/${id}/report.json`);
    if (reportRes.status !== 200) throw await failWith(reportRes, 'fetching the report');
    const report = (await reportRes.json()) as SweepReport;
    const table = renderTable(report);
    if (opts.format === 'table') {
      if (opts.out) await io.writeFile(opts.out, table);
      io.stdout.write(table);
    } else {
      const res = await api('GET', `/api/sweeps/${id}/report.${opts.format}`);
      if (res.status !== 200) throw await failWith(res, `fetching the ${opts.format} report`);
      const text = await res.text();
      if (opts.out) {
        // fetch's text() drops the BOM; put it back so Excel still reads the CSV as UTF-8.
        await io.writeFile(opts.out, opts.format === 'csv' && !text.startsWith('\uFEFF') ? `\uFEFF${text}` : text);
        io.stdout.write(table);
        io.stderr.write(`report written to ${opts.out}\n`);
      } else {
        io.stdout.write(text);
      }
    }
    if (view.state === 'cancelled') {
      io.stderr.write(`sweep ${id} was cancelled${view.cancelReason ? `: ${view.cancelReason}` : ''}\n`);
      return EXIT_ERROR;
    }
    return (report.sweep.summary?.failing ?? 0) > 0 ? EXIT_FAULTS : EXIT_OK;
  } catch (err) {
    io.stderr.write(`sweep: ${isGatewayError(err) ? err.message : (err as Error).stack ?? String(err)}\n`);
    return EXIT_ERROR;
  } finally {
    io.interrupt?.removeEventListener('abort', onInterrupt);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const interrupt = new AbortController();
  process.once('SIGINT', () => interrupt.abort());
  const code = await runSweepCli(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    fetch: globalThis.fetch,
    writeFile: (path, data) => writeFile(path, data, 'utf8'),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    interrupt: interrupt.signal,
  });
  process.exitCode = code;
}
