/**
 * camera-sweep (issue 7): a health sweep of N simulated ONVIF cameras (default 1,000) through
 * the real camera-onvif adapter, as a technician's sweep runs it: every camera checked once,
 * `concurrency` at a time, each check the whole ONVIF + RTSP + ffmpeg decode + picture analysis.
 *
 * The camera fleet simulator (simulators/camera-onvif/cli.ts: one ONVIF HTTP server, one RTSP
 * server, one H.264 encoder shared by every camera) runs in its own process, so its cost is
 * measured apart from the adapter's. The adapter runs in this process with a counting context.
 * Figures: cameras checked and their verdicts, wall time, check latency, CPU per camera of the
 * adapter (this process) and of its ffmpeg children (reaped: /proc/self/stat cutime+cstime),
 * ffmpeg processes started (counted by a wrapper) and at most at once (/proc scan), and the
 * simulator's own CPU (its node process and its encoders).
 */
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import pino from 'pino';
import { cameraOnvifAdapter, cameraOnvifConfig } from '../adapters/camera-onvif/index.js';
import type { AdapterContext, CheckResult, DeviceRegistry, MqttBus } from '../gateway/contract/adapter.js';
import { systemClock } from '../gateway/contract/clock.js';
import type { Device } from '../gateway/contract/types.js';
import { BenchError, defineBenchmark, type BenchContext, type MetricValue } from './lib/harness.js';
import { MB, sampleProcess, sleep, spawnNode, stopProcess } from './lib/processes.js';
import { percentile, round } from './lib/stats.js';

const options = {
  cameras: { default: 1000, min: 1, description: 'simulated cameras, each checked once' },
  concurrency: { default: 4, min: 1, description: 'cameras checked at once (the adapter\'s `concurrency`; each runs one ffmpeg)' },
  size: { default: '640x360', description: 'simulated picture size (a sub-stream; a main stream decodes dearer)' },
  fps: { default: 15, min: 1, description: 'simulated frame rate' },
  probeSeconds: { default: 1.5, min: 0.2, description: 'seconds of video each check decodes (the adapter default)' },
  checkTimeoutMs: { default: 20_000, min: 1000, description: 'per-check deadline (the adapter default)' },
  offline: { default: 0, min: 0, description: 'cameras put offline first (they hang until the deadline)' },
  budgetSeconds: { default: 0, min: 0, description: 'stop starting checks after this long (0: check them all)' },
} as const;

/** A context that only counts: no core, no broker. */
function countingContext(devices: Device[], dataDir: string): AdapterContext & { conditions: number } {
  const byId = new Map(devices.map((d) => [d.id, d]));
  const registry: DeviceRegistry = {
    get: (id) => byId.get(id),
    site: () => undefined,
    list: (filter) => devices.filter((d) => !filter?.adapter || d.adapter === filter.adapter),
    sites: () => [],
  };
  const bus: MqttBus = { subscribe: async () => async () => undefined, publish: async () => undefined };
  const ctx = {
    log: pino({ level: 'silent' }),
    emit: async () => undefined,
    setCondition: () => void ctx.conditions++,
    reject: () => undefined,
    devices: registry,
    bus,
    clock: systemClock,
    dataDir,
    conditions: 0,
  };
  return ctx;
}

/** CPU time (ms) of this process's reaped children: /proc/self/stat cutime + cstime. */
function childrenCpuMs(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(rest[13]) + Number(rest[14])) * 1000) / 100;
}

/** Processes whose parent is `ppid` (this kernel has no /proc/<pid>/task/<tid>/children). */
function childrenOf(ppid: number, comm?: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const open = stat.indexOf('(');
      const close = stat.lastIndexOf(')');
      if (Number(stat.slice(close + 2).split(' ')[1]) !== ppid) continue;
      if (comm === undefined || stat.slice(open + 1, close) === comm) out.push(Number(name));
    } catch {
      // gone while we looked
    }
  }
  return out;
}

interface Simulator {
  pid: number;
  devices: Device[];
  command(line: string): Promise<string>;
  stop(): Promise<void>;
}

async function startSimulator(ctx: BenchContext, o: { cameras: number; size: string; fps: number }): Promise<Simulator> {
  const child = spawnNode(ctx, {
    script: 'simulators/camera-onvif/cli.ts',
    args: ['--cameras', String(o.cameras), '--size', o.size, '--fps', String(o.fps), '--site', 'bench', '--log-level', 'error'],
    pipeStdout: true,
    pipeStdin: true,
  });
  const devices: Device[] = [];
  const answers: ((line: string) => void)[] = [];
  let ready: () => void = () => undefined;
  const started = new Promise<void>((resolve) => (ready = resolve));
  createInterface({ input: child.stdout ?? process.stdin }).on('line', (line) => {
    if (line.startsWith('{')) {
      devices.push(JSON.parse(line) as Device);
      if (devices.length === o.cameras) ready();
    } else if (!line.startsWith('#')) answers.shift()?.(line);
  });
  const exited = new Promise<never>((_r, reject) => child.once('exit', (code) => reject(new BenchError('BENCH_ERR_CHILD_EXIT', `camera simulator exited (${code})`))));
  exited.catch(() => undefined);
  const timeout = sleep(120_000, ctx.signal).then(() => Promise.reject(new BenchError('BENCH_ERR_TIMEOUT', 'camera simulator not ready in 120 s')));
  timeout.catch(() => undefined);
  await Promise.race([started, exited, timeout]);
  return {
    pid: child.pid ?? 0,
    devices,
    command: (line) =>
      new Promise<string>((resolve) => {
        answers.push(resolve);
        child.stdin?.write(`${line}\n`);
      }),
    async stop() {
      child.stdin?.end('quit\n');
      await stopProcess(child, 10_000);
    },
  };
}

export const benchmark = defineBenchmark({
  description: 'health sweep of N simulated ONVIF cameras through the camera-onvif adapter (ffmpeg per check)',
  options,
  async run(o, ctx) {
    const work = mkdtempSync(join(tmpdir(), 'bench-camera-sweep-'));
    ctx.defer(() => rmSync(work, { recursive: true, force: true }));
    // Every ffmpeg the adapter starts goes through this wrapper, which counts it (one byte each).
    const spawnLog = join(work, 'ffmpeg-spawns');
    writeFileSync(spawnLog, '');
    const wrapper = join(work, 'ffmpeg-counting.sh');
    writeFileSync(wrapper, `#!/bin/sh\nprintf x >> '${spawnLog}'\nexec ffmpeg "$@"\n`);
    chmodSync(wrapper, 0o755);

    ctx.log(`starting ${o.cameras} simulated cameras (${o.size} at ${o.fps} fps)…`);
    const sim = await startSimulator(ctx, o);
    ctx.defer(() => sim.stop());
    const offline = sim.devices.slice(0, o.offline).map((d) => d.id);
    for (const id of offline) await sim.command(`fault ${id} offline`);
    await sleep(1000, ctx.signal); // the encoder's first keyframes
    const encoders = childrenOf(sim.pid, 'ffmpeg');

    const adapterCtx = countingContext(sim.devices, join(work, 'adapter'));
    const adapter = cameraOnvifAdapter.create(
      cameraOnvifConfig({
        checkIntervalSeconds: 0,
        events: false,
        concurrency: o.concurrency,
        probeSeconds: o.probeSeconds,
        checkTimeoutMs: o.checkTimeoutMs,
        ffmpegPath: wrapper,
        liveView: { maxStreams: 0, width: 640, height: 360, bitrateKbps: 1000, idleSeconds: 10 },
      }),
      adapterCtx,
    );
    await adapter.start();
    ctx.defer(() => adapter.stop());

    // Peak ffmpeg processes at once, sampled every 200 ms.
    let peakFfmpeg = 0;
    let peakRss = 0;
    const sampler = setInterval(() => {
      peakFfmpeg = Math.max(peakFfmpeg, childrenOf(process.pid, 'ffmpeg').length);
      peakRss = Math.max(peakRss, process.memoryUsage.rss());
    }, 200);
    ctx.defer(() => clearInterval(sampler));

    const simCpu0 = sampleProcess(sim.pid).cpuMs;
    const encCpu0 = encoders.map((pid) => sampleProcess(pid).cpuMs);
    const cpu0 = process.cpuUsage();
    const kids0 = childrenCpuMs();
    const t0 = performance.now();
    const deadline = o.budgetSeconds > 0 ? t0 + o.budgetSeconds * 1000 : Number.POSITIVE_INFINITY;

    const queue = [...sim.devices];
    const latencies: number[] = [];
    const statuses: Record<string, number> = {};
    const reasons: Record<string, number> = {};
    const wrong: string[] = [];
    let done = 0;
    const worker = async () => {
      for (let d = queue.shift(); d && performance.now() < deadline && !ctx.signal.aborted; d = queue.shift()) {
        const started = performance.now();
        let result: CheckResult;
        try {
          result = await adapter.check(d, ctx.signal);
        } catch (err) {
          result = { status: 'unknown', reasons: [{ code: 'check-error', detail: (err as Error).message }], evidence: {} };
        }
        latencies.push(performance.now() - started);
        statuses[result.status] = (statuses[result.status] ?? 0) + 1;
        for (const r of result.reasons) reasons[r.code] = (reasons[r.code] ?? 0) + 1;
        const expected = offline.includes(d.id) ? 'offline' : 'ok';
        if (result.status !== expected) wrong.push(`${d.id}: ${result.status} ${result.reasons.map((r) => r.code).join(',')}`);
        if (++done % 50 === 0) ctx.log(`${done} checked, ${Math.round((performance.now() - t0) / 1000)} s`);
      }
    };
    await Promise.all(Array.from({ length: o.concurrency }, () => worker()));
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const adapterCpuMs = (cpu.user + cpu.system) / 1000;
    const ffmpegCpuMs = childrenCpuMs() - kids0;
    const simCpuMs = sampleProcess(sim.pid).cpuMs - simCpu0;
    const encCpuMs = encoders.reduce((s, pid, i) => {
      try {
        return s + sampleProcess(pid).cpuMs - (encCpu0[i] ?? 0);
      } catch {
        return s;
      }
    }, 0);
    clearInterval(sampler);
    const spawned = statSync(spawnLog).size;
    const per = (v: number) => (done > 0 ? v / done : NaN);
    const checksPerMinute = done / (wallMs / 60_000);

    const metrics: Record<string, MetricValue> = {
      cameras: o.cameras,
      concurrency: o.concurrency,
      checked: done,
      ok: statuses.ok ?? 0,
      degraded: statuses.degraded ?? 0,
      offline: statuses.offline ?? 0,
      unknown: statuses.unknown ?? 0,
      reasons: JSON.stringify(reasons),
      wrongVerdicts: wrong.length,
      wallSeconds: round(wallMs / 1000, 1),
      checksPerMinute: round(checksPerMinute, 1),
      checkP50Ms: round(percentile(latencies, 50), 0),
      checkP90Ms: round(percentile(latencies, 90), 0),
      checkP99Ms: round(percentile(latencies, 99), 0),
      checkMaxMs: round(Math.max(...latencies), 0),
      adapterCpuMsPerCamera: round(per(adapterCpuMs), 0),
      ffmpegCpuMsPerCamera: round(per(ffmpegCpuMs), 0),
      cpuMsPerCamera: round(per(adapterCpuMs + ffmpegCpuMs), 0),
      coresBusyAdapterAndFfmpeg: round((adapterCpuMs + ffmpegCpuMs) / wallMs, 2),
      ffmpegStarted: spawned,
      ffmpegPerCamera: round(per(spawned), 2),
      ffmpegPeakAtOnce: peakFfmpeg,
      simulatorCpuSeconds: round(simCpuMs / 1000, 1),
      simulatorEncoderCpuSeconds: round(encCpuMs / 1000, 1),
      adapterPeakRssMB: round(peakRss / MB, 0),
      camerasPer5MinInterval: Math.floor(checksPerMinute * 5),
      conditionsReported: adapterCtx.conditions,
    };
    const rows: [string, string | number][] = [
      ['cameras checked / in the fleet', `${done} / ${o.cameras}`],
      ['verdicts', `ok ${metrics.ok}, degraded ${metrics.degraded}, offline ${metrics.offline}, unknown ${metrics.unknown}`],
      ['reasons', JSON.stringify(reasons)],
      ['wall time (s)', metrics.wallSeconds as number],
      ['checks per minute', metrics.checksPerMinute as number],
      ['check p50 / p90 / p99 / max (ms)', `${metrics.checkP50Ms} / ${metrics.checkP90Ms} / ${metrics.checkP99Ms} / ${metrics.checkMaxMs}`],
      ['CPU per camera: adapter + ffmpeg (ms)', `${metrics.adapterCpuMsPerCamera} + ${metrics.ffmpegCpuMsPerCamera} = ${metrics.cpuMsPerCamera}`],
      ['cores busy (adapter + ffmpeg)', metrics.coresBusyAdapterAndFfmpeg as number],
      ['ffmpeg started / per camera / at most at once', `${spawned} / ${metrics.ffmpegPerCamera} / ${peakFfmpeg}`],
      ['simulator CPU: node / encoders (s)', `${metrics.simulatorCpuSeconds} / ${metrics.simulatorEncoderCpuSeconds}`],
      ['adapter process peak RSS (MB)', metrics.adapterPeakRssMB as number],
      ['cameras one 5-minute interval keeps checked', metrics.camerasPer5MinInterval as number],
    ];
    return {
      metrics,
      tables: [{ title: `camera sweep: ${o.cameras} cameras, concurrency ${o.concurrency}, ${o.size}@${o.fps}`, columns: ['figure', 'value'], rows }],
      targets: [
        { name: 'every camera checked', met: done === o.cameras, detail: `${done} of ${o.cameras}` },
        { name: 'no wrong verdict (healthy → ok, offline → offline)', met: wrong.length === 0, detail: wrong.length === 0 ? 'none' : `${wrong.length}: ${wrong.slice(0, 5).join('; ')}` },
      ],
    };
  },
});
