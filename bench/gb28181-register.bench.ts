/**
 * gb28181-register (issue 21): 500 simulated GB/T 28181 cameras (default 50 NVRs × 10 channels;
 * `--nvrs 500 --channels 1` for 500 single devices) register to the camera-gb28181 adapter with
 * digest authentication, list their channels (each becomes a camera of its school), and keep alive.
 * The NVRs run in a child process (bench/gb28181-devices.ts); the adapter runs here with a
 * counting context, so this process's CPU and memory are the adapter's. Figures: time to
 * register all, cameras created, the adapter's CPU share and RSS while they keep alive, and the
 * keepalive round trip (MESSAGE → 200 OK, measured by the devices) p50/p99/max.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import pino from 'pino';
import { CameraGb28181Adapter } from '../adapters/camera-gb28181/adapter.js';
import { gb28181Config } from '../adapters/camera-gb28181/config.js';
import type { AdapterContext } from '../gateway/contract/adapter.js';
import { systemClock } from '../gateway/contract/clock.js';
import type { Device, Site } from '../gateway/contract/types.js';
import { channelPrefix } from './gb28181-devices.js';
import { defineBenchmark } from './lib/harness.js';
import { JsonLines, MB, sleep, spawnNode } from './lib/processes.js';
import { percentile, round } from './lib/stats.js';

export const benchmark = defineBenchmark({
  description: 'GB/T 28181: N NVRs × M channels register with digest and keep alive; adapter CPU, memory, keepalive p99',
  options: {
    nvrs: { default: 50, min: 1, description: 'simulated NVRs (one per school)' },
    channels: { default: 10, min: 1, description: 'channels (cameras) per NVR' },
    keepaliveSeconds: { default: 5, min: 0.1, description: 'keepalive period of every device (GB/T 28181 default 60 s; shorter loads more)' },
    seconds: { default: 60, min: 5, description: 'measured seconds of keepalives (after a 5 s warm-up)' },
    transport: { default: 'udp', description: 'SIP transport: udp or tcp' },
  },
  async run(o, ctx) {
    const sites: Site[] = Array.from({ length: o.nvrs }, (_, i) => ({ id: `gb-s-${i}`, name: `school ${i}`, district: 'd', timeZone: 'Asia/Shanghai', protectionWindows: [], holidays: [], contacts: [] }));
    const devices = new Map<string, Device>();
    let lost = 0;
    const actx: AdapterContext = {
      log: pino({ level: 'silent' }),
      clock: systemClock,
      dataDir: '/tmp',
      bus: { subscribe: async () => async () => undefined, publish: async () => undefined },
      devices: {
        get: (id) => devices.get(id),
        site: (id) => sites.find((s) => s.id === id),
        list: (f) => [...devices.values()].filter((d) => (!f?.adapter || d.adapter === f.adapter) && (!f?.kind || d.kind === f.kind)),
        sites: () => sites,
      },
      emit: async () => undefined,
      setCondition: (_id, code, active) => {
        if (code === 'gb-keepalive-lost' && active) lost++;
      },
      addDevice: (d) => {
        const device: Device = { ...d, adapter: 'camera-gb28181', options: d.options ?? {} };
        devices.set(d.id, device);
        return device;
      },
      reject: () => undefined,
    };
    const adapter = new CameraGb28181Adapter(
      gb28181Config({
        host: '127.0.0.1',
        port: 0,
        transports: [o.transport === 'tcp' ? 'tcp' : 'udp'],
        password: 'bench-pass',
        keepalive: { intervalSeconds: o.keepaliveSeconds, misses: 3 },
        prefixes: Object.fromEntries(sites.map((s, i) => [channelPrefix(i), s.id])),
        subscribeCatalog: false,
        requestTimeoutMs: 10_000,
        liveView: { maxStreams: 0 },
      }),
      actx,
    );
    ctx.defer(() => adapter.stop());
    await adapter.start();
    const rss0 = process.memoryUsage().rss;
    const cpuReg0 = process.cpuUsage();
    const child = spawnNode(ctx, { script: 'bench/gb28181-devices.ts', args: [String(adapter.port), String(o.nvrs), String(o.channels), String(o.keepaliveSeconds * 1000), o.transport], pipeStdout: true, pipeStdin: true });
    const lines = new JsonLines(child);
    const reg = await lines.next((l) => (typeof l.registered === 'number' ? (l as { registered: number; failed: number; ms: number }) : undefined), 300_000, ctx.signal, 'registration');
    const cameras = o.nvrs * o.channels;
    const deadline = Date.now() + 60_000;
    while ([...devices.values()].filter((d) => d.kind === 'camera').length < cameras && Date.now() < deadline) await sleep(100, ctx.signal);
    const catalogued = [...devices.values()].filter((d) => d.kind === 'camera').length;
    const cpuReg = process.cpuUsage(cpuReg0);
    ctx.log(`${reg.registered} NVRs registered in ${reg.ms} ms, ${catalogued} cameras catalogued; warming up 5 s`);
    await sleep(5000, ctx.signal);
    child.stdin?.write('report\n');
    await lines.next((l) => (Array.isArray(l.rtts) ? true : undefined), 10_000, ctx.signal, 'reset');
    const lost0 = lost;
    // How long anything (a keepalive among it) waits in the adapter's process before it runs.
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    let peakRss = process.memoryUsage().rss;
    for (let s = 0; s < o.seconds; s++) {
      await sleep(1000, ctx.signal);
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }
    const elapsed = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    loopDelay.disable();
    child.stdin?.write('report\n');
    const report = await lines.next((l) => (Array.isArray(l.rtts) ? (l as { rtts: number[]; failures: number; sent: number }) : undefined), 10_000, ctx.signal, 'report');
    child.stdin?.end();
    const rtts = report.rtts;
    const p99 = percentile(rtts, 99);
    const registrations = adapter.registrations().size;
    return {
      metrics: {
        nvrs: o.nvrs,
        cameras,
        registered: reg.registered,
        registerFailed: reg.failed,
        registerAllMs: reg.ms,
        camerasCatalogued: catalogued,
        registrationsHeld: registrations,
        registerCpuMs: round((cpuReg.user + cpuReg.system) / 1000, 0),
        keepalivesMeasured: rtts.length,
        keepalivesPerSecond: round(rtts.length / elapsed),
        keepaliveP50Ms: round(percentile(rtts, 50)),
        keepaliveP99Ms: round(p99),
        keepaliveMaxMs: round(rtts.length ? Math.max(...rtts) : 0),
        keepaliveFailures: report.failures,
        keepaliveLostReports: lost - lost0,
        adapterCpuPctCore: round(((cpu.user + cpu.system) / 1e6 / elapsed) * 100),
        adapterLoopDelayP99Ms: round(loopDelay.percentile(99) / 1e6),
        adapterLoopDelayMaxMs: round(loopDelay.max / 1e6),
        adapterRssMB: round(peakRss / MB, 0),
        adapterRssGrowthMB: round((peakRss - rss0) / MB, 0),
        loadAverage1m: round((await import('node:os')).loadavg()[0] ?? 0),
      },
      targets: [
        { name: `all ${cameras} cameras registered and catalogued`, met: reg.registered === o.nvrs && catalogued === cameras, detail: `${reg.registered} of ${o.nvrs} NVRs, ${catalogued} of ${cameras} cameras` },
        { name: 'no device reported keepalive-lost while keeping alive', met: lost - lost0 === 0 && report.failures === 0, detail: `${lost - lost0} lost reports, ${report.failures} keepalive failures` },
        { name: 'keepalive p99 ≤ 50 ms', met: p99 <= 50, detail: `p99 ${round(p99)} ms over ${rtts.length} keepalives` },
      ],
      notes: [
        'The simulated NVRs run in one child process on the same 2 cores; their CPU is not counted in adapterCpuPctCore.',
        'keepalive* are round trips measured by the devices (their own process queueing included); adapterLoopDelay* is how late the adapter process runs what it is given.',
      ],
    };
  },
});
