/**
 * The quick guard (`npm run bench -- quick`, about 90 s): short runs of press-110, connections
 * and telemetry-ingest, each figure printed beside the last `quick` run recorded on this machine
 * (same CPU count and model) as a ratio, so a change that slows the alarm path or grows the
 * per-device cost shows before the long benchmarks are run. Not part of the test suite: the
 * figures depend on the machine's load (printed with them), and a ratio is a hint, not a verdict.
 */
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { benchmark as connections } from './connections.bench.js';
import { RUNTIME_OPTION } from './lib/broker-process.js';
import { defineBenchmark, parseOptions, type BenchContext, type BenchResult, type Benchmark, type MetricValue, type OptionSpecs } from './lib/harness.js';
import { benchmark as press110 } from './press-110.bench.js';
import { benchmark as ingest } from './telemetry-ingest.bench.js';

interface Part {
  name: string;
  bench: Benchmark<OptionSpecs>;
  args: string[];
  /** Figure in the quick record ← metric of the part's result. */
  pick: Record<string, string>;
  /** Larger is better (a ratio below 1 is the regression) for these figures. */
  higherIsBetter?: string[];
}

const PARTS: Part[] = [
  {
    name: 'press-110',
    bench: press110 as unknown as Benchmark<OptionSpecs>,
    args: ['--devices', '1000', '--presses', '100', '--warmup', '5', '--workers', '1'],
    pick: { 'press.p50Ms': 'recordP50Ms', 'press.p99Ms': 'recordP99Ms', 'press.lost': 'lost', 'press.forwardAckedP99Ms': 'forwardAckedP99Ms', 'press.gatewayRssMB': 'gatewayRssMB' },
  },
  {
    name: 'connections',
    bench: connections as unknown as Benchmark<OptionSpecs>,
    args: ['--devices', '2000', '--heartbeat', '10', '--connect-timeout', '120'],
    pick: {
      'connections.gatewayRssMB': 'gateway.rssRoundMB',
      'connections.bareRssMB': 'bare.rssRoundMB',
      'connections.gatewayConnectSeconds': 'gateway.connectSeconds',
      'connections.gatewayCpuConnectSeconds': 'gateway.cpuConnectSeconds',
      'connections.bareCpuConnectSeconds': 'bare.cpuConnectSeconds',
    },
  },
  {
    name: 'telemetry-ingest',
    bench: ingest as unknown as Benchmark<OptionSpecs>,
    args: ['--devices', '500', '--rates', '2000', '--seconds', '5', '--workers', '1', '--targets', 'embedded,bare'],
    pick: { 'ingest.embeddedAckedPerSecond': 'embedded.2000.ackedPerSecond', 'ingest.bareAckedPerSecond': 'bare.2000.ackedPerSecond', 'ingest.embeddedAcked': 'embedded.totalAcked', 'ingest.embeddedStored': 'embedded.stored' },
    higherIsBetter: ['ingest.embeddedAckedPerSecond', 'ingest.bareAckedPerSecond'],
  },
];

/**
 * The metrics of the last quick run on a machine like this one with the brokers run the same
 * way (`--runtime`; runs recorded before the option existed ran them through tsx), if any.
 */
export function lastQuickRun(resultsFile: string, machine: { cpus: number; model: string }, runtime: string): Record<string, MetricValue> | undefined {
  if (!existsSync(resultsFile)) return undefined;
  let last: Record<string, MetricValue> | undefined;
  for (const line of readFileSync(resultsFile, 'utf8').split('\n')) {
    if (!line.includes('"name":"quick"')) continue;
    try {
      const r = JSON.parse(line) as { name: string; machine?: { cpus: number; model: string }; params?: { runtime?: string }; metrics: Record<string, MetricValue> };
      if (r.name === 'quick' && r.machine?.cpus === machine.cpus && r.machine.model === machine.model && (r.params?.runtime ?? 'tsx') === runtime) last = r.metrics;
    } catch {
      // a torn line (an interrupted run) is skipped
    }
  }
  return last;
}

/** "1.07×" for numbers on both sides, else "—". */
export function ratio(now: MetricValue, before: MetricValue | undefined): string {
  if (typeof now !== 'number' || typeof before !== 'number' || before === 0) return '—';
  return `${(now / before).toFixed(2)}×`;
}

export const benchmark = defineBenchmark({
  description: 'short press-110, connections and telemetry-ingest runs, each figure beside the last quick run on this machine (≤ ~90 s)',
  options: {
    only: { default: '', description: 'comma-separated parts to run (press-110, connections, telemetry-ingest); all when empty' },
    runtime: RUNTIME_OPTION,
  },
  async run(opts, ctx: BenchContext): Promise<BenchResult> {
    const wanted = opts.only ? new Set(opts.only.split(',').map((s) => s.trim())) : undefined;
    const before = lastQuickRun(join(ctx.root, 'bench', 'results.jsonl'), { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown' }, opts.runtime);
    const metrics: Record<string, MetricValue> = {};
    const started = Date.now();
    for (const part of PARTS) {
      if (wanted && !wanted.has(part.name)) continue;
      const args = [...part.args, '--runtime', opts.runtime];
      ctx.log(`quick: ${part.name} ${args.join(' ')}`);
      const t0 = Date.now();
      const result = await part.bench.run(parseOptions(part.bench.options, args), ctx);
      for (const [key, metric] of Object.entries(part.pick)) metrics[key] = result.metrics[metric] ?? null;
      metrics[`${part.name}.seconds`] = Math.round((Date.now() - t0) / 1000);
    }
    const g = metrics['connections.gatewayRssMB'];
    const b = metrics['connections.bareRssMB'];
    if (typeof g === 'number' && typeof b === 'number' && b > 0) metrics['connections.rssRatio'] = Math.round((g / b) * 100) / 100;
    const gc = metrics['connections.gatewayCpuConnectSeconds'];
    const bc = metrics['connections.bareCpuConnectSeconds'];
    if (typeof gc === 'number' && typeof bc === 'number' && bc > 0) metrics['connections.cpuConnectRatio'] = Math.round((gc / bc) * 100) / 100;
    const ge = metrics['ingest.embeddedAckedPerSecond'];
    const be = metrics['ingest.bareAckedPerSecond'];
    if (typeof ge === 'number' && typeof be === 'number' && be > 0) metrics['ingest.embeddedToBare'] = Math.round((ge / be) * 100) / 100;
    metrics.totalSeconds = Math.round((Date.now() - started) / 1000);

    const higher = new Set(PARTS.flatMap((p) => p.higherIsBetter ?? []));
    const rows = Object.entries(metrics).map(([k, v]) => [k, v === null ? '—' : String(v), before?.[k] === undefined || before[k] === null ? '—' : String(before[k]), ratio(v, before?.[k]) + (higher.has(k) ? ' (higher is better)' : '')]);
    const acked = metrics['ingest.embeddedAcked'];
    const stored = metrics['ingest.embeddedStored'];
    return {
      metrics,
      tables: [{ title: before ? `quick: this run, the last quick run on this machine (runtime ${opts.runtime}), ratio` : `quick: this run (no earlier quick run on this machine with runtime ${opts.runtime} to compare with)`, columns: ['figure', 'now', 'before', 'now ÷ before'], rows }],
      targets: [
        ...(typeof metrics['press.lost'] === 'number' ? [{ name: 'no press lost', met: metrics['press.lost'] === 0, detail: `${metrics['press.lost']} lost` }] : []),
        ...(typeof acked === 'number' && typeof stored === 'number' ? [{ name: 'every acknowledged reading stored (embedded)', met: stored >= acked, detail: `${stored} stored of ${acked} acknowledged` }] : []),
      ],
      notes: ['figures depend on the machine and its load (printed above); compare runs made in similar conditions'],
    };
  },
});
