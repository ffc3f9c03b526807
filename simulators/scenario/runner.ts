/**
 * Plays a scenario: starts the far-end simulators, the real gateway (in process, ephemeral
 * loopback ports, a temporary data dir, the scenario's clock and configuration overrides) and
 * the simulated district; fires each step at its second (through the simulator control, as
 * the `--url` mode does over HTTP: remote.ts); records what the gateway did as facts (alarms
 * raised, 110 ACKs, broadcast deliveries, device reasons) with the second each was first seen;
 * stops as soon as every expectation is decided.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { SimulatorControl } from '../control.js';
import { DistrictSimulator } from '../district.js';
import { build, type Gateway } from '../../gateway/app.js';
import { loadConfig, mergeLayers } from '../../gateway/config/load.js';
import type { Alarm, Health } from '../../gateway/contract/types.js';
import { controlCall } from './actions.js';
import { resolveClock, shiftedClock } from './clock.js';
import { broadcastFact, decidedBy, evaluate, type ExpectationResult, type Fact } from './evaluate.js';
import { startEphemeralFarEnds, type EphemeralFarEndOptions } from '../ephemeral-far-ends.js';
import { startInfluxd, type InfluxdHandle } from '../influxd.js';
import { broadcastFigures, linkFigures, PressProbe, probeButtons, probeFigures, smsFigures, telemetryFigures, TelemetryWatch } from './chaos.js';
import type { Figures } from './evaluate.js';
import type { Action, Scenario } from './schema.js';

export interface StepResult {
  at: number;
  do: string;
  /** Seconds from the start when it was fired and when it finished. */
  startedAt: number;
  finishedAt?: number;
  error?: string;
}

export interface ScenarioReport {
  name: string;
  description: string;
  source?: string;
  passed: boolean;
  /** Wall-clock start (ISO) and the gateway clock's start when the scenario sets one. */
  startedAt: string;
  clock?: string;
  /** Seconds spent starting the gateway and the district before the timeline's 0. */
  setupSeconds: number;
  durationSeconds: number;
  steps: StepResult[];
  expectations: ExpectationResult[];
  /** `--url` mode: the gateway played against. */
  target?: string;
  /** What the reader should know about how it ran (e.g. what a remote run could not do). */
  notes?: string[];
  /** What the run measured (in process): press → 110 per phase, telemetry kept, SMS submits, 110 counts. */
  figures?: Figures;
}

/** Where facts are collected, on the scenario's timeline. */
export interface FactLog {
  readonly facts: Fact[];
  /** Seconds from the timeline's 0. */
  now(): number;
}

export interface RunOptions {
  log: Logger;
  /** How often expectations are re-evaluated (ms, default 50). */
  pollMs?: number;
  /** How long to wait, after the timeline, for the telemetry store to hand InfluxDB everything (ms, default 300000). */
  drainTimeoutMs?: number;
}

export const sec = (ms: number): number => Math.round(ms) / 1000;

/** Records facts from the gateway's bus and broadcast service; `t` is seconds from the timeline's 0 (0 for setup). */
class Recorder implements FactLog {
  readonly facts: Fact[] = [];
  private origin: number | undefined;
  private readonly seenAcks = new Set<string>();
  private readonly offs: (() => void)[] = [];

  constructor(private readonly gw: Gateway) {}

  now(): number {
    return this.origin === undefined ? 0 : sec(performance.now() - this.origin);
  }

  start(): void {
    for (const h of this.gw.health.all()) this.reasons(h, undefined);
    this.offs.push(this.gw.bus.on('alarm.changed', 'scenario', (e) => this.alarm(e.alarm, e.change)));
    this.offs.push(this.gw.bus.on('health.changed', 'scenario', (e) => this.reasons(e.health, e.previous)));
    this.offs.push(
      this.gw.broadcasts.onChange((c) => {
        if (c.change !== 'recipient') return;
        // Stamped now, when it happened; the alarm's type is looked up after.
        const at = this.now();
        void (async () => {
          const b = await this.gw.broadcasts.get(c.broadcastId);
          const fact = broadcastFact(c, at, b?.alarmId ? (await this.gw.alarms.get(b.alarmId))?.type : undefined);
          if (fact) this.facts.push(fact);
        })().catch(() => undefined);
      }),
    );
  }

  /** The timeline's 0. */
  mark(): void {
    this.origin = performance.now();
  }

  stop(): void {
    for (const off of this.offs.splice(0)) off();
  }

  private alarm(alarm: Alarm, change: string): void {
    const who = { siteId: alarm.siteId, ...(alarm.deviceId ? { deviceId: alarm.deviceId } : {}), alarmId: alarm.id };
    if (change === 'raised') this.facts.push({ kind: 'alarm', t: this.now(), type: alarm.type, ...who });
    alarm.timeline.forEach((entry, i) => {
      const key = `${alarm.id}#${i}`;
      if (entry.action !== 'forward-acked' || this.seenAcks.has(key)) return;
      this.seenAcks.add(key);
      const account = this.gw.loaded.sites.find((s) => s.id === alarm.siteId)?.arcAccount;
      const receiver = entry.data?.receiver;
      this.facts.push({ kind: 'forwarded', t: this.now(), ...who, ...(account ? { account } : {}), ...(typeof receiver === 'string' ? { receiver } : {}) });
    });
  }

  private reasons(h: Health, previous: Health | undefined): void {
    const before = new Set(previous?.reasons.map((r) => r.code) ?? []);
    for (const r of h.reasons) if (!before.has(r.code)) this.facts.push({ kind: 'reason', t: this.now(), deviceId: h.deviceId, reason: r.code });
  }
}

/**
 * The cameras a scenario acts on get a camera fleet simulator (every camera of their sites, so
 * the healthy ones are checked too); a scenario that touches no camera starts none.
 */
function camerasOf(scenario: Scenario): EphemeralFarEndOptions {
  const { devices } = loadConfig({ env: {}, overrides: scenario.config });
  const cameras = devices.filter((d) => d.adapter === 'camera-onvif' && d.options.endpoint === 'district-nvr');
  const targeted = new Set(scenario.steps.flatMap((s) => ('device' in s.action ? [s.action.device] : [])));
  const sites = new Set(cameras.filter((d) => targeted.has(d.id)).map((d) => d.siteId));
  if (sites.size === 0) return {};
  const first = cameras[0]?.options ?? {};
  return {
    cameras: cameras.filter((d) => sites.has(d.siteId)).map((d) => ({ id: d.id, name: d.name })),
    cameraCredentials: { username: String(first.username ?? 'admin'), password: String(first.password ?? '') },
  };
}

/** Runs one scenario end to end; everything it started is stopped before it returns. */
export async function runScenario(scenario: Scenario, opts: RunOptions): Promise<ScenarioReport> {
  const startedAt = new Date().toISOString();
  const setupStart = performance.now();
  const far = await startEphemeralFarEnds(camerasOf(scenario));
  const dataDir = mkdtempSync(join(tmpdir(), 'gw-scenario-'));
  let gw: Gateway | undefined;
  let sim: DistrictSimulator | undefined;
  let recorder: Recorder | undefined;
  let clockStart: number | undefined;
  let influx: InfluxdHandle | undefined;
  let probe: PressProbe | undefined;
  let watch: TelemetryWatch | undefined;
  try {
    // A real InfluxDB the scenario can kill (`influx down`) and bring back (`influx up`).
    // Generous readiness: a restart on a loaded machine replays the data written before the kill.
    if (scenario.influx) influx = await startInfluxd({ readyTimeoutMs: 60_000 });
    const store = influx ? { telemetry: { influx: { url: influx.url, database: 'campus' } } } : {};
    const base = { dataDir, ...far.overrides, ...store, log: { level: 'silent' }, http: { host: '127.0.0.1', port: 0 }, mqtt: { host: '127.0.0.1', port: 0 } };
    const loaded = loadConfig({ env: {}, overrides: mergeLayers(base, scenario.config) as Record<string, unknown> });
    clockStart = resolveClock(scenario.clock, loaded.sites);
    gw = await build(loaded, { log: opts.log.child({ part: 'gateway' }), ...(clockStart !== undefined ? { clock: shiftedClock(clockStart) } : {}) });
    const { mqttPort } = await gw.listen();
    recorder = new Recorder(gw);
    recorder.start();
    sim = new DistrictSimulator({
      url: `mqtt://127.0.0.1:${mqttPort}`,
      config: loaded.config,
      devices: loaded.devices,
      log: opts.log.child({ part: 'district' }),
      heartbeatMs: scenario.heartbeatSeconds * 1000,
      ...(scenario.sites ? { sites: scenario.sites } : {}),
    });
    const control = new SimulatorControl({ devices: loaded.devices, simulators: far.simulators });
    control.attach(sim);
    await sim.start();
    recorder.mark();
    const setupSeconds = sec(performance.now() - setupStart);
    const perform = async (action: Action): Promise<void> => {
      if (action.kind === 'influx') {
        if (!influx) throw new Error("'influx' needs 'influx: true'");
        // Killed (SIGKILL, as a crash), and started again on the same port over the same data.
        await (action.up ? influx.restart() : influx.kill());
        return;
      }
      const call = controlCall(action);
      if (call) await control.act(call.id, call.request);
    };
    const receivers = [
      { name: 'primary' as const, sim: far.primary },
      { name: 'secondary' as const, sim: far.secondary },
    ];
    const rec = recorder;
    if (scenario.probe) {
      const buttons = probeButtons(scenario.probe, scenario, loaded.devices, loaded.sites, loaded.config.simulation.faults);
      probe = new PressProbe({ probe: scenario.probe, buttons, control, receivers, gw, now: () => rec.now(), log: opts.log.child({ part: 'probe' }) });
      probe.start();
    }
    watch = new TelemetryWatch(gw);
    watch.start();
    const steps = await play(scenario, perform, recorder, opts.pollMs ?? 50);
    await probe?.stop();
    const peak = watch.stop();
    const figures: Figures = {
      ...probeFigures(probe?.samples ?? [], scenario.phases ?? []),
      ...linkFigures(receivers, loaded.config.adapters['alarm-centre-dc09'] as { ackTimeoutMs?: number; connectTimeoutMs?: number } | undefined),
      ...smsFigures(far.sms, Number((loaded.config.adapters['sms-smpp'] as { maxAttempts?: number } | undefined)?.maxAttempts ?? 5)),
      ...broadcastFigures(recorder.facts),
      'telemetry.maxBuffered': peak.maxBuffered,
      'telemetry.maxSpooled': peak.maxSpooled,
    };
    if (!probe) for (const k of Object.keys(figures)) if (k.startsWith('press110.')) delete figures[k];
    const notes: string[] = [];
    if (influx) {
      // The district stops publishing; then everything it was acknowledged must be in InfluxDB.
      const district = sim;
      sim = undefined;
      const tail = (): string => influx?.output().trim().split('\n').slice(-5).join(' | ') ?? '';
      if (!(await answers(influx.url))) {
        // Left down by the scenario, or gone by itself: what was acknowledged cannot be counted.
        await district.stop();
        notes.push(`InfluxDB did not answer after the timeline: telemetry not counted (influxd's last output: ${tail() || 'none'})`);
      } else {
        try {
          Object.assign(figures, await telemetryFigures(gw, district, influx.url, opts.drainTimeoutMs ?? 300_000));
        } catch (err) {
          notes.push(`telemetry not counted: ${err instanceof Error ? err.message : String(err)} (influxd's last output: ${tail() || 'none'})`);
        }
      }
    }
    return report(scenario, { startedAt, setupSeconds, steps, log: recorder, figures, notes, ...(clockStart !== undefined ? { clock: new Date(clockStart).toISOString() } : {}) });
  } finally {
    watch?.stop();
    await probe?.stop().catch(() => undefined);
    recorder?.stop();
    await sim?.stop().catch((err: unknown) => opts.log.warn({ err }, 'district stop failed'));
    await gw?.close().catch((err: unknown) => opts.log.warn({ err }, 'gateway close failed'));
    await far.stop().catch((err: unknown) => opts.log.warn({ err }, 'simulator stop failed'));
    await influx?.stop().catch((err: unknown) => opts.log.warn({ err }, 'influxd stop failed'));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Whether InfluxDB answers its ping (204) within 2 s. */
async function answers(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/ping`, { signal: AbortSignal.timeout(2000) })).status === 204;
  } catch {
    return false;
  }
}

/** The report of a finished timeline: every expectation judged on the facts collected. */
export function report(
  scenario: Scenario,
  run: { startedAt: string; clock?: string; setupSeconds: number; steps: StepResult[]; log: FactLog; target?: string; notes?: string[]; figures?: Figures },
): ScenarioReport {
  const expectations = evaluate(scenario.expect, run.log.facts, Number.POSITIVE_INFINITY, run.figures ?? {});
  return {
    name: scenario.name,
    description: scenario.description,
    ...(scenario.source ? { source: scenario.source } : {}),
    passed: expectations.every((e) => e.verdict === 'pass') && run.steps.every((s) => s.error === undefined && s.finishedAt !== undefined),
    startedAt: run.startedAt,
    ...(run.clock ? { clock: run.clock } : {}),
    setupSeconds: run.setupSeconds,
    durationSeconds: run.log.now(),
    steps: run.steps,
    expectations,
    ...(run.target ? { target: run.target } : {}),
    ...(run.notes && run.notes.length > 0 ? { notes: run.notes } : {}),
    ...(run.figures ? { figures: run.figures } : {}),
  };
}

/** Fires each step at its second; returns once every expectation is decided and every step settled (or the cap). */
export async function play(scenario: Scenario, perform: (action: Action) => Promise<void>, rec: FactLog, pollMs: number): Promise<StepResult[]> {
  const results: StepResult[] = [];
  const timers: ReturnType<typeof setTimeout>[] = [];
  for (const step of scenario.steps) {
    timers.push(
      setTimeout(() => {
        const r: StepResult = { at: step.at, do: step.text, startedAt: rec.now() };
        results.push(r);
        void perform(step.action).then(
          () => {
            r.finishedAt = rec.now();
          },
          (err: unknown) => {
            r.finishedAt = rec.now();
            r.error = err instanceof Error ? err.message : String(err);
          },
        );
      }, step.at * 1000),
    );
  }
  // Phases are measured to their end: the timeline runs at least that long.
  const lastStep = Math.max(0, ...scenario.steps.map((s) => s.at), ...(scenario.phases ?? []).map((p) => p.to));
  // Steps still running 10 s after the last deadline are reported unfinished.
  const cap = Math.max(lastStep, decidedBy(scenario.expect)) + 10;
  try {
    for (;;) {
      const now = rec.now();
      // Figures are judged after the timeline: they never hold it open.
      const decided = evaluate(scenario.expect, rec.facts, now).every((e) => e.verdict !== 'pending' || e.kind === 'figure');
      const stepsDone = results.length === scenario.steps.length && results.every((r) => r.finishedAt !== undefined);
      if ((decided && stepsDone && now >= lastStep) || now > cap) break;
      await new Promise((r) => setTimeout(r, pollMs));
    }
  } finally {
    for (const t of timers) clearTimeout(t);
  }
  return [...results].sort((a, b) => a.at - b.at);
}
