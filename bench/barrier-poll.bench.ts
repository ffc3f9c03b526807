/**
 * barrier-poll (issue 6): does the barrier-modbus adapter keep a 1 s poll cycle for N barriers?
 * Controllers (simulators) run in a child process; the adapter runs here with a counting
 * context, so this process's CPU is the adapter's. Reports the interval between consecutive
 * polls of each barrier (p50/p99/max), polls per second and the adapter's share of a core.
 */
import { createInterface } from 'node:readline';
import pino from 'pino';
import { barrierModbusAdapter, resolveBarrierConfig } from '../adapters/barrier-modbus/index.js';
import type { AdapterContext } from '../gateway/contract/adapter.js';
import { systemClock } from '../gateway/contract/clock.js';
import type { Device, Site } from '../gateway/contract/types.js';
import { defineBenchmark } from './lib/harness.js';
import { spawnNode } from './lib/processes.js';
import { percentile, round } from './lib/stats.js';

export const benchmark = defineBenchmark({
  description: 'barrier-modbus adapter polling N barriers at a fixed interval: poll cycle and CPU share',
  options: {
    barriers: { default: 2500, description: 'barriers to poll', min: 1 },
    perController: { default: 100, description: 'barriers (unit ids) behind one Modbus TCP controller', min: 1 },
    intervalMs: { default: 1000, description: 'poll interval per barrier', min: 10 },
    seconds: { default: 30, description: 'measured seconds (after a 5 s warm-up)', min: 1 },
  },
  async run(o, ctx) {
    const controllers = Math.ceil(o.barriers / o.perController);
    const child = spawnNode(ctx, { script: 'bench/barrier-controllers.ts', args: [String(controllers), String(o.perController)], pipeStdout: true });
    ctx.track(child);
    const ports = await new Promise<number[]>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('controllers did not start in 60 s')), 60_000);
      createInterface({ input: child.stdout as NodeJS.ReadableStream }).once('line', (line) => {
        clearTimeout(timer);
        resolve((JSON.parse(line) as { ports: number[] }).ports);
      });
    });
    const site: Site = { id: 's', name: 's', district: 'd', timeZone: 'Asia/Shanghai', protectionWindows: [], holidays: [], contacts: [] };
    const devices: Device[] = Array.from({ length: o.barriers }, (_v, i) => ({
      id: `bar-${i}`,
      siteId: 's',
      kind: 'barrier',
      adapter: 'barrier-modbus',
      name: `bar-${i}`,
      options: { host: '127.0.0.1', port: ports[Math.floor(i / o.perController)] as number, unitId: (i % o.perController) + 1, model: 'sim-rb1' },
    }));
    const lastPoll = new Map<string, number>();
    const intervals: number[] = [];
    let measuring = false;
    let polls = 0;
    let unreachable = 0;
    const ctxA: AdapterContext = {
      log: pino({ level: 'silent' }),
      clock: systemClock,
      dataDir: '/tmp',
      bus: { subscribe: async () => async () => undefined, publish: async () => undefined },
      devices: {
        get: (id) => devices.find((d) => d.id === id),
        site: () => site,
        list: () => devices,
        sites: () => [site],
      },
      emit: async (e) => {
        if (e.type !== 'telemetry') return;
        const now = performance.now();
        const last = lastPoll.get(e.deviceId);
        lastPoll.set(e.deviceId, now);
        if (!measuring) return;
        polls++;
        if (last !== undefined) intervals.push(now - last);
      },
      setCondition: (_id, code, active) => {
        if (code === 'unreachable' && active && measuring) unreachable++;
      },
      reject: () => undefined,
    };
    const adapter = barrierModbusAdapter.create(resolveBarrierConfig({ pollIntervalMs: o.intervalMs }), ctxA);
    ctx.defer(() => adapter.stop());
    await adapter.start();
    ctx.log(`polling ${o.barriers} barriers behind ${controllers} controllers; warming up 5 s`);
    await new Promise((r) => setTimeout(r, 5000));
    measuring = true;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, o.seconds * 1000));
    const elapsed = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    measuring = false;
    const cpuShare = (cpu.user + cpu.system) / 1e6 / elapsed;
    const p99 = percentile(intervals, 99);
    return {
      metrics: {
        barriers: o.barriers,
        controllers,
        pollsPerSecond: round(polls / elapsed),
        expectedPollsPerSecond: round((o.barriers * 1000) / o.intervalMs),
        cycleP50Ms: round(percentile(intervals, 50)),
        cycleP99Ms: round(p99),
        cycleMaxMs: round(Math.max(...intervals)),
        adapterCpuShare: round(cpuShare),
        unreachableReports: unreachable,
      },
      targets: [
        {
          name: `every barrier polled about every ${o.intervalMs} ms (p99 cycle ≤ 1.5 × interval)`,
          met: p99 <= 1.5 * o.intervalMs && polls / elapsed >= 0.95 * ((o.barriers * 1000) / o.intervalMs),
          detail: `p99 ${round(p99)} ms, ${round(polls / elapsed)} polls/s of ${round((o.barriers * 1000) / o.intervalMs)}`,
        },
      ],
      notes: ['The controllers run in one child process on the same 2 cores; its CPU is not counted in adapterCpuShare.'],
    };
  },
});
