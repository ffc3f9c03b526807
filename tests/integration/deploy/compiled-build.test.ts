/**
 * The production build as an operator runs it: TypeScript compiled to dist/ (tsc with
 * tsconfig.build.json, as `npm run build` does), laid out as an installed package (package.json,
 * dist/, config/, dashboard/dist, node_modules) and started with plain `node`, on a PATH without
 * ffmpeg (the npm-bundled one must be found). A press published by mosquitto_pub reaches the
 * simulated 110 centre, and the seeded black camera is found.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alarm, Health } from '../../../gateway/contract/types.js';
import { spawnSimulatedGateway, type GatewayProcess } from '../../helpers/gateway-process.js';
import { eventually, tempDir } from '../../helpers/gateway.js';
import { startInfluxd } from '../../../simulators/influxd.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

/** PATH without any folder that holds an ffmpeg: a machine that never installed one. */
function pathWithoutFfmpeg(): string {
  return (process.env.PATH ?? '')
    .split(delimiter)
    .filter((dir) => dir && !existsSync(join(dir, 'ffmpeg')))
    .join(delimiter);
}

describe('compiled production build', () => {
  const install = tempDir('gw-install-');
  const dataDir = tempDir('gw-prod-data-');
  let gw: GatewayProcess | undefined;

  beforeAll(async () => {
    await run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', join(install, 'dist')], { cwd: ROOT, timeout: 240_000 });
    copyFileSync(join(ROOT, 'package.json'), join(install, 'package.json'));
    for (const part of ['node_modules', 'config']) symlinkSync(join(ROOT, part), join(install, part));
    mkdirSync(join(install, 'dashboard'));
    symlinkSync(join(ROOT, 'dashboard', 'dist'), join(install, 'dashboard', 'dist'));
    gw = await spawnSimulatedGateway(dataDir, {}, ['--simulate'], 120_000, {
      entry: [join(install, 'dist', 'gateway', 'main.js')],
      cwd: install,
      env: { PATH: pathWithoutFfmpeg() },
    });
  }, 300_000);

  afterAll(async () => {
    await gw?.kill('SIGTERM');
    rmSync(install, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs from dist/ with plain node, without tsx', () => {
    const started = gw?.logs.find((l) => typeof l.msg === 'string' && l.msg.startsWith('gateway listening'));
    expect((started?.sources as string[] | undefined)?.[0]).toBe(join(install, 'config', 'default.yaml'));
    expect(existsSync(join(install, 'dist', 'gateway', 'main.js'))).toBe(true);
  });

  it('holds every path the Dockerfile copies, and needs only production dependencies at run time', () => {
    const copied = [...readFileSync(join(ROOT, 'Dockerfile'), 'utf8').matchAll(/^COPY --from=build \/app\/(\S+)/gm)].map((m) => m[1] as string);
    expect(copied.filter((p) => !existsSync(join(p.startsWith('dist/') ? install : ROOT, p)))).toStrictEqual([]);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const imported = new Set<string>();
    const scan = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) scan(path);
        else if (entry.name.endsWith('.js')) {
          for (const m of readFileSync(path, 'utf8').matchAll(/(?:from\s+|import\s*\(\s*|^import\s+)['"]([^'".][^'"]*)['"]/gm)) {
            const spec = m[1] as string;
            if (spec.startsWith('node:')) continue;
            imported.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : (spec.split('/')[0] as string));
          }
        }
      }
    };
    scan(join(install, 'dist'));
    expect([...imported].filter((name) => !(name in pkg.dependencies)).sort()).toStrictEqual([]);
  });

  it('takes a press from mosquitto_pub to the 110 centre', async () => {
    const g = gw as GatewayProcess;
    await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(g.mqttPort), '-u', 'sch-01-btn-1', '-P', 'demo-pass-sch-01-btn-1', '-q', '1', '-t', 'campus/v1/sch-01/sch-01-btn-1/event', '-m', '{"type":"press"}']);
    const acked = await eventually(async () => {
      const alarms = (await (await g.api('/api/alarms?state=open', { as: 'duty' })).json()) as Alarm[];
      const panic = alarms.find((a) => a.type === 'panic' && a.deviceId === 'sch-01-btn-1');
      return panic?.timeline.some((e) => e.action === 'forward-acked') ? panic : undefined;
    }, { timeoutMs: 30_000, everyMs: 250 });
    expect(acked.timeline.map((e) => e.action).filter((a) => a.startsWith('forward-'))).toStrictEqual(['forward-queued', 'forward-sent', 'forward-acked']);
  });

  it('stores telemetry through the embedded store writer thread, loaded from dist/ as plain JavaScript', async () => {
    const g = gw as GatewayProcess;
    const telemetry = await eventually(async () => {
      const t = ((await (await g.api('/api/health')).json()) as { telemetry?: { written: number; workerRestarts?: number } }).telemetry;
      return t && t.written > 0 ? t : undefined;
    }, { timeoutMs: 30_000, everyMs: 250 });
    expect(telemetry.workerRestarts).toBe(0);
  });

  it('writes InfluxDB telemetry through the sender thread, loaded from dist/ as plain JavaScript', async () => {
    const influxd = await startInfluxd();
    const spool = tempDir('gw-prod-spool-');
    try {
      // The InfluxDB store of the compiled build in a plain node process: 100 points, sent by its thread.
      const script = `
        const { createInfluxStore } = await import(${JSON.stringify(pathToFileURL(join(install, 'dist', 'gateway', 'store', 'telemetry-influx.js')).href)});
        const { default: pino } = await import('pino');
        const store = createInfluxStore({ url: ${JSON.stringify(influxd.url)}, database: 'compiled', spoolDir: ${JSON.stringify(spool)} }, pino({ level: 'silent' }));
        await store.start();
        store.write(Array.from({ length: 100 }, (_, i) => ({ measurement: 'telemetry', tags: { site: 'sch-01', device: 'd' + (i % 5), kind: 'alarm-button' }, fields: { seq: i }, at: Date.now() - 60000 + i })));
        await store.drained();
        const load = store.senderLoad;
        await store.stop();
        console.log(JSON.stringify({ load, stats: store.stats() }));`;
      const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: install, timeout: 60_000 });
      const out = JSON.parse(stdout) as { load: string; stats: { written: number; dropped: number; workerRestarts: number } };
      expect(out).toMatchObject({ load: 'compiled', stats: { written: 100, dropped: 0, workerRestarts: 0 } });
      const res = await fetch(`${influxd.url}/query`, { method: 'POST', body: new URLSearchParams({ db: 'compiled', q: 'SELECT count("seq") FROM "raw"."telemetry"' }) });
      expect(((await res.json()) as { results: { series?: { values: unknown[][] }[] }[] }).results[0]?.series?.[0]?.values[0]?.[1]).toBe(100);
    } finally {
      await influxd.stop();
      rmSync(spool, { recursive: true, force: true });
    }
  }, 120_000);

  it('keeps the simulators out of the gateway: dist/gateway imports none, and --simulate without them says so in one line', async () => {
    const imports: string[] = [];
    const scan = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) scan(path);
        else if (entry.name.endsWith('.js')) for (const m of readFileSync(path, 'utf8').matchAll(/(?:from\s+|import\s*\(\s*)['"]([^'"]*simulators\/[^'"]*)['"]/g)) imports.push(`${path}: ${m[1]}`);
      }
    };
    scan(join(install, 'dist', 'gateway'));
    expect(imports).toStrictEqual([]);
    // Laid out as the production image: dist/gateway and dist/adapters, no dist/simulators.
    const image = tempDir('gw-image-');
    try {
      for (const part of ['gateway', 'adapters']) cpSync(join(install, 'dist', part), join(image, 'dist', part), { recursive: true });
      copyFileSync(join(ROOT, 'package.json'), join(image, 'package.json'));
      for (const part of ['node_modules', 'config']) symlinkSync(join(ROOT, part), join(image, part));
      const refused = await run(process.execPath, [join(image, 'dist', 'gateway', 'main.js'), '--simulate'], { cwd: image, timeout: 30_000 }).then(
        () => ({ code: 0, stderr: '' }),
        (err: { code?: number; stderr?: string }) => ({ code: err.code, stderr: err.stderr }),
      );
      expect(refused).toStrictEqual({ code: 1, stderr: '--simulate needs the simulators, which this build does not include\n' });
    } finally {
      rmSync(image, { recursive: true, force: true });
    }
  });

  it('finds the seeded black camera with the bundled ffmpeg', async () => {
    const g = gw as GatewayProcess;
    const health = await eventually(async () => {
      const device = (await (await g.api('/api/devices/sch-02-cam-3', { as: 'tech' })).json()) as { health: Health };
      return device.health.reasons.some((r) => r.code === 'image-black') ? device.health : undefined;
    }, { timeoutMs: 120_000, everyMs: 500 });
    expect(health.status).not.toBe('ok');
  });
});
