/**
 * What the chaos scenarios measure, in process: the press → 110 probe (one press at a time,
 * timed from the press to the receiver's record, its alarm then resolved), the telemetry the
 * district's devices had acknowledged against what the store holds at the end, the SMS
 * centre's submits per part, the 110 receivers' counts and the link's reporting time. All of
 * it ends up as flat `figures` in the report (`press110.during.p99Ms`, `telemetry.lost`…).
 */
import type { Logger } from 'pino';
import type { Gateway } from '../../gateway/app.js';
import type { Device } from '../../gateway/contract/types.js';
import type { AlarmCentreSimulator, RecordedMessage } from '../alarm-centre/alarm-centre-simulator.js';
import type { SmsCentreSimulator } from '../sms-centre/sms-centre-simulator.js';
import type { SimulatorControl } from '../control.js';
import type { DistrictSimulator } from '../district.js';
import type { Fact, Figures } from './evaluate.js';
import type { Phase, Probe, Scenario } from './schema.js';

export interface ProbeSample {
  /** Seconds from the timeline's 0 when the button was pressed. */
  t: number;
  button: string;
  /** Press → the receiver recorded the message; absent when it never arrived (lost). */
  latencyMs?: number;
  receiver?: 'primary' | 'secondary';
  error?: string;
}

export interface ProbeButton {
  id: string;
  account: string;
}

/** The buttons a probe presses: healthy MQTT buttons (no seeded fault) of schools with a 110 account. */
export function probeButtons(probe: Probe, scenario: Scenario, devices: readonly Device[], sites: readonly { id: string; arcAccount?: string }[], faults: Record<string, string[]>): ProbeButton[] {
  const wanted = probe.sites ?? scenario.sites ?? sites.map((s) => s.id);
  const account = new Map(sites.filter((s) => s.arcAccount).map((s) => [s.id, (s.arcAccount as string).toUpperCase()]));
  return devices
    .filter((d) => d.kind === 'alarm-button' && d.adapter === 'mqtt-native' && wanted.includes(d.siteId) && account.has(d.siteId) && (faults[d.id]?.length ?? 0) === 0)
    .map((d) => ({ id: d.id, account: account.get(d.siteId) as string }));
}

/** Presses one button at a time, every `everySeconds`, round-robin; each timed to the receiver. */
export class PressProbe {
  readonly samples: ProbeSample[] = [];
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  constructor(
    private readonly o: {
      probe: Probe;
      buttons: ProbeButton[];
      control: SimulatorControl;
      receivers: readonly { name: 'primary' | 'secondary'; sim: AlarmCentreSimulator }[];
      gw: Gateway;
      now(): number;
      log: Logger;
    },
  ) {}

  start(): void {
    if (this.o.buttons.length === 0) throw new Error('probe: no healthy button with a 110 account in the chosen sites');
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    const period = this.o.probe.everySeconds * 1000;
    const timeoutMs = (this.o.probe.timeoutSeconds ?? 30) * 1000;
    for (let i = 0; this.running; i++) {
      const began = performance.now();
      const button = this.o.buttons[i % this.o.buttons.length] as ProbeButton;
      await this.once(button, timeoutMs);
      const rest = period - (performance.now() - began);
      if (rest > 0 && this.running) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, rest);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wake = undefined;
      }
    }
  }

  private async once(button: ProbeButton, timeoutMs: number): Promise<void> {
    const sample: ProbeSample = { t: this.o.now(), button: button.id };
    this.samples.push(sample);
    const pressedAt = Date.now();
    const arrived = (m: RecordedMessage): boolean => m.account === button.account && m.receivedAt >= pressedAt;
    const waits = this.o.receivers.map((r) => r.sim.waitForMessage(arrived, timeoutMs).then((m) => ({ m, receiver: r.name })));
    for (const w of waits) w.catch(() => undefined);
    try {
      await this.o.control.act(button.id, { action: 'press' });
      const got = await Promise.any(waits);
      sample.latencyMs = got.m.receivedAt - pressedAt;
      sample.receiver = got.receiver;
    } catch (err) {
      sample.error = err instanceof AggregateError ? `not at a receiver within ${timeoutMs / 1000} s` : err instanceof Error ? err.message : String(err);
    }
    // Resolved, so the next press of this button raises (and forwards) a new alarm.
    for (const a of this.o.gw.alarms.openAlarms()) {
      if (a.deviceId === button.id && a.type === 'panic') await this.o.gw.alarms.resolve(a.id, 'scenario-probe').catch((err: unknown) => this.o.log.warn({ err }, 'probe: resolve failed'));
    }
  }
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

const r1 = (x: number): number => Math.round(x * 10) / 10;

/** press110.<phase>.{presses, lost, p50Ms, p99Ms, maxMs, viaSecondary} for each phase (and `all`). */
export function probeFigures(samples: readonly ProbeSample[], phases: readonly Phase[]): Figures {
  const out: Figures = {};
  const spans = [{ name: 'all', from: 0, to: Number.POSITIVE_INFINITY }, ...phases];
  for (const ph of spans) {
    const inside = samples.filter((s) => s.t >= ph.from && s.t < ph.to);
    const times = inside.flatMap((s) => (s.latencyMs === undefined ? [] : [s.latencyMs])).sort((a, b) => a - b);
    const k = `press110.${ph.name}`;
    out[`${k}.presses`] = inside.length;
    out[`${k}.lost`] = inside.length - times.length;
    out[`${k}.viaSecondary`] = inside.filter((s) => s.receiver === 'secondary').length;
    if (times.length > 0) {
      out[`${k}.p50Ms`] = r1(percentile(times, 50));
      out[`${k}.p99Ms`] = r1(percentile(times, 99));
      out[`${k}.maxMs`] = r1(times[times.length - 1] as number);
    }
  }
  return out;
}

/** Watches the telemetry store while the scenario runs: the most it buffered and spooled. */
export class TelemetryWatch {
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly max = { buffered: 0, spooled: 0 };

  constructor(private readonly gw: Gateway) {}

  start(): void {
    this.timer = setInterval(() => {
      const s = this.gw.telemetry.stats();
      this.max.buffered = Math.max(this.max.buffered, s.buffered);
      this.max.spooled = Math.max(this.max.spooled, s.spooled);
    }, 250);
  }

  stop(): { maxBuffered: number; maxSpooled: number } {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    return { maxBuffered: this.max.buffered, maxSpooled: this.max.spooled };
  }
}

/** Readings per device in InfluxDB's telemetry measurement (the most any field of it counts). */
export async function countInfluxTelemetry(url: string, database = 'campus'): Promise<Map<string, number>> {
  const q = encodeURIComponent(`SELECT count(*) FROM "${database}"."raw"."telemetry" GROUP BY "device"`);
  const res = await fetch(`${url}/query?db=${database}&q=${q}`, { signal: AbortSignal.timeout(60_000) });
  if (!res.ok) throw new Error(`InfluxDB count: HTTP ${res.status}`);
  const body = (await res.json()) as { results?: { series?: { tags?: { device?: string }; values?: (string | number | null)[][] }[]; error?: string }[] };
  const result = body.results?.[0];
  if (result?.error) throw new Error(`InfluxDB count: ${result.error}`);
  const out = new Map<string, number>();
  for (const s of result?.series ?? []) {
    const device = s.tags?.device;
    const row = s.values?.[0] ?? [];
    if (device) out.set(device, Math.max(0, ...row.slice(1).map((v) => (typeof v === 'number' ? v : 0))));
  }
  return out;
}

/**
 * Stops the district's devices, waits (up to `timeoutMs`) until the store holds nothing in
 * memory or in its spool, then compares what was acknowledged with what InfluxDB holds.
 */
export async function telemetryFigures(gw: Gateway, district: DistrictSimulator, influxUrl: string, timeoutMs: number): Promise<Figures> {
  // Counted once the devices have stopped, so a PUBACK that arrived while stopping counts too.
  const devices = district.mqttDevices();
  await district.stop();
  const acked = new Map(devices.map((d) => [d.id, d.telemetryAcked]));
  const deadline = performance.now() + timeoutMs;
  const began = performance.now();
  await gw.telemetry.flush();
  for (;;) {
    const s = gw.telemetry.stats();
    if (s.buffered === 0 && s.spooled === 0) break;
    if (performance.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const drainSeconds = (performance.now() - began) / 1000;
  const stored = await countInfluxTelemetry(influxUrl);
  let ackedTotal = 0;
  let storedTotal = 0;
  let lost = 0;
  for (const [id, n] of acked) {
    const have = stored.get(id) ?? 0;
    ackedTotal += n;
    storedTotal += have;
    lost += Math.max(0, n - have);
  }
  const st = gw.telemetry.stats();
  return {
    'telemetry.devices': acked.size,
    'telemetry.acknowledged': ackedTotal,
    'telemetry.stored': storedTotal,
    'telemetry.lost': lost,
    'telemetry.dropped': st.dropped,
    'telemetry.leftBuffered': st.buffered,
    'telemetry.leftSpooled': st.spooled,
    'telemetry.throttledReadings': st.throttled ?? 0,
    'telemetry.maxWaitMs': st.maxWaitMs ?? 0,
    'telemetry.drainSeconds': r1(drainSeconds),
  };
}

/** The SMS centre: submits, refusals, and the most attempts of one part (bounded retries). */
export function smsFigures(sms: SmsCentreSimulator, maxAttempts: number): Figures {
  const submits = sms.submits();
  // Attempts of one part: its submits up to and including the one accepted (a part is one
  // recipient, UDH reference and index, and text; the same text sent again after it was
  // accepted starts a new count).
  const run = new Map<string, number>();
  let most = 0;
  for (const s of submits) {
    const key = `${s.to}|${s.concat?.ref ?? ''}|${s.concat?.index ?? 1}|${s.text}`;
    const n = (run.get(key) ?? 0) + 1;
    most = Math.max(most, n);
    if (s.status === 0) run.delete(key);
    else run.set(key, n);
  }
  return {
    'sms.submits': submits.length,
    'sms.refused': submits.filter((s) => s.status !== 0).length,
    'sms.accepted': submits.filter((s) => s.status === 0).length,
    'sms.recipients': new Set(submits.map((s) => s.to)).size,
    'sms.maxSubmitsPerPart': most,
    'sms.maxAttempts': maxAttempts,
  };
}

/** Broadcast recipients the board saw reach `sent` or better, and `failed`, per channel. */
export function broadcastFigures(facts: readonly Fact[]): Figures {
  const out: Figures = { 'broadcast.failed': 0, 'broadcast.failed.sms': 0, 'broadcast.failed.radio': 0, 'broadcast.reached.radio': 0, 'broadcast.reached.sms': 0 };
  const inc = (k: string): void => {
    out[k] = (out[k] ?? 0) + 1;
  };
  for (const f of facts) {
    if (f.kind === 'broadcast-failed') {
      inc('broadcast.failed');
      if (f.channel) inc(`broadcast.failed.${f.channel}`);
    }
    if (f.kind === 'broadcast-delivered' && f.state === 'sent' && f.channel) inc(`broadcast.reached.${f.channel}`);
  }
  return out;
}

/** The 110 receivers' counts and the link's reporting time (one attempt: both receivers tried). */
export function linkFigures(receivers: readonly { name: 'primary' | 'secondary'; sim: AlarmCentreSimulator }[], link: { ackTimeoutMs?: number; connectTimeoutMs?: number } | undefined): Figures {
  const out: Figures = {};
  for (const r of receivers) {
    const c = r.sim.status().counts;
    out[`110.${r.name}.accepted`] = c.accepted;
    out[`110.${r.name}.blackholed`] = c.blackholed;
  }
  // As Dc09LinkAdapter.forwarding(): (ack + connect) × 2 + 1 s, with the adapter's defaults.
  const ack = link?.ackTimeoutMs ?? 3000;
  const connect = link?.connectTimeoutMs ?? 2000;
  out['link.reportingTimeMs'] = (ack + connect) * 2 + 1000;
  return out;
}
